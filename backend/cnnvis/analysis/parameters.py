"""Why a convolution needs far fewer parameters than a fully connected layer.

For a conv layer from an input of C_in × H_in × W_in to an output of
C_out × H_out × W_out with k × k kernels, three counts compare:

- fully connected between the same shapes: every output unit sees every input,
  (C_in·H_in·W_in) weights per output unit, plus one bias each;
- locally connected (locality only): each output unit sees only its k × k × C_in
  window, but every position has weights of its own;
- convolution (locality and weight sharing): one k × k × C_in kernel per output
  channel, shared by all H_out·W_out positions, plus one bias per channel.

locality_factor = fully connected / locally connected, and
sharing_factor = locally connected / convolution; their product is the total saving.
"""

from dataclasses import dataclass

from torch import nn

from cnnvis.nets.layers import INPUT_SHAPE, LayerInfo

EXPLANATION = (
    "Locality: each output unit of a convolution sees only its k × k window of "
    "every input channel, so it has k·k·C_in weights where a fully connected unit "
    "has H_in·W_in·C_in (locality_factor compares a fully connected layer with a "
    "locally connected one). Weight sharing: one kernel per output channel serves "
    "all H_out·W_out positions, where a locally connected layer has weights of its "
    "own at every position (sharing_factor compares the two). Both counts include "
    "one bias per unit or per channel."
)


@dataclass(frozen=True)
class ParameterComparison:
    name: str
    input_shape: tuple[int, int, int]
    output_shape: tuple[int, int, int]
    kernel_size: tuple[int, int]
    has_bias: bool
    weights_per_unit_conv: int  # k·k·C_in
    weights_per_unit_dense: int  # H_in·W_in·C_in
    positions_sharing_a_kernel: int  # H_out·W_out
    conv_params: int
    locally_connected_params: int
    dense_params: int
    dense_weights: int
    locality_factor: float
    sharing_factor: float
    total_factor: float


def compare_conv(
    name: str,
    input_shape: tuple[int, int, int],
    output_shape: tuple[int, int, int],
    kernel_size: tuple[int, int],
    *,
    has_bias: bool,
) -> ParameterComparison:
    """Count the parameters of a conv layer and of its dense and local equivalents."""
    c_in, h_in, w_in = input_shape
    c_out, h_out, w_out = output_shape
    k_h, k_w = kernel_size
    bias = 1 if has_bias else 0
    per_unit_conv = k_h * k_w * c_in
    per_unit_dense = h_in * w_in * c_in
    units = c_out * h_out * w_out
    conv = c_out * (per_unit_conv + bias)
    local = units * (per_unit_conv + bias)
    dense = units * (per_unit_dense + bias)
    return ParameterComparison(
        name=name,
        input_shape=input_shape,
        output_shape=output_shape,
        kernel_size=kernel_size,
        has_bias=has_bias,
        weights_per_unit_conv=per_unit_conv,
        weights_per_unit_dense=per_unit_dense,
        positions_sharing_a_kernel=h_out * w_out,
        conv_params=conv,
        locally_connected_params=local,
        dense_params=dense,
        dense_weights=units * per_unit_dense,
        locality_factor=dense / local,
        sharing_factor=local / conv,
        total_factor=dense / conv,
    )


def reference_example() -> ParameterComparison:
    """32×32×3 input to 28×28×6 output with 5×5 kernels: 3,072 × 4,704 weights dense, 456 as a conv."""
    return compare_conv(
        "example: 32×32×3 → 28×28×6, 5×5",
        (3, 32, 32),
        (6, 28, 28),
        (5, 5),
        has_bias=True,
    )


def _input_shape(layers: list[LayerInfo], index: int) -> tuple[int, ...]:
    info = layers[index]
    if info.name.endswith(".shortcut_conv") and info.parent is not None:
        # The projection shortcut reads the block's input, not the layer before it.
        first = next(i for i, item in enumerate(layers) if item.parent == info.parent)
        index = first
    return layers[index - 1].shape if index > 0 else INPUT_SHAPE


def compare_model(
    model: nn.Module, layers: list[LayerInfo]
) -> list[ParameterComparison]:
    """Compare every conv layer of a model with its dense and local equivalents."""
    rows = []
    for index, info in enumerate(layers):
        if info.kind != "conv":
            continue
        module = model.get_submodule(info.name)
        assert isinstance(module, nn.Conv2d), f"{info.name} is not a Conv2d"
        input_shape = _input_shape(layers, index)
        assert len(input_shape) == 3, f"{info.name}: input shape {input_shape}"
        assert len(info.shape) == 3, f"{info.name}: output shape {info.shape}"
        kernel = (int(module.kernel_size[0]), int(module.kernel_size[1]))
        row = compare_conv(
            info.name,
            (input_shape[0], input_shape[1], input_shape[2]),
            (info.shape[0], info.shape[1], info.shape[2]),
            kernel,
            has_bias=module.bias is not None,
        )
        assert row.conv_params == sum(p.numel() for p in module.parameters()), info.name
        rows.append(row)
    return rows
