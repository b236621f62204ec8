"""POST /api/v1/conv-matrix: W, Wᵀ and the checks, recomputed with PyTorch here.

The server reports its own maximum errors. These tests also rebuild W from the
sparse entries and compare W·x and Wᵀ·g with torch.nn.functional and autograd.
A bug shared by the server's matrix and its checks then still fails a test.
"""

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient

from cnnvis.config import Settings
from cnnvis.encoding import decode_array
from cnnvis.nets.registry import load_model
from tests.api.checks import single_error

URL = "/api/v1/conv-matrix"
# The server computes in float64, where the routes differ by rounding only.
SERVER_TOLERANCE = 1e-9
# The tensors travel as float32, so recomputing from them here agrees to
# float32 precision only.
FLOAT32_TOLERANCE = 1e-4
EXAMPLE_MATRIX = [
    [1, 2, 3, 0, 0, 0],
    [0, 1, 2, 3, 0, 0],
    [0, 0, 1, 2, 3, 0],
    [0, 0, 0, 1, 2, 3],
]


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def dense(matrix: dict[str, Any]) -> np.ndarray:
    """Rebuild W as a dense float64 array from its coordinate entries."""
    rows = decode_array(matrix["rows"])
    columns = decode_array(matrix["columns"])
    values = decode_array(matrix["values"]).astype(np.float64)
    result = np.zeros(matrix["shape"], dtype=np.float64)
    np.add.at(result, (rows, columns), values)
    return result


def as_2d(array: np.ndarray, dims: int) -> np.ndarray:
    """(C, L) → (C, 1, L) and (out, in, k) → (out, in, 1, k) for 1-D results."""
    return array[..., None, :] if dims == 1 else array


def sample_image(client: TestClient, label: int, index: int) -> list[list[float]]:
    response = client.get("/api/v1/samples", params={"label": label, "index": index})
    assert response.status_code == 200, response.text
    image: list[list[float]] = response.json()["image"]
    return image


def recompute(body: dict[str, Any]) -> dict[str, torch.Tensor]:
    """y and ∂l/∂x from the response's kernel, x and g, with torch and autograd."""
    dims = body["dims"]
    weight = torch.from_numpy(as_2d(decode_array(body["kernel"]), dims)).double()
    x = torch.from_numpy(as_2d(decode_array(body["x"]), dims)).double()
    g = torch.from_numpy(as_2d(decode_array(body["g"]), dims)).double()
    top, bottom, left, right = body["padding"]
    stride = body["stride"] if dims == 2 else [1, *body["stride"]]
    dilation = body["dilation"] if dims == 2 else [1, *body["dilation"]]

    leaf = x.clone().requires_grad_(True)
    padded = F.pad(leaf.unsqueeze(0), (left, right, top, bottom))
    y = F.conv2d(padded, weight, stride=stride, dilation=dilation)[0]
    (gradient,) = torch.autograd.grad((y * g).sum(), leaf)
    return {"x": x, "g": g, "y": y.detach(), "gradient": gradient}


def test_default_is_1d_example(client: TestClient) -> None:
    body = post(client, {})

    assert body["dims"] == 1
    assert body["in_shape"] == [1, 6]
    assert body["out_shape"] == [1, 4]
    assert dense(body["matrix"]).tolist() == EXAMPLE_MATRIX
    assert decode_array(body["y_matrix"]).tolist() == [[6, 6, 6, 6]]
    assert decode_array(body["y_conv"]).tolist() == [[6, 6, 6, 6]]
    assert decode_array(body["kernel"]).tolist() == [[[1, 2, 3]]]
    assert decode_array(body["flipped_kernel"]).tolist() == [[[3, 2, 1]]]
    assert "cross-correlation" in body["convention"]


def test_default_transpose_rows_hold_kernel_reversed(client: TestClient) -> None:
    body = post(client, {})
    transpose = dense(body["matrix"]).T

    assert transpose.shape == (6, 4)
    assert transpose[2].tolist() == [3, 2, 1, 0]
    assert transpose[3].tolist() == [0, 3, 2, 1]
    # Wᵀ·1 counts, for each input, the weights of the outputs that read it.
    assert decode_array(body["transpose_g"]).tolist() == [[1, 3, 6, 6, 5, 3]]


