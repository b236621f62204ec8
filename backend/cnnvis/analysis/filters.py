"""The learned weights of a conv or linear layer."""

from dataclasses import dataclass

from torch import Tensor, nn

from cnnvis.errors import NotAFilterLayerError, NotFoundError
from cnnvis.nets.layers import LayerInfo


@dataclass(frozen=True)
class LayerWeights:
    """Weights of one layer: conv (out, in, kH, kW) or linear (out, in)."""

    name: str
    kind: str
    weight: Tensor
    bias: Tensor | None
    # L2 norm of each filter weight[o] (conv) or each row of the matrix (linear).
    norms: Tensor
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | str | None = None
    dilation: tuple[int, ...] | None = None


def read_layer_weights(
    model: nn.Module, layers: list[LayerInfo], layer_name: str, model_id: str
) -> LayerWeights:
    """Return the weights of a conv or linear layer, raising a 404 or 422 otherwise."""
    info = next((item for item in layers if item.name == layer_name), None)
    if info is None:
        known = ", ".join(item.name for item in layers)
        raise NotFoundError(
            f"layer {layer_name!r} not found in model {model_id!r}. Known layers: {known}",
            loc=("path", "layer"),
        )
    module = model.get_submodule(layer_name)
    if not isinstance(module, nn.Conv2d | nn.Linear):
        with_weights = ", ".join(
            item.name for item in layers if item.kind in ("conv", "linear")
        )
        raise NotAFilterLayerError(
            f"layer {layer_name!r} of model {model_id!r} is a {info.kind} layer, "
            f"which has no filters. Layers with filters: {with_weights}",
            loc=("path", "layer"),
        )
    weight = module.weight.detach()
    bias = None if module.bias is None else module.bias.detach()
    norms = weight.flatten(1).norm(dim=1)
    if isinstance(module, nn.Conv2d):
        padding = (
            module.padding if isinstance(module.padding, str) else tuple(module.padding)
        )
        return LayerWeights(
            layer_name,
            "conv",
            weight,
            bias,
            norms,
            stride=tuple(module.stride),
            padding=padding,
            dilation=tuple(module.dilation),
        )
    return LayerWeights(layer_name, "linear", weight, bias, norms)
