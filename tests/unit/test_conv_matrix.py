"""The convolution matrix against torch.nn.functional, on random and fixed cases."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnvis.analysis.conv_matrix import (
    ConvConfigError,
    ConvGeometry,
    autograd_input_gradient,
    build_matrix,
    conv_transpose,
    flipped_kernel_convolution,
    resolve_padding,
)

TOLERANCE = 1e-10


def dense(weight: torch.Tensor, geometry: ConvGeometry) -> torch.Tensor:
    return build_matrix(weight, geometry).to_torch().to_dense()


@st.composite
def configurations(draw: st.DrawFn) -> tuple[ConvGeometry, str | tuple[int, int]]:
    one_d = draw(st.booleans())
    height = 1 if one_d else draw(st.integers(1, 9))
    width = draw(st.integers(1, 9))
    kernel = (1 if one_d else draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (1 if one_d else draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1 if one_d else draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if stride == (1, 1) and draw(st.booleans()):
        padding: str | tuple[int, int] = draw(st.sampled_from(["same", "valid"]))
    else:
        padding = (0 if one_d else draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    geometry = ConvGeometry(
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
        (height, width),
        kernel,
        stride,
        dilation,
        resolve_padding(padding, kernel, dilation, stride),
    )
    return geometry, padding


# PyTorch warns that 'same' with an even kernel copies the input; that is expected.
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=300, deadline=None)
@given(configurations(), st.integers(0, 2**31))
def test_matrix_matches_pytorch(
    configuration: tuple[ConvGeometry, str | tuple[int, int]], seed: int
) -> None:
    geometry, padding = configuration
    generator = torch.Generator().manual_seed(seed)
    weight_shape = (geometry.out_channels, geometry.in_channels, *geometry.kernel_size)
    weight = torch.randn(weight_shape, generator=generator, dtype=torch.float64)
    x = torch.randn(
        geometry.in_channels,
        *geometry.in_size,
        generator=generator,
        dtype=torch.float64,
    )
    try:
        expected = F.conv2d(
            x[None],
            weight,
            stride=geometry.stride,
            padding=padding,
            dilation=geometry.dilation,
        )[0]
    except RuntimeError:
        # PyTorch rejects a kernel larger than the padded input; so does the geometry.
        assert min(geometry.out_size) < 1
        return
    assert tuple(expected.shape) == (geometry.out_channels, *geometry.out_size)

    matrix = dense(weight, geometry)
    g = torch.randn(expected.shape, generator=generator, dtype=torch.float64)
    transposed = (matrix.T @ g.reshape(-1)).reshape(x.shape)
    autograd = autograd_input_gradient(x, g, weight, geometry)

    assert (
        (matrix @ x.reshape(-1)).reshape(expected.shape) - expected
    ).abs().max() < TOLERANCE
    assert (transposed - autograd).abs().max() < TOLERANCE
    assert (conv_transpose(g, weight, geometry) - autograd).abs().max() < TOLERANCE
    assert (
        flipped_kernel_convolution(g, weight, geometry) - autograd
    ).abs().max() < TOLERANCE


@settings(max_examples=100, deadline=None)
@given(configurations())
def test_conv_transpose_matches_torch(
    configuration: tuple[ConvGeometry, str | tuple[int, int]],
) -> None:
    geometry, padding = configuration
    top, bottom, left, right = geometry.padding
    if min(geometry.out_size) < 1 or top != bottom or left != right:
        return
    weight = torch.randn(
        geometry.out_channels,
        geometry.in_channels,
        *geometry.kernel_size,
        dtype=torch.float64,
    )
    g = torch.randn(geometry.out_channels, *geometry.out_size, dtype=torch.float64)
    # output_padding makes conv_transpose2d return exactly the input's size.
    output_padding = []
    for axis, pad in enumerate((top, left)):
        reach = geometry.dilation[axis] * (geometry.kernel_size[axis] - 1)
        natural = (
            (geometry.out_size[axis] - 1) * geometry.stride[axis] - 2 * pad + reach + 1
        )
        output_padding.append(geometry.in_size[axis] - natural)
    if any(
        p < 0 or p >= max(s, d)
        for p, s, d in zip(
            output_padding, geometry.stride, geometry.dilation, strict=True
        )
    ):
        return

    expected = F.conv_transpose2d(
        g[None],
        weight,
        stride=geometry.stride,
        padding=(top, left),
        output_padding=tuple(output_padding),
        dilation=geometry.dilation,
    )[0]

    assert (conv_transpose(g, weight, geometry) - expected).abs().max() < TOLERANCE


def test_lecture_example_4_by_6() -> None:
    geometry = ConvGeometry(1, 1, (1, 6), (1, 3), (1, 1), (1, 1), (0, 0, 0, 0))
    weight = torch.tensor([[[[1.0, 2.0, 3.0]]]], dtype=torch.float64)

    matrix = dense(weight, geometry)

    expected = torch.tensor(
        [
            [1, 2, 3, 0, 0, 0],
            [0, 1, 2, 3, 0, 0],
            [0, 0, 1, 2, 3, 0],
            [0, 0, 0, 1, 2, 3],
        ],
        dtype=torch.float64,
    )
    assert torch.equal(matrix, expected)
    assert torch.equal(
        matrix @ torch.ones(6, dtype=torch.float64), torch.full((4,), 6.0)
    )
    # Wᵀ's rows hold the kernel reversed: row 2 of Wᵀ is (3, 2, 1, 0).
    assert torch.equal(
        matrix.T[2], torch.tensor([3.0, 2.0, 1.0, 0.0], dtype=torch.float64)
    )


def test_delta_image_gives_rotated_kernel() -> None:
    geometry = ConvGeometry(1, 1, (5, 5), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1))
    kernel = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    delta = torch.zeros(1, 5, 5, dtype=torch.float64)
    delta[0, 2, 2] = 1.0

    output = (dense(kernel, geometry) @ delta.reshape(-1)).reshape(5, 5)

    # Cross-correlation returns the kernel rotated by 180°; a true convolution
    # would return it as it is.
    rotated = torch.tensor([[9.0, 8, 7], [6, 5, 4], [3, 2, 1]], dtype=torch.float64)
    assert torch.equal(output[1:4, 1:4], rotated)
    assert torch.equal(F.conv2d(delta[None], kernel, padding=1)[0, 0], output)


def test_stride_2_matrix_is_9_by_25() -> None:
    geometry = ConvGeometry(1, 1, (5, 5), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1))

    matrix = dense(torch.ones(1, 1, 3, 3, dtype=torch.float64), geometry)

    assert tuple(matrix.shape) == (9, 25)
    assert int((matrix != 0).sum()) == 4 * 4 + 4 * 6 + 9  # corners, edges, centre


def test_shared_weights_indexed() -> None:
    geometry = ConvGeometry(2, 3, (4, 4), (2, 2), (1, 1), (1, 1), (0, 0, 0, 0))
    weight = torch.randn(3, 2, 2, 2, dtype=torch.float64)

    sparse = build_matrix(weight, geometry)

    assert torch.equal(sparse.values, weight.reshape(-1)[sparse.weight_index])
    assert int(sparse.weight_index.unique().numel()) == weight.numel()
    assert sparse.values.numel() == 3 * 9 * 2 * 4


def test_same_padding_with_stride_rejected() -> None:
    try:
        resolve_padding("same", (3, 3), (1, 1), (2, 2))
    except ConvConfigError as error:
        assert "stride 1" in error.message
    else:
        raise AssertionError("padding 'same' with stride 2 was accepted")