def test_delta_image_gives_kernel_rotated(client: TestClient) -> None:
    delta = [0.0] * 25
    delta[12] = 1.0

    body = post(
        client,
        {
            "dims": 2,
            "input_size": [5, 5],
            "kernel_size": [3, 3],
            "padding": [1],
            "kernel": list(range(1, 10)),
            "x": delta,
        },
    )
    y_conv = decode_array(body["y_conv"])[0]
    y_matrix = decode_array(body["y_matrix"])[0]

    # Cross-correlation returns the kernel rotated by 180°. A true
    # convolution would return [[1, 2, 3], [4, 5, 6], [7, 8, 9]].
    assert y_conv[1:4, 1:4].tolist() == [[9, 8, 7], [6, 5, 4], [3, 2, 1]]
    assert y_matrix.tolist() == y_conv.tolist()
    assert np.count_nonzero(y_conv) == 9


def test_stride_two_padding_one_shape(client: TestClient) -> None:
    body = post(
        client,
        {
            "dims": 2,
            "input_size": [5, 5],
            "kernel_size": [3, 3],
            "padding": [1],
            "stride": [2],
        },
    )

    assert body["matrix"]["shape"] == [9, 25]
    assert body["out_shape"] == [1, 3, 3]
    assert body["padding"] == [1, 1, 1, 1]
    assert dense(body["matrix"]).shape == (9, 25)


