import logging
from dataclasses import dataclass

import torch
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from torch import Tensor, nn

from cnnvis.analysis.activations import layer_input
from cnnvis.analysis.conv_matrix import (
    ConvConfigError,
    ConvGeometry,
    check_geometry,
    resolve_padding,
)
from cnnvis.analysis.conv_report import (
    CROSS_CORRELATION_NOTE,
    FLATTENING,
    ConvReport,
    analyse,
    positions,
)
from cnnvis.api.conv_schemas import (
    ConvMatrixOut,
    ConvMatrixRequest,
    ConvMatrixResponse,
    LayerSource,
)
from cnnvis.api.deps import ConvBudgetDep, ModelsDep, SettingsDep
from cnnvis.api.inputs import prepare_input
from cnnvis.api.responses import json_response
from cnnvis.api.routes.layers import ERRORS
from cnnvis.api.schemas import ErrorResponse, TypedArray
from cnnvis.config import Settings
from cnnvis.encoding import encode_indices, encode_tensor
from cnnvis.errors import (
    ClientGoneError,
    CnnvisError,
    NotAFilterLayerError,
    NotFoundError,
)
from cnnvis.inference import require_model
from cnnvis.nets.registry import ServedModel

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["conv-matrix"])

MAX_RETURNED_NONZEROS = 500_000
LAYER_LOC = ("body", "layer")


@dataclass(frozen=True)
class ConvProblem:
    """One convolution to write as a matrix: weights, shapes and the input x."""

    dims: int
    source: str
    weight: Tensor  # (C_out, C_in, kH, kW)
    geometry: ConvGeometry
    x: Tensor  # (C_in, H, W)


def _pair(values: list[int], dims: int, field: str) -> tuple[int, int]:
    """[n] or [a, b] as (height, width); 1-D convolutions have a height of 1."""
    if dims == 2:
        return (values[0], values[0]) if len(values) == 1 else (values[0], values[1])
    if len(values) != 1:
        raise ConvConfigError(
            f"{field} takes one number for a 1-D convolution; got {values}",
            loc=("body", field),
        )
    return 1, values[0]


def _values(
    given: list[float] | None,
    seed: int | None,
    shape: tuple[int, ...],
    field: str,
    default: Tensor,
) -> Tensor:
    """Return the given values, else seeded normal values, else the default, in `shape`."""
    count = int(torch.Size(shape).numel())
    if given is not None:
        if len(given) != count:
            raise ConvConfigError(
                f"{field} has {len(given)} values; shape {list(shape)} needs {count}",
                loc=("body", field),
            )
        return torch.tensor(given, dtype=torch.float64).reshape(shape)
    if seed is not None:
        generator = torch.Generator().manual_seed(seed)
        return torch.randn(shape, generator=generator, dtype=torch.float64)
    return default.reshape(shape).double()


def custom_problem(request: ConvMatrixRequest) -> ConvProblem:
    dims = request.dims
    in_size = _pair(request.input_size, dims, "input_size")
    kernel_size = _pair(request.kernel_size, dims, "kernel_size")
    stride = _pair(request.stride, dims, "stride")
    dilation = _pair(request.dilation, dims, "dilation")
    if isinstance(request.padding, str):
        padding: str | tuple[int, int] = request.padding
    else:
        padding = _pair(request.padding, dims, "padding")
    pads = resolve_padding(padding, kernel_size, dilation, stride)
    if dims == 1:
        # _pair gives 1-D values a height of 1, which for padding is no padding.
        pads = (0, 0, pads[2], pads[3])
    geometry = ConvGeometry(
        request.in_channels,
        request.out_channels,
        in_size,
        kernel_size,
        stride,
        dilation,
        pads,
        one_d=dims == 1,
    )
    weight_shape = (request.out_channels, request.in_channels, *kernel_size)
    count = int(torch.Size(weight_shape).numel())
    weight = _values(
        request.kernel,
        request.kernel_seed,
        weight_shape,
        "kernel",
        torch.arange(1, count + 1),
    )
    x_shape = (request.in_channels, *in_size)
    x = _values(request.x, request.x_seed, x_shape, "x", torch.ones(x_shape))
    return ConvProblem(dims, "custom convolution", weight, geometry, x)


