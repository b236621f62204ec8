"""The served networks: `cnn`, `resnet` and `plain`."""

from cnnvis.nets.cnn import DigitCNN
from cnnvis.nets.layers import LayerInfo, LayerOutput, LayerwiseNet, describe_layers
from cnnvis.nets.resnet import DigitResNet

MODEL_IDS = ("cnn", "resnet", "plain")


def build_model(model_id: str) -> LayerwiseNet:
    """Build an untrained network by id: `cnn`, `resnet` or `plain`."""
    if model_id == "cnn":
        return DigitCNN()
    if model_id == "resnet":
        return DigitResNet(skip=True)
    if model_id == "plain":
        return DigitResNet(skip=False)
    raise ValueError(
        f"unknown model id {model_id!r}; known ids: {', '.join(MODEL_IDS)}"
    )


__all__ = [
    "MODEL_IDS",
    "DigitCNN",
    "DigitResNet",
    "LayerInfo",
    "LayerOutput",
    "LayerwiseNet",
    "build_model",
    "describe_layers",
]
