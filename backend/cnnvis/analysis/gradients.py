"""Per-layer gradient norms for one digit, without touching the shared model.

The gradients come from torch.autograd.grad with respect to every layer's output
and every parameter, so nothing is written to the parameters' `.grad` fields and
the same request twice gives the same numbers. The model stays in eval mode, so
BatchNorm uses (and does not update) its running statistics.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnvis.nets.layers import LayerInfo, LayerwiseNet

NORM = "L2 (Frobenius) norm over all elements"
LOSS = "cross-entropy of the logits against the target class, for one digit"


@dataclass(frozen=True)
class LayerGradient:
    """Gradient norms of one layer; None where the quantity does not exist."""

    name: str
    kind: str
    activation_grad_norm: float | None
    weight_grad_norm: float | None
    bias_grad_norm: float | None
    weight_norm: float | None
    grad_to_weight_ratio: float | None
    non_finite: bool
    note: str | None


def _norm(tensor: Tensor | None) -> float | None:
    return None if tensor is None else float(tensor.double().norm())


def _finite(value: float | None) -> tuple[float | None, bool]:
    if value is None or math.isfinite(value):
        return value, False
    return None, True


def layer_gradients(
    model: LayerwiseNet, layers: Sequence[LayerInfo], image: Tensor, target: int
) -> tuple[list[LayerGradient], float, Tensor]:
    """Return per-layer norms, the loss, and the probabilities for one digit.

    Autograd is enabled here even when the caller runs under inference_mode or
    no_grad, because a gradient is the point of the request.
    """
    with torch.inference_mode(False), torch.enable_grad():
        x = image.reshape(1, 1, 28, 28).clone()
        outputs: dict[str, Tensor] = {}
        for layer in model.iter_layers(x):
            outputs[layer.name] = layer.tensor
        logits = outputs[model.logits_layer]
        loss = F.cross_entropy(logits, torch.tensor([target]))

        names = [info.name for info in layers]
        params: list[tuple[str, str, nn.Parameter]] = []
        for name in names:
            module = dict(model.named_modules()).get(name)
            if module is None:
                continue
            for param_name, param in module.named_parameters(recurse=False):
                if param.requires_grad:
                    params.append((name, param_name, param))
        activation_inputs = [
            outputs[name] for name in names if outputs[name].requires_grad
        ]
        grads = torch.autograd.grad(
            loss,
            activation_inputs + [param for _, _, param in params],
            allow_unused=True,
        )
    activation_grads = dict(
        zip(
            [n for n in names if outputs[n].requires_grad],
            grads[: len(activation_inputs)],
            strict=True,
        )
    )
    param_grads = {
        (layer, param_name): grad
        for (layer, param_name, _), grad in zip(
            params, grads[len(activation_inputs) :], strict=True
        )
    }
    results = [
        _layer_row(model, info, activation_grads, param_grads) for info in layers
    ]
    return results, loss.item(), torch.softmax(logits.detach()[0].double(), dim=0)


def _layer_row(
    model: nn.Module,
    info: LayerInfo,
    activation_grads: Mapping[str, Tensor | None],
    param_grads: Mapping[tuple[str, str], Tensor | None],
) -> LayerGradient:
    notes = []
    activation, bad_activation = _finite(_norm(activation_grads.get(info.name)))
    if activation is None and not bad_activation:
        notes.append(
            "its output does not reach the loss (for softmax: the loss is computed from the logits)"
        )

    module = dict(model.named_modules()).get(info.name)
    weight = (
        getattr(module, "weight", None)
        if module is not None and info.kind != "block"
        else None
    )
    bias = (
        getattr(module, "bias", None)
        if module is not None and info.kind != "block"
        else None
    )
    weight_grad = bias_grad = weight_norm = None
    bad_weight = bad_bias = False
    if isinstance(weight, nn.Parameter):
        weight_norm = _norm(weight.detach())
        if not weight.requires_grad:
            notes.append("its weights are frozen (requires_grad is False)")
        else:
            weight_grad, bad_weight = _finite(
                _norm(param_grads.get((info.name, "weight")))
            )
    if isinstance(bias, nn.Parameter) and bias.requires_grad:
        bias_grad, bad_bias = _finite(_norm(param_grads.get((info.name, "bias"))))
    ratio = None
    if weight_grad is not None and weight_norm:
        ratio = weight_grad / weight_norm
    non_finite = bad_activation or bad_weight or bad_bias
    if non_finite:
        notes.append("a gradient was NaN or infinite and is reported as null")
    return LayerGradient(
        name=info.name,
        kind=info.kind,
        activation_grad_norm=activation,
        weight_grad_norm=weight_grad,
        bias_grad_norm=bias_grad,
        weight_norm=weight_norm,
        grad_to_weight_ratio=ratio,
        non_finite=non_finite,
        note="; ".join(notes) or None,
    )