def _channel(index: int | None, count: int, field: str) -> slice:
    if index is None:
        return slice(None)
    if index >= count:
        raise ConvConfigError(
            f"{field} {index} is out of range: the layer has {count} (0..{count - 1})",
            loc=(*LAYER_LOC, field),
        )
    return slice(index, index + 1)


def _find_conv(served: ServedModel, name: str) -> nn.Conv2d:
    convs = [info.name for info in served.layers if info.kind == "conv"]
    if name not in convs:
        kind = next((i.kind for i in served.layers if i.name == name), None)
        if kind is None:
            raise NotFoundError(
                f"layer {name!r} not found in model {served.id!r}. "
                f"Conv layers: {', '.join(convs)}",
                loc=(*LAYER_LOC, "layer"),
            )
        raise NotAFilterLayerError(
            f"layer {name!r} of model {served.id!r} is a {kind} layer, not a conv "
            f"layer. Conv layers: {', '.join(convs)}",
            loc=(*LAYER_LOC, "layer"),
        )
    conv = served.model.get_submodule(name)
    assert isinstance(conv, nn.Conv2d), name
    return conv


def layer_problem(
    source: LayerSource, models: dict[str, ServedModel], settings: Settings
) -> ConvProblem:
    served = require_model(models, source.model, loc=(*LAYER_LOC, "model"))
    conv = _find_conv(served, source.layer)
    out_slice = _channel(source.out_channel, conv.out_channels, "out_channel")
    in_slice = _channel(source.in_channel, conv.in_channels, "in_channel")

    if source.image is not None or source.png is not None:
        try:
            image = prepare_input(source, settings).image
        except CnnvisError as error:
            # The digit sits inside `layer`, so its fields' paths do too.
            error.loc = [*LAYER_LOC, *error.loc[1:]]
            raise
        x = layer_input(served.model, served.layers, source.layer, image)
        input_note = "its input for the request's digit"
    else:
        blank = layer_input(
            served.model, served.layers, source.layer, torch.zeros(28, 28)
        )
        x = torch.randn(blank.shape, generator=torch.Generator().manual_seed(0))
        input_note = "a seeded random input (seed 0)"

    weight = conv.weight.detach()[out_slice, in_slice]
    x = x[in_slice]
    kernel_size = (int(conv.kernel_size[0]), int(conv.kernel_size[1]))
    stride = (int(conv.stride[0]), int(conv.stride[1]))
    dilation = (int(conv.dilation[0]), int(conv.dilation[1]))
    padding = (
        conv.padding
        if isinstance(conv.padding, str)
        else (int(conv.padding[0]), int(conv.padding[1]))
    )
    geometry = ConvGeometry(
        int(weight.shape[1]),
        int(weight.shape[0]),
        (int(x.shape[1]), int(x.shape[2])),
        kernel_size,
        stride,
        dilation,
        resolve_padding(padding, kernel_size, dilation, stride),
    )
    channels = f"out channel {source.out_channel}, in channel {source.in_channel}"
    text = f"{served.id} layer {source.layer}, {channels}, on {input_note}"
    return ConvProblem(2, text.replace("None", "all"), weight, geometry, x)


def _typed(tensor: Tensor, dims: int) -> TypedArray:
    """float32 typed array; 1-D problems drop their height-1 axis."""
    if dims == 1 and tensor.dim() == 3:
        tensor = tensor[:, 0, :]  # (C, 1, L) → (C, L)
    elif dims == 1 and tensor.dim() == 4:
        tensor = tensor[:, :, 0, :]  # (out, in, 1, k) → (out, in, k)
    return TypedArray(**encode_tensor(tensor.float(), "f32"))


