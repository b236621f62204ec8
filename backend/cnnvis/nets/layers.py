"""Forward-order layer outputs without hooks, and the layer description.

Every served network yields (name, kind, tensor) for each layer as it computes,
so callers read intermediates from their own call. Nothing is stored on the
shared module, which keeps concurrent requests apart.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

INPUT_SHAPE = (1, 28, 28)


class LayerOutput(NamedTuple):
    name: str
    kind: str
    tensor: Tensor


@dataclass(frozen=True)
class LayerInfo:
    """One layer in forward order.

    `params` counts the parameters the layer owns; for a block it counts the
    whole block, whose inner layers name it as their `parent`.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    params: int
    parent: str | None


_KINDS: list[tuple[type[nn.Module], str]] = [
    (nn.Conv2d, "conv"),
    (nn.BatchNorm2d, "batchnorm"),
    (nn.ReLU, "relu"),
    (nn.MaxPool2d, "pool"),
    (nn.AdaptiveAvgPool2d, "avgpool"),
    (nn.Flatten, "flatten"),
    (nn.Dropout, "dropout"),
    (nn.Linear, "linear"),
    (nn.Softmax, "softmax"),
]


def kind_of(module: nn.Module) -> str:
    for module_type, kind in _KINDS:
        if isinstance(module, module_type):
            return kind
    raise TypeError(f"no layer kind for {type(module).__name__}")


class LayerwiseNet(nn.Module):
    """A classifier of 28×28 digits whose layers can be walked in forward order.

    Subclasses implement `iter_layers`; `forward` returns the logits, which are
    the output of the layer named by `logits_layer`.
    """

    logits_layer: str

    def iter_layers(self, x: Tensor) -> Iterator[LayerOutput]:
        raise NotImplementedError("iter_layers must be implemented by subclass")

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.iter_layers(x):
            if layer.name == self.logits_layer:
                return layer.tensor
        raise RuntimeError(f"layer {self.logits_layer!r} was not reached")


def run_sequence(
    modules: Iterator[tuple[str, nn.Module]], x: Tensor, *, prefix: str = ""
) -> Iterator[LayerOutput]:
    """Apply modules one after another, yielding each output."""
    for name, module in modules:
        x = module(x)
        yield LayerOutput(prefix + name, kind_of(module), x)


def describe_layers(model: LayerwiseNet) -> list[LayerInfo]:
    """Describe every layer of the model in forward order, for one input digit."""
    modules = dict(model.named_modules())
    block_names = [name for name, m in modules.items() if getattr(m, "is_block", False)]
    infos = []
    # Eval mode, so that BatchNorm does not update its running statistics.
    was_training = model.training
    model.eval()
    try:
        outputs = _walk(model)
    finally:
        model.train(was_training)
    for layer in outputs:
        module = modules.get(layer.name)
        params = 0 if module is None else sum(p.numel() for p in module.parameters())
        parent = next((b for b in block_names if layer.name.startswith(b + ".")), None)
        shape = tuple(layer.tensor.shape[1:])
        infos.append(LayerInfo(layer.name, layer.kind, shape, params, parent))
    return infos


def _walk(model: LayerwiseNet) -> list[LayerOutput]:
    with torch.inference_mode():
        return list(model.iter_layers(torch.zeros(1, *INPUT_SHAPE)))
