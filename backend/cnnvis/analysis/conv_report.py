"""All the checks of one convolution written as a matrix, as the API returns them."""

import time
from dataclasses import dataclass

import torch
from torch import Tensor

from cnnvis.analysis.conv_matrix import (
    ConvGeometry,
    SparseMatrix,
    autograd_input_gradient,
    build_matrix,
    check_geometry,
    conv_direct,
    conv_transpose,
    flipped_kernel_convolution,
)

CROSS_CORRELATION_NOTE = (
    "PyTorch's conv1d and conv2d compute cross-correlation, not convolution: "
    "y[o, i, j] = Σ_c Σ_u Σ_v w[o, c, u, v] · x[c, i·stride + u·dilation − padding, "
    "j·stride + v·dilation − padding]. So each row of W holds the kernel as it is, "
    "unflipped. The flip enters in backprop: Wᵀ·g, the gradient with respect to the "
    "input, is a true convolution of g (zeros inserted between its values for a "
    "stride above 1) with the kernel rotated by 180°, which is what conv_transpose "
    "computes."
)
FLATTENING = (
    "x and y are flattened in C order: (channel, row, column); a 1-D input has one "
    "row, so its order is (channel, position). Column j of W is input position "
    "column_positions[j] and row i is output position row_positions[i], each as "
    "(channel, row, column)."
)


@dataclass(frozen=True)
class ConvReport:
    geometry: ConvGeometry
    weight: Tensor  # (C_out, C_in, kH, kW), float64
    matrix: SparseMatrix
    x: Tensor  # (C_in, H, W)
    y_matrix: Tensor  # W·x, (C_out, H_out, W_out)
    y_direct: Tensor  # torch.nn.functional.conv2d
    g: Tensor  # upstream gradient, (C_out, H_out, W_out)
    transpose_g: Tensor  # Wᵀ·g, (C_in, H, W)
    autograd: Tensor
    conv_transpose: Tensor
    flipped_conv: Tensor
    seconds_build: float
    seconds_direct: float

    def max_errors(self) -> dict[str, float]:
        pairs = {
            "matrix_vs_conv": (self.y_matrix, self.y_direct),
            "transpose_vs_autograd": (self.transpose_g, self.autograd),
            "conv_transpose_vs_autograd": (self.conv_transpose, self.autograd),
            "flipped_conv_vs_autograd": (self.flipped_conv, self.autograd),
            "transpose_vs_flipped_conv": (self.transpose_g, self.flipped_conv),
        }
        return {name: float((a - b).abs().max()) for name, (a, b) in pairs.items()}

    def counts(self) -> dict[str, float]:
        rows, columns = self.matrix.shape
        nonzeros = int(self.matrix.values.numel())
        kernel_weights = int(self.weight.numel())
        return {
            "rows": rows,
            "columns": columns,
            "nonzeros": nonzeros,
            "density": nonzeros / (rows * columns),
            "kernel_weights": kernel_weights,
            "uses_per_weight": nonzeros / kernel_weights,
            "dense_params": rows * columns,
            "dense_over_kernel": rows * columns / kernel_weights,
        }


def _positions(channels: int, height: int, width: int) -> Tensor:
    grid = torch.stack(
        torch.meshgrid(
            torch.arange(channels),
            torch.arange(height),
            torch.arange(width),
            indexing="ij",
        ),
        dim=-1,
    )
    return grid.reshape(-1, 3)  # (C*H*W, 3) as (channel, row, column)


def positions(geometry: ConvGeometry) -> tuple[Tensor, Tensor]:
    """(column positions, row positions) of W as (channel, row, column) triples."""
    out_h, out_w = geometry.out_size
    columns = _positions(geometry.in_channels, *geometry.in_size)
    rows = _positions(geometry.out_channels, out_h, out_w)
    return columns, rows


def analyse(weight: Tensor, geometry: ConvGeometry, x: Tensor, g: Tensor) -> ConvReport:
    """Build W, then compare W·x with the convolution and Wᵀ·g with three routes.

    Everything runs in float64, so the differences show the method's agreement
    rather than float32 rounding.
    """
    check_geometry(geometry)
    weight, x, g = weight.double(), x.double(), g.double()

    started = time.perf_counter()
    matrix = build_matrix(weight, geometry)
    sparse = matrix.to_torch()
    y_matrix = torch.sparse.mm(sparse, x.reshape(-1, 1)).reshape(g.shape)
    seconds_build = time.perf_counter() - started

    started = time.perf_counter()
    y_direct = conv_direct(x, weight, geometry)
    seconds_direct = time.perf_counter() - started

    transpose_g = torch.sparse.mm(sparse.t(), g.reshape(-1, 1)).reshape(x.shape)
    return ConvReport(
        geometry=geometry,
        weight=weight,
        matrix=matrix,
        x=x,
        y_matrix=y_matrix,
        y_direct=y_direct,
        g=g,
        transpose_g=transpose_g,
        autograd=autograd_input_gradient(x, g, weight, geometry),
        conv_transpose=conv_transpose(g, weight, geometry),
        flipped_conv=flipped_kernel_convolution(g, weight, geometry),
        seconds_build=seconds_build,
        seconds_direct=seconds_direct,
    )
