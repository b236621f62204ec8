"""The folded networks behind /predict give the modules' own logits."""

import pytest
import torch
from torch import nn

from cnnvis.config import Settings
from cnnvis.data import Digits, load_default_split
from cnnvis.nets import MODEL_IDS, build_model
from cnnvis.nets.fused import fold, fused_logits
from cnnvis.nets.registry import load_model

# Folding changes the order of float32 operations: on the held-out digits the
# logits differed by at most 5.7e-6 (resnet), and not at all for cnn.
LOGIT_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def held_out(settings: Settings) -> Digits:
    _, test = load_default_split(settings.data_dir)
    return test


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_fused_logits_match_modules(
    model_id: str, settings: Settings, held_out: Digits
) -> None:
    served = load_model(model_id, settings.models_dir)
    test = held_out

    with torch.inference_mode():
        expected = served.model(test.images)
        actual = served.fast_logits(test.images)

    assert actual.shape == expected.shape == (len(test), 10)
    assert float((actual - expected).abs().max()) < LOGIT_TOLERANCE
    assert torch.equal(actual.argmax(1), expected.argmax(1))


def test_fold_uses_running_statistics() -> None:
    generator = torch.Generator().manual_seed(3)
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=True)
    norm = nn.BatchNorm2d(4)
    with torch.no_grad():
        norm.running_mean.copy_(torch.randn(4, generator=generator))
        norm.running_var.copy_(torch.rand(4, generator=generator) + 0.5)
        norm.weight.copy_(torch.randn(4, generator=generator))
        norm.bias.copy_(torch.randn(4, generator=generator))
    norm.eval()
    x = torch.randn(2, 3, 9, 9, generator=generator)

    with torch.no_grad():
        expected = norm(conv(x))
        actual = fold(conv, norm)(x)

    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_fused_rejects_training_mode(model_id: str) -> None:
    net = build_model(model_id).train()

    with pytest.raises(ValueError, match="eval mode"):
        fused_logits(net)


def test_fused_copies_weights(settings: Settings) -> None:
    """Later changes to the modules do not reach the folded copy."""
    served = load_model("resnet", settings.models_dir)
    digit = torch.rand(1, 1, 28, 28)
    with torch.inference_mode():
        before = served.fast_logits(digit)

    with torch.no_grad():
        for parameter in served.model.parameters():
            parameter.zero_()
    with torch.inference_mode():
        after = served.fast_logits(digit)

    assert torch.equal(before, after)
