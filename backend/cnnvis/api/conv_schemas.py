"""Request and response models of POST /api/v1/conv-matrix."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cnnvis.api.schemas import DigitInput, TypedArray

# Results are sent as float32, which overflows at 3.4e38. Products of two values
# up to 1e6, summed over a kernel, stay far below that.
MAX_ABS_VALUE = 1e6
FiniteFloat = Annotated[
    float, Field(allow_inf_nan=False, ge=-MAX_ABS_VALUE, le=MAX_ABS_VALUE)
]
Size = Annotated[int, Field(ge=1, le=64)]
Kernel = Annotated[int, Field(ge=1, le=11)]
Step = Annotated[int, Field(ge=1, le=8)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]
MAX_VALUES = 64 * 64 * 8
# Fields that describe a custom convolution; a trained layer has its own.
CUSTOM_FIELDS = (
    "dims",
    "in_channels",
    "out_channels",
    "input_size",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "kernel",
    "kernel_seed",
    "x",
    "x_seed",
)


class LayerSource(DigitInput):
    """A conv layer of a served model, fed with its real input for a digit.

    Without `image` and `png`, the layer's input is seeded random values.
    """

    model: str = Field(description="Model id: cnn, resnet or plain.")
    layer: str = Field(
        description="Name of a conv layer, e.g. conv1 or layer2.0.conv1."
    )
    out_channel: int | None = Field(
        default=0, ge=0, description="Output channel; null for all."
    )
    in_channel: int | None = Field(
        default=0, ge=0, description="Input channel; null for all."
    )

    @model_validator(mode="after")
    def check_one_input(self) -> Self:
        if self.image is not None and self.png is not None:
            raise ValueError("send at most one of image and png")
        return self


class ConvMatrixRequest(BaseModel):
    """A custom convolution (the default is the 1-D example: six ones, kernel 1, 2, 3), or `layer`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dims: Literal[1, 2] = 1
    in_channels: Annotated[int, Field(ge=1, le=8)] = 1
    out_channels: Annotated[int, Field(ge=1, le=8)] = 1
    input_size: list[Size] = Field(
        default=[6],
        min_length=1,
        max_length=2,
        description="[length] or [height, width].",
    )
    kernel_size: list[Kernel] = Field(
        default=[3], min_length=1, max_length=2, description="[k] or [kH, kW]."
    )
    stride: list[Step] = Field(default=[1], min_length=1, max_length=2)
    padding: list[int] | str = Field(
        default=[0],
        description="Zeros added on each side: [p] or [pH, pW] (0..16), 'same' or "
        "'valid'.",
    )
    dilation: list[Step] = Field(default=[1], min_length=1, max_length=2)
    kernel: list[FiniteFloat] | None = Field(
        default=None,
        max_length=8 * 8 * 11 * 11,
        description="Weights in (out, in, kH, kW) C order; 1, 2, 3, … when omitted "
        "and no kernel_seed is given.",
    )
    kernel_seed: Seed | None = Field(
        default=None, description="Seed of random weights."
    )
    x: list[FiniteFloat] | None = Field(
        default=None,
        max_length=MAX_VALUES,
        description="Input in (channel, row, column) C order; ones when omitted and "
        "no x_seed is given.",
    )
    x_seed: Seed | None = None
    g: list[FiniteFloat] | None = Field(
        default=None,
        max_length=MAX_VALUES,
        description="Upstream gradient ∂l/∂y in the output's C order; ones when "
        "omitted and no g_seed is given.",
    )
    g_seed: Seed | None = None
    layer: LayerSource | None = Field(
        default=None,
        description="Use a trained conv layer instead of the custom fields.",
    )
    include_matrix: bool = Field(
        default=True, description="Send W's entries (up to 500,000 non-zeros)."
    )

    @field_validator("padding")
    @classmethod
    def check_padding(cls, padding: list[int] | str) -> list[int] | str:
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"padding {padding!r} is not valid; use [p], [pH, pW], 'same' or 'valid'"
                )
            return padding
        if not 1 <= len(padding) <= 2 or not all(0 <= p <= 16 for p in padding):
            raise ValueError(
                f"padding {padding} is not valid; use one or two whole numbers in 0..16, "
                "'same' or 'valid'"
            )
        return padding

    @model_validator(mode="after")
    def check_layer_alone(self) -> Self:
        custom = [name for name in CUSTOM_FIELDS if name in self.model_fields_set]
        if self.layer is not None and custom:
            raise ValueError(
                f"{', '.join(custom)} describe a custom convolution and cannot be "
                "combined with layer, which takes its shapes and input from the model"
            )
        return self


class ConvMatrixOut(BaseModel):
    shape: list[int]
    nonzeros: int
    rows: TypedArray | None = Field(description="Row index of each non-zero (int32).")
    columns: TypedArray | None = Field(description="Column index of each non-zero.")
    values: TypedArray | None
    weight_index: TypedArray | None = Field(
        description="Flat index into the kernel (out, in, kH, kW) of each non-zero: "
        "equal indices are one shared weight."
    )
    omitted: str | None = Field(
        default=None, description="Why the entries were left out."
    )
    column_positions: TypedArray | None = Field(
        description="(columns, 3): the input (channel, row, column) of each column."
    )
    row_positions: TypedArray | None = Field(
        description="(rows, 3): the output (channel, row, column) of each row."
    )


class ConvMatrixResponse(BaseModel):
    convention: str
    flattening: str
    dims: int
    source: str
    in_shape: list[int]
    out_shape: list[int]
    kernel_size: list[int]
    stride: list[int]
    padding: list[int] = Field(description="Resolved as [top, bottom, left, right].")
    dilation: list[int]
    kernel: TypedArray = Field(description="(out, in, kH, kW).")
    flipped_kernel: TypedArray = Field(description="The kernel rotated by 180°.")
    matrix: ConvMatrixOut
    x: TypedArray
    y_matrix: TypedArray = Field(description="W·x.")
    y_conv: TypedArray = Field(description="torch.nn.functional.conv2d of x.")
    g: TypedArray
    transpose_g: TypedArray = Field(description="Wᵀ·g.")
    autograd: TypedArray = Field(description="∂l/∂x for l = ⟨g, conv(x)⟩.")
    conv_transpose: TypedArray = Field(description="conv_transpose2d of g.")
    flipped_conv: TypedArray = Field(
        description="True convolution of g with the flipped kernel."
    )
    max_errors: dict[str, float]
    counts: dict[str, float]
    milliseconds: dict[str, float]
