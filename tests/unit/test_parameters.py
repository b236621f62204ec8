"""Parameter counts of conv layers against dense and locally connected ones."""

import pytest
import torch
from torch import nn

from cnnvis.analysis.parameters import compare_conv, compare_model, reference_example
from cnnvis.nets import MODEL_IDS, build_model, describe_layers


def test_reference_example_counts() -> None:
    row = reference_example()

    assert row.dense_weights == 3072 * 4704
    assert row.dense_weights == 14_450_688
    assert row.conv_params == 6 * (5 * 5 * 3 + 1)
    assert row.conv_params == 456


def test_factors_multiply_to_total() -> None:
    row = compare_conv("x", (3, 10, 12), (4, 8, 10), (3, 3), has_bias=False)

    assert row.locality_factor * row.sharing_factor == pytest.approx(row.total_factor)
    assert row.weights_per_unit_conv == 27
    assert row.weights_per_unit_dense == 360
    assert row.positions_sharing_a_kernel == 80
    assert row.sharing_factor == pytest.approx(80)
    assert row.locality_factor == pytest.approx(360 / 27)


def test_dense_count_matches_a_linear_layer() -> None:
    row = compare_conv("x", (2, 6, 6), (3, 4, 4), (3, 3), has_bias=True)
    linear = nn.Linear(2 * 6 * 6, 3 * 4 * 4)

    assert row.dense_params == sum(p.numel() for p in linear.parameters())


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_model_rows_match_real_layers(model_id: str) -> None:
    model = build_model(model_id)
    layers = describe_layers(model)

    rows = compare_model(model, layers)

    convs = [info.name for info in layers if info.kind == "conv"]
    assert [row.name for row in rows] == convs
    for row in rows:
        conv = model.get_submodule(row.name)
        assert isinstance(conv, nn.Conv2d)
        assert row.conv_params == sum(p.numel() for p in conv.parameters())
        output = conv(torch.zeros(1, *row.input_shape))
        assert tuple(output.shape[1:]) == row.output_shape, row.name