CONFIGS: dict[str, dict[str, Any]] = {
    "1d-stride-2": {"input_size": [9], "kernel_size": [3], "stride": [2]},
    "1d-stride-above-kernel": {
        "input_size": [11],
        "kernel_size": [2],
        "stride": [3],
        "padding": [3],
    },
    "1d-dilation-same": {
        "input_size": [10],
        "kernel_size": [4],
        "dilation": [2],
        "padding": "same",
    },
    "1d-multichannel": {
        "input_size": [7],
        "kernel_size": [3],
        "in_channels": 2,
        "out_channels": 3,
        "padding": [1],
    },
    "2d-valid": {
        "dims": 2,
        "input_size": [6, 6],
        "kernel_size": [3, 3],
        "padding": "valid",
    },
    "2d-non-square": {
        "dims": 2,
        "input_size": [7, 9],
        "kernel_size": [3, 2],
        "stride": [2, 1],
        "dilation": [1, 2],
        "padding": [2, 0],
    },
    "2d-same-even-kernel": {
        "dims": 2,
        "input_size": [8, 5],
        "kernel_size": [4, 2],
        "dilation": [2, 3],
        "padding": "same",
    },
    "2d-multichannel-strided": {
        "dims": 2,
        "input_size": [7, 7],
        "kernel_size": [3, 3],
        "in_channels": 3,
        "out_channels": 2,
        "stride": [2],
        "padding": [1],
    },
    "2d-stride-3-dilation-2": {
        "dims": 2,
        "input_size": [12, 10],
        "kernel_size": [3, 3],
        "stride": [3, 2],
        "dilation": [2],
        "padding": [1, 2],
    },
    "2d-kernel-1x1-stride-2": {
        "dims": 2,
        "input_size": [6, 6],
        "kernel_size": [1],
        "in_channels": 4,
        "out_channels": 2,
        "stride": [2],
    },
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_conv_matrix_matches_pytorch(
    client: TestClient, config: dict[str, Any]
) -> None:
    body = post(client, {**config, "kernel_seed": 1, "x_seed": 2, "g_seed": 3})
    expected = recompute(body)
    matrix = dense(body["matrix"])
    x = expected["x"].numpy().reshape(-1)
    g = expected["g"].numpy().reshape(-1)

    for name, error in body["max_errors"].items():
        assert error < SERVER_TOLERANCE, (name, body["max_errors"])
    assert matrix.shape == (g.size, x.size)
    np.testing.assert_allclose(
        matrix @ x, expected["y"].numpy().reshape(-1), atol=FLOAT32_TOLERANCE
    )
    np.testing.assert_allclose(
        matrix.T @ g,
        expected["gradient"].numpy().reshape(-1),
        atol=FLOAT32_TOLERANCE,
    )
    np.testing.assert_allclose(
        decode_array(body["transpose_g"]).reshape(-1),
        expected["gradient"].numpy().reshape(-1),
        atol=FLOAT32_TOLERANCE,
    )


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_weight_index_reproduces_values(
    client: TestClient, config: dict[str, Any]
) -> None:
    body = post(client, {**config, "kernel_seed": 4})
    matrix = body["matrix"]
    kernel = decode_array(body["kernel"]).reshape(-1)
    weight_index = decode_array(matrix["weight_index"])
    values = decode_array(matrix["values"])
    uses = np.bincount(weight_index, minlength=kernel.size)

    assert weight_index.min() >= 0
    assert weight_index.max() < kernel.size
    assert np.array_equal(kernel[weight_index], values)
    assert uses.sum() == body["counts"]["nonzeros"]
    assert body["counts"]["kernel_weights"] == kernel.size
    assert body["counts"]["uses_per_weight"] == pytest.approx(
        matrix["nonzeros"] / kernel.size
    )


def test_positions_name_rows_and_columns(client: TestClient) -> None:
    body = post(
        client,
        {
            "dims": 2,
            "input_size": [4, 5],
            "kernel_size": [2, 2],
            "in_channels": 2,
            "out_channels": 3,
        },
    )
    columns = decode_array(body["matrix"]["column_positions"])
    rows = decode_array(body["matrix"]["row_positions"])

    assert columns.shape == (2 * 4 * 5, 3)
    assert rows.shape == (3 * 3 * 4, 3)
    assert columns[21].tolist() == [1, 0, 1]
    assert rows[13].tolist() == [1, 0, 1]


LAYERS = {
    "cnn-conv1-digit": ("cnn", "conv1", 0),
    "resnet-layer2.0.conv1": ("resnet", "layer2.0.conv1", None),
    "resnet-layer2.0.shortcut_conv": ("resnet", "layer2.0.shortcut_conv", None),
}


@pytest.mark.parametrize(
    ("model_id", "layer", "in_channel"), LAYERS.values(), ids=LAYERS.keys()
)
def test_trained_layer_gets_its_real_input(
    client: TestClient,
    settings: Settings,
    model_id: str,
    layer: str,
    in_channel: int | None,
) -> None:
    image = sample_image(client, label=3, index=0)
    served = load_model(model_id, settings.models_dir)
    conv = served.model.get_submodule(layer)
    assert isinstance(conv, torch.nn.Conv2d)
    seen: list[torch.Tensor] = []
    handle = conv.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    try:
        with torch.inference_mode():
            served.model(torch.tensor(image).reshape(1, 1, 28, 28))
    finally:
        handle.remove()
    layer_input = seen[0][0]  # (C_in, H, W)

    body = post(
        client,
        {
            "layer": {
                "model": model_id,
                "layer": layer,
                "out_channel": 0,
                "in_channel": in_channel,
                "image": image,
            }
        },
    )
    channels = slice(None) if in_channel is None else slice(0, 1)
    expected_input = layer_input[channels].numpy()
    expected_kernel = conv.weight.detach()[0:1, channels].numpy()

    assert body["in_shape"] == list(expected_input.shape)
    assert body["stride"] == list(conv.stride)
    for name, error in body["max_errors"].items():
        assert error < SERVER_TOLERANCE, (name, body["max_errors"])
    np.testing.assert_allclose(decode_array(body["x"]), expected_input, atol=1e-6)
    assert np.array_equal(decode_array(body["kernel"]), expected_kernel)
    rows, columns = body["matrix"]["shape"]
    assert columns == expected_input.size
    assert rows == int(np.prod(body["out_shape"]))


def test_cnn_conv1_matrix_shape(client: TestClient) -> None:
    body = post(client, {"layer": {"model": "cnn", "layer": "conv1"}})

    assert body["matrix"]["shape"] == [576, 784]
    assert body["matrix"]["nonzeros"] == 576 * 25
    assert "seeded random input" in body["source"]


def test_large_matrix_entries_omitted(client: TestClient) -> None:
    layer = {
        "model": "resnet",
        "layer": "layer1.0.conv1",
        "out_channel": None,
        "in_channel": None,
    }

    body = post(client, {"layer": layer})
    matrix = body["matrix"]

    assert matrix["shape"] == [12544, 12544]
    assert matrix["rows"] is None
    assert matrix["values"] is None
    assert "500,000" in matrix["omitted"]
    for name, error in body["max_errors"].items():
        assert error < SERVER_TOLERANCE, (name, body["max_errors"])


def test_include_matrix_false_omits_entries(client: TestClient) -> None:
    body = post(client, {"include_matrix": False})

    assert body["matrix"]["rows"] is None
    assert body["matrix"]["omitted"] == "include_matrix is false"
    assert body["counts"]["nonzeros"] == 12


BAD_REQUESTS: dict[str, tuple[dict[str, Any], int, list[Any], str]] = {
    "kernel-larger-than-padded-input": (
        {"dims": 2, "input_size": [3, 3], "kernel_size": [5, 5]},
        422,
        ["body", "kernel_size"],
        "kernel larger than the padded input",
    ),
    "same-with-stride-2": (
        {"dims": 2, "input_size": [6], "padding": "same", "stride": [2]},
        422,
        ["body", "padding"],
        "padding 'same' needs stride 1",
    ),
    "wrong-kernel-count": (
        {"kernel": [1, 2]},
        422,
        ["body", "kernel"],
        "kernel has 2 values; shape [1, 1, 1, 3] needs 3",
    ),
    "wrong-x-count": (
        {"x": [1, 2]},
        422,
        ["body", "x"],
        "x has 2 values; shape [1, 1, 6] needs 6",
    ),
    "wrong-g-count": (
        {"g": [1]},
        422,
        ["body", "g"],
        "g has 1 values; shape [1, 1, 4] needs 4",
    ),
    "two-sizes-for-1d": (
        {"input_size": [5, 5]},
        422,
        ["body", "input_size"],
        "takes one number for a 1-D convolution",
    ),
    "nonzero-limit": (
        {
            "dims": 2,
            "in_channels": 8,
            "out_channels": 8,
            "input_size": [64, 64],
            "kernel_size": [11, 11],
        },
        422,
        ["body"],
        "the limit is 4,000,000",
    ),
    "unknown-model": (
        {"layer": {"model": "vgg", "layer": "conv1"}},
        404,
        ["body", "layer", "model"],
        "unknown model 'vgg'",
    ),
    "non-conv-layer": (
        {"layer": {"model": "cnn", "layer": "relu1"}},
        422,
        ["body", "layer", "layer"],
        "not a conv layer. Conv layers: conv1, conv2",
    ),
    "out-channel-out-of-range": (
        {"layer": {"model": "cnn", "layer": "conv1", "out_channel": 32}},
        422,
        ["body", "layer", "out_channel"],
        "out_channel 32 is out of range: the layer has 32 (0..31)",
    ),
    "negative-out-channel": (
        {"layer": {"model": "cnn", "layer": "conv1", "out_channel": -1}},
        422,
        ["body", "layer", "out_channel"],
        "greater than or equal to 0",
    ),
    "stride-0": (
        {"stride": [0]},
        422,
        ["body", "stride", 0],
        "greater than or equal to 1",
    ),
    "extra-field": (
        {"kernel_sizes": [3]},
        422,
        ["body", "kernel_sizes"],
        "Extra inputs are not permitted",
    ),
    "kernel-overflows-float32": (
        {"kernel": [1e308, 1, 1]},
        422,
        ["body", "kernel", 0],
        "less than or equal to 1000000",
    ),
    "x-too-negative": (
        {"x": [1, 1, 1, 1, 1, -2e6]},
        422,
        ["body", "x", 5],
        "greater than or equal to -1000000",
    ),
    "size-as-string": (
        {"input_size": ["6"]},
        422,
        ["body", "input_size", 0],
        "valid integer",
    ),
    "channels-as-float": (
        {"in_channels": 2.0},
        422,
        ["body", "in_channels"],
        "valid integer",
    ),
    "kernel-value-as-string": (
        {"kernel": ["1", 2, 3]},
        422,
        ["body", "kernel", 0],
        "valid number",
    ),
    "include-matrix-as-string": (
        {"include_matrix": "false"},
        422,
        ["body", "include_matrix"],
        "valid boolean",
    ),
    "layer-channel-as-string": (
        {"layer": {"model": "cnn", "layer": "conv1", "out_channel": "3"}},
        422,
        ["body", "layer", "out_channel"],
        "valid integer",
    ),
    "extra-field-in-layer": (
        {"layer": {"model": "cnn", "layer": "conv1", "channel": 0}},
        422,
        ["body", "layer", "channel"],
        "Extra inputs are not permitted",
    ),
}


@pytest.mark.parametrize(
    ("body", "status", "loc", "message"),
    BAD_REQUESTS.values(),
    ids=BAD_REQUESTS.keys(),
)
def test_bad_configuration_rejected(
    client: TestClient,
    body: dict[str, Any],
    status: int,
    loc: list[Any],
    message: str,
) -> None:
    response = client.post(URL, json=body)

    assert response.status_code == status, response.text
    error = single_error(response)
    assert error["loc"] == loc
    assert message in error["msg"]


def test_negative_padding_rejected(client: TestClient) -> None:
    response = client.post(URL, json={"padding": [-1]})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "padding"]
    assert "0..16" in error["msg"]


