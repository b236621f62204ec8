"""A convolution as a sparse (Toeplitz) matrix, and backprop as its transpose.

PyTorch's conv1d and conv2d compute cross-correlation:
y[o, i, j] = Σ_c Σ_u Σ_v w[o, c, u, v] · x[c, i·s + u·d - p, j·s + v·d - p].
Every output position is one row of a matrix W whose non-zeros are the kernel's
weights, placed at the columns of the input positions that the kernel covers, so
y = W·x with x and y flattened in C order (channel, row, column). The weights
appear unflipped in each row. Backprop multiplies the upstream gradient by Wᵀ,
whose rows hold the kernel reversed: ∂l/∂x = Wᵀ·g is a true convolution of g
(with zeros inserted between its values for a stride above 1) with the kernel
flipped in every spatial axis, which is what conv_transpose computes.

1-D convolutions are handled as 2-D ones with a height of 1.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from cnnvis.errors import CnnvisError

# Matrices with more non-zeros than this are rejected before they are built.
MAX_NONZEROS = 4_000_000


class ConvConfigError(CnnvisError):
    """A configuration PyTorch rejects, or one past the size limits."""

    error_type = "invalid_convolution"


@dataclass(frozen=True)
class ConvGeometry:
    """Shapes of a 2-D convolution; 1-D ones have a height and kernel height of 1."""

    in_channels: int
    out_channels: int
    in_size: tuple[int, int]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    # (top, bottom, left, right): "same" pads the extra row and column at the end.
    padding: tuple[int, int, int, int]
    one_d: bool = False

    def describe(self, pair: tuple[int, int]) -> str:
        """Format a (height, width) pair as the user wrote it: one number in 1-D."""
        return str(pair[1]) if self.one_d else f"{pair[0]}×{pair[1]}"

    @property
    def out_size(self) -> tuple[int, int]:
        top, bottom, left, right = self.padding
        sizes = []
        for axis, (before, after) in enumerate(((top, bottom), (left, right))):
            reach = self.dilation[axis] * (self.kernel_size[axis] - 1) + 1
            span = self.in_size[axis] + before + after - reach
            sizes.append(span // self.stride[axis] + 1 if span >= 0 else 0)
        return sizes[0], sizes[1]

    @property
    def rows(self) -> int:
        return self.out_channels * self.out_size[0] * self.out_size[1]

    @property
    def columns(self) -> int:
        return self.in_channels * self.in_size[0] * self.in_size[1]


def resolve_padding(
    padding: int | tuple[int, int] | str,
    kernel_size: tuple[int, int],
    dilation: tuple[int, int],
    stride: tuple[int, int],
) -> tuple[int, int, int, int]:
    """Turn PyTorch's padding argument into (top, bottom, left, right)."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        if stride != (1, 1):
            raise ConvConfigError(
                "padding 'same' needs stride 1, as in PyTorch, which rejects "
                "padding='same' for strided convolutions; got stride "
                f"{stride[1] if stride[0] == 1 else '×'.join(map(str, stride))}",
                loc=("body", "padding"),
            )
        pads = []
        for axis in range(2):
            total = dilation[axis] * (kernel_size[axis] - 1)
            pads += [total // 2, total - total // 2]
        return pads[0], pads[1], pads[2], pads[3]
    if isinstance(padding, str):
        raise ConvConfigError(
            f"padding {padding!r} is not valid; use a number, 'same' or 'valid'",
            loc=("body", "padding"),
        )
    rows, cols = (padding, padding) if isinstance(padding, int) else padding
    return rows, rows, cols, cols


def check_geometry(geometry: ConvGeometry) -> int:
    """Return the matrix's non-zeros once the shapes pass the checks.

    Raises ConvConfigError for shapes PyTorch rejects or matrices past the limit.
    """
    out_h, out_w = geometry.out_size
    if out_h < 1 or out_w < 1:
        top, bottom, left, right = geometry.padding
        padded = (
            geometry.in_size[0] + top + bottom,
            geometry.in_size[1] + left + right,
        )
        raise ConvConfigError(
            f"the kernel ({geometry.describe(geometry.kernel_size)} with dilation "
            f"{geometry.describe(geometry.dilation)}) reaches past the padded input "
            f"({geometry.describe(padded)}): PyTorch rejects a kernel larger than the "
            "padded input. Use a smaller kernel or dilation, or more padding.",
            loc=("body", "kernel_size"),
        )
    nonzeros = count_nonzeros(geometry)
    if nonzeros > MAX_NONZEROS:
        raise ConvConfigError(
            f"the matrix would have {nonzeros:,} non-zeros; the limit is "
            f"{MAX_NONZEROS:,}. Use fewer channels or a smaller input.",
            loc=("body",),
        )
    return nonzeros


def _taps(
    out_len: int, in_len: int, kernel: int, stride: int, dilation: int, before: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Valid (output index, kernel index, input index) triples along one axis."""
    outputs = torch.arange(out_len).repeat_interleave(kernel)
    kernel_index = torch.arange(kernel).repeat(out_len)
    inputs = outputs * stride + kernel_index * dilation - before
    inside = (inputs >= 0) & (inputs < in_len)
    return outputs[inside], kernel_index[inside], inputs[inside]


def count_nonzeros(geometry: ConvGeometry) -> int:
    top, _, left, _ = geometry.padding
    out_h, out_w = geometry.out_size
    rows = _taps(
        out_h,
        geometry.in_size[0],
        geometry.kernel_size[0],
        geometry.stride[0],
        geometry.dilation[0],
        top,
    )[0]
    cols = _taps(
        out_w,
        geometry.in_size[1],
        geometry.kernel_size[1],
        geometry.stride[1],
        geometry.dilation[1],
        left,
    )[0]
    return int(
        rows.numel() * cols.numel() * geometry.in_channels * geometry.out_channels
    )


@dataclass(frozen=True)
class SparseMatrix:
    """W in coordinate form: W[rows[k], columns[k]] = values[k].

    `weight_index[k]` is the flat index of the kernel weight that entry k copies,
    in weight.flatten() order, so equal indices mark one shared weight.
    """

    shape: tuple[int, int]
    rows: Tensor
    columns: Tensor
    values: Tensor
    weight_index: Tensor

    def to_torch(self) -> Tensor:
        indices = torch.stack([self.rows, self.columns])
        return torch.sparse_coo_tensor(
            indices, self.values, self.shape, check_invariants=False
        ).coalesce()


def build_matrix(weight: Tensor, geometry: ConvGeometry) -> SparseMatrix:
    """Build W for a 2-D weight (C_out, C_in, kH, kW) without a dense array on the way."""
    top, _, left, _ = geometry.padding
    out_h, out_w = geometry.out_size
    in_h, in_w = geometry.in_size
    k_h, k_w = geometry.kernel_size
    oy, ky, iy = _taps(out_h, in_h, k_h, geometry.stride[0], geometry.dilation[0], top)
    ox, kx, ix = _taps(out_w, in_w, k_w, geometry.stride[1], geometry.dilation[1], left)

    # Every valid (row tap, column tap) pair, for every (out, in) channel pair.
    ny, nx = oy.numel(), ox.numel()
    oy, ky, iy = (t.repeat_interleave(nx) for t in (oy, ky, iy))  # (ny*nx,)
    ox, kx, ix = (t.repeat(ny) for t in (ox, kx, ix))  # (ny*nx,)
    c_out = torch.arange(geometry.out_channels).repeat_interleave(geometry.in_channels)
    c_in = torch.arange(geometry.in_channels).repeat(geometry.out_channels)
    pairs = c_out.numel()
    co = c_out.repeat_interleave(oy.numel())  # (pairs*ny*nx,)
    ci = c_in.repeat_interleave(oy.numel())
    oy, ky, iy, ox, kx, ix = (t.repeat(pairs) for t in (oy, ky, iy, ox, kx, ix))

    rows = (co * out_h + oy) * out_w + ox
    columns = (ci * in_h + iy) * in_w + ix
    weight_index = ((co * geometry.in_channels + ci) * k_h + ky) * k_w + kx
    values = weight.reshape(-1)[weight_index]
    return SparseMatrix(
        (geometry.rows, geometry.columns), rows, columns, values, weight_index
    )


def conv_direct(x: Tensor, weight: Tensor, geometry: ConvGeometry) -> Tensor:
    """torch.nn.functional.conv2d on (C_in, H, W) with the geometry's padding."""
    top, bottom, left, right = geometry.padding
    padded = F.pad(x.unsqueeze(0), (left, right, top, bottom))
    return F.conv2d(padded, weight, stride=geometry.stride, dilation=geometry.dilation)[
        0
    ]


def conv_transpose(g: Tensor, weight: Tensor, geometry: ConvGeometry) -> Tensor:
    """torch.nn.functional.conv_transpose2d of g, cropped to the input's size."""
    top, _, left, _ = geometry.padding
    full = F.conv_transpose2d(
        g.unsqueeze(0), weight, stride=geometry.stride, dilation=geometry.dilation
    )[0]
    in_h, in_w = geometry.in_size
    # conv_transpose2d without padding returns the gradient of the padded input;
    # cropping the padding (and any rows past the input) gives ∂l/∂x.
    result = torch.zeros(geometry.in_channels, in_h, in_w, dtype=g.dtype)
    h = min(in_h, full.shape[1] - top)
    w = min(in_w, full.shape[2] - left)
    result[:, :h, :w] = full[:, top : top + h, left : left + w]
    return result


def flipped_kernel_convolution(
    g: Tensor, weight: Tensor, geometry: ConvGeometry
) -> Tensor:
    """True convolution of g with the kernel flipped in both axes: Wᵀ·g by another route.

    g gets stride − 1 zeros between its values, then a border of
    dilation·(k − 1) − padding (negative values crop), and is cross-correlated with
    the kernel rotated by 180° and its channel axes swapped.
    """
    top, bottom, left, right = geometry.padding
    s_h, s_w = geometry.stride
    out_h, out_w = geometry.out_size
    spread = torch.zeros(
        g.shape[0], (out_h - 1) * s_h + 1, (out_w - 1) * s_w + 1, dtype=g.dtype
    )
    spread[:, ::s_h, ::s_w] = g
    reach_h = geometry.dilation[0] * (geometry.kernel_size[0] - 1)
    reach_w = geometry.dilation[1] * (geometry.kernel_size[1] - 1)
    # Rows of the padded input past the last one the kernel reached get no gradient.
    extra_h = geometry.in_size[0] + top + bottom - (spread.shape[1] + reach_h)
    extra_w = geometry.in_size[1] + left + right - (spread.shape[2] + reach_w)
    border = (
        reach_w - left,
        reach_w - right + extra_w,
        reach_h - top,
        reach_h - bottom + extra_h,
    )
    padded = F.pad(spread.unsqueeze(0), border)
    flipped = weight.flip(-1, -2).transpose(0, 1)  # (C_in, C_out, kH, kW)
    return F.conv2d(padded, flipped, dilation=geometry.dilation)[0]


def autograd_input_gradient(
    x: Tensor, g: Tensor, weight: Tensor, geometry: ConvGeometry
) -> Tensor:
    """∂l/∂x for l = ⟨g, conv(x)⟩, from torch.autograd."""
    with torch.enable_grad():
        leaf = x.detach().clone().requires_grad_(True)
        loss = (conv_direct(leaf, weight, geometry) * g).sum()
        (gradient,) = torch.autograd.grad(loss, leaf)
    return gradient