def _matrix_out(report: ConvReport, include: bool) -> ConvMatrixOut:
    matrix = report.matrix
    nonzeros = int(matrix.values.numel())
    omitted = None
    if not include:
        omitted = "include_matrix is false"
    elif nonzeros > MAX_RETURNED_NONZEROS:
        omitted = (
            f"{nonzeros:,} non-zeros is more than the {MAX_RETURNED_NONZEROS:,} "
            "sent; the counts and checks cover the whole matrix"
        )
    if omitted is not None:
        return ConvMatrixOut(
            shape=list(matrix.shape),
            nonzeros=nonzeros,
            rows=None,
            columns=None,
            values=None,
            weight_index=None,
            omitted=omitted,
            column_positions=None,
            row_positions=None,
        )
    column_positions, row_positions = positions(report.geometry)
    return ConvMatrixOut(
        shape=list(matrix.shape),
        nonzeros=nonzeros,
        rows=TypedArray(**encode_indices(matrix.rows)),
        columns=TypedArray(**encode_indices(matrix.columns)),
        values=TypedArray(**encode_tensor(matrix.values.float(), "f32")),
        weight_index=TypedArray(**encode_indices(matrix.weight_index)),
        column_positions=TypedArray(**encode_indices(column_positions)),
        row_positions=TypedArray(**encode_indices(row_positions)),
    )


def build_response(
    problem: ConvProblem, report: ConvReport, include_matrix: bool
) -> ConvMatrixResponse:
    dims, geometry = problem.dims, problem.geometry
    squeeze = dims == 1
    out_h, out_w = geometry.out_size
    return ConvMatrixResponse(
        convention=CROSS_CORRELATION_NOTE,
        flattening=FLATTENING,
        dims=dims,
        source=problem.source,
        in_shape=[
            geometry.in_channels,
            *([] if squeeze else [geometry.in_size[0]]),
            geometry.in_size[1],
        ],
        out_shape=[geometry.out_channels, *([] if squeeze else [out_h]), out_w],
        kernel_size=list(geometry.kernel_size[1:] if squeeze else geometry.kernel_size),
        stride=list(geometry.stride[1:] if squeeze else geometry.stride),
        padding=list(geometry.padding),
        dilation=list(geometry.dilation[1:] if squeeze else geometry.dilation),
        kernel=_typed(report.weight, dims),
        flipped_kernel=_typed(report.weight.flip(-1, -2), dims),
        matrix=_matrix_out(report, include_matrix),
        x=_typed(report.x, dims),
        y_matrix=_typed(report.y_matrix, dims),
        y_conv=_typed(report.y_direct, dims),
        g=_typed(report.g, dims),
        transpose_g=_typed(report.transpose_g, dims),
        autograd=_typed(report.autograd, dims),
        conv_transpose=_typed(report.conv_transpose, dims),
        flipped_conv=_typed(report.flipped_conv, dims),
        max_errors=report.max_errors(),
        counts=report.counts(),
        milliseconds={
            "build_and_multiply": report.seconds_build * 1000,
            "direct_convolution": report.seconds_direct * 1000,
        },
    )


def _problem(
    request: ConvMatrixRequest, models: dict[str, ServedModel], settings: Settings
) -> tuple[ConvProblem, int]:
    """Return the convolution to write as a matrix and the matrix's non-zeros."""
    if request.layer is not None:
        problem = layer_problem(request.layer, models, settings)
    else:
        problem = custom_problem(request)
    return problem, check_geometry(problem.geometry)


def _answer(problem: ConvProblem, request: ConvMatrixRequest) -> Response:
    out_shape = (problem.geometry.out_channels, *problem.geometry.out_size)
    g = _values(request.g, request.g_seed, out_shape, "g", torch.ones(out_shape))
    report = analyse(problem.weight, problem.geometry, problem.x, g)
    return json_response(build_response(problem, report, request.include_matrix))


@router.post(
    "/conv-matrix",
    responses={
        **ERRORS,
        503: {"model": ErrorResponse, "description": "Too many large matrices"},
    },
    response_model=ConvMatrixResponse,
)
async def compute_conv_matrix(
    request: ConvMatrixRequest,
    http_request: Request,
    models: ModelsDep,
    settings: SettingsDep,
    budget: ConvBudgetDep,
) -> Response:
    """Write a convolution as a sparse matrix and check it, and its transpose, against PyTorch."""
    problem, nonzeros = await run_in_threadpool(_problem, request, models, settings)
    # The matrix is built only once its non-zeros fit in the process's budget,
    # and not at all for a client that left while it waited.
    async with budget.reserve(nonzeros):
        if await http_request.is_disconnected():
            logger.info(
                "skipped conv-matrix: client disconnected nonzeros=%d", nonzeros
            )
            raise ClientGoneError("the client disconnected before the matrix was built")
        return await run_in_threadpool(_answer, problem, request)