@pytest.mark.parametrize("field", ["kernel", "x", "g"])
def test_nan_values_rejected(client: TestClient, field: str) -> None:
    # httpx encodes JSON with allow_nan=False, so send the raw text.
    content = f'{{"{field}": [NaN, 1, 1]}}'

    response = client.post(
        URL, content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", field, 0]
    assert "finite number" in error["msg"]


# Cases that once failed: seeds past torch's range, the loc of the layer's
# digit, the message for a missing layer, and 1-D messages.


@pytest.mark.parametrize("field", ["kernel_seed", "x_seed", "g_seed"])
def test_seed_too_large_rejected(client: TestClient, field: str) -> None:
    response = client.post(URL, json={field: 2**70})

    assert response.status_code == 422, response.text
    assert single_error(response)["loc"] == ["body", field]


def test_layer_png_error_names_layer_field(client: TestClient) -> None:
    layer = {"model": "cnn", "layer": "conv1", "png": "not a data URL"}

    response = client.post(URL, json={"layer": layer})

    assert response.status_code == 422, response.text
    assert single_error(response)["loc"] == ["body", "layer", "png"]


def test_unknown_layer_message_says_not_found(client: TestClient) -> None:
    response = client.post(URL, json={"layer": {"model": "cnn", "layer": "conv9"}})

    assert response.status_code == 404, response.text
    assert "not found" in single_error(response)["msg"]


def test_1d_same_stride_message_shows_1d_stride(client: TestClient) -> None:
    response = client.post(URL, json={"padding": "same", "stride": [2]})

    assert response.status_code == 422, response.text
    assert "1×2" not in single_error(response)["msg"]


def test_negative_padding_one_error(client: TestClient) -> None:
    response = client.post(URL, json={"padding": [-1]})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "padding"]
    assert "0..16" in error["msg"]


def test_custom_fields_with_layer_rejected(client: TestClient) -> None:
    body = {"layer": {"model": "cnn", "layer": "conv1"}, "input_size": [9]}

    response = client.post(URL, json=body)

    assert response.status_code == 422, response.text
    assert "input_size" in single_error(response)["msg"]
