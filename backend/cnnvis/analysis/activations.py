"""Every layer's output for one digit, with what each value means.

The values come from the model's own `iter_layers` call, so they are exactly the
tensors of the forward pass, and nothing is registered on the shared model.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from cnnvis.errors import NotFoundError
from cnnvis.nets.layers import LayerInfo, LayerwiseNet

# Meaning of a layer's output, by kind: the pre-activation z = W * a + b of a conv or
# linear layer, the post-activation a = f(z) of a nonlinearity, or a plain output.
STAGES = {
    "conv": "pre-activation",
    "linear": "pre-activation",
    "batchnorm": "pre-activation",
    "add": "pre-activation",
    "relu": "post-activation",
    "block": "post-activation",
    "softmax": "probabilities",
}
NONLINEAR_KINDS = ("relu", "block", "softmax")


@dataclass
class LayerValues:
    """One layer's output for one digit (batch dimension removed)."""

    info: LayerInfo
    stage: str
    values: Tensor
    # conv and linear layers: the output of the nonlinearity that follows them.
    activation: Tensor | None = None
    activation_layer: str | None = None
    # The conv layer whose output channels this layer's maps follow, if any.
    source_conv: str | None = None
    # Blocks: the branch (before the sum), the skip path, and their sum.
    parts: dict[str, Tensor | None] = field(default_factory=dict)


def check_layer_names(
    requested: Sequence[str], layers: Sequence[LayerInfo], model_id: str
) -> None:
    """Raise NotFoundError naming the model's layers if a requested name is unknown."""
    known = [info.name for info in layers]
    for position, name in enumerate(requested):
        if name not in known:
            raise NotFoundError(
                f"layer {name!r} not found in model {model_id!r}. Known layers: {', '.join(known)}",
                loc=("body", "layers", position),
            )


def compute_activations(
    model: LayerwiseNet, layers: Sequence[LayerInfo], image: Tensor
) -> list[LayerValues]:
    """Run one 28×28 digit through the model and return every layer's values in order."""
    by_name = {info.name: info for info in layers}
    outputs: dict[str, Tensor] = {}
    order: list[str] = []
    block_inputs: dict[str, Tensor] = {}
    previous = image.reshape(1, 1, 28, 28)

    with torch.inference_mode():
        for layer in model.iter_layers(previous):
            parent = by_name[layer.name].parent
            if parent is not None and parent not in block_inputs:
                block_inputs[parent] = previous
            outputs[layer.name] = layer.tensor[0]
            order.append(layer.name)
            previous = layer.tensor

    results: list[LayerValues] = []
    pending: list[LayerValues] = []  # conv and linear layers waiting for their f(z)
    last_conv: str | None = None
    for name in order:
        info = by_name[name]
        entry = LayerValues(
            info=info, stage=STAGES.get(info.kind, "output"), values=outputs[name]
        )
        if info.kind in ("conv", "linear"):
            pending.append(entry)
        if info.kind in NONLINEAR_KINDS:
            for waiting in pending:
                waiting.activation = outputs[name]
                waiting.activation_layer = name
            pending = []
        if info.kind == "conv":
            last_conv = name
        elif info.kind in ("linear", "flatten", "avgpool"):
            last_conv = None
        if info.kind != "conv" and last_conv is not None and outputs[name].dim() == 3:
            entry.source_conv = last_conv
        if info.kind == "block":
            entry.parts = _block_parts(name, outputs, block_inputs[name])
        results.append(entry)
    return results


def _block_parts(
    block: str, outputs: dict[str, Tensor], block_input: Tensor
) -> dict[str, Tensor | None]:
    """Return the branch, skip and sum of a block (skip and sum are None without skips)."""
    branch = outputs[f"{block}.bn2"]
    total = outputs.get(f"{block}.add")
    if total is None:
        return {"branch": branch, "skip": None, "sum": None}
    skip = outputs.get(f"{block}.shortcut_bn", block_input[0])
    return {"branch": branch, "skip": skip, "sum": total}


def layer_input(
    model: LayerwiseNet, layers: Sequence[LayerInfo], layer_name: str, image: Tensor
) -> Tensor:
    """Return the tensor that enters `layer_name` (batch removed) for one digit.

    A projection shortcut reads its block's input, not the layer before it.
    """
    by_name = {info.name: info for info in layers}
    block_inputs: dict[str, Tensor] = {}
    previous = image.reshape(1, 1, 28, 28)
    with torch.inference_mode():
        for layer in model.iter_layers(previous):
            parent = by_name[layer.name].parent
            if parent is not None and parent not in block_inputs:
                block_inputs[parent] = previous
            if layer.name == layer_name:
                if layer_name.endswith(".shortcut_conv") and parent is not None:
                    return block_inputs[parent][0].clone()
                return previous[0].clone()
            previous = layer.tensor
    raise NotFoundError(f"layer {layer_name!r} was not reached", loc=("body", "layer"))
