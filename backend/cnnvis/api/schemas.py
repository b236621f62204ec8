"""Request and response models of the HTTP API."""

import math
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cnnvis.preprocess import CANVAS_SIZE

Row = Annotated[list[float], Field(min_length=CANVAS_SIZE, max_length=CANVAS_SIZE)]
# A data URL of a 1024×1024 PNG is below 2 MB base64 in practice; the body limit
# (CNNVIS_MAX_BODY_BYTES) is the real bound.
MAX_PNG_CHARS = 4 * 1024 * 1024


class LayerInfoOut(BaseModel):
    name: str = Field(description="Dotted module path, e.g. 'layer1.0.conv1'.")
    kind: str = Field(
        description="conv, batchnorm, relu, pool, block, add, linear, ..."
    )
    shape: list[int] = Field(
        description="Output shape for one digit, without the batch dimension."
    )
    params: int = Field(
        description="Parameters of this layer (of the whole block for a block)."
    )
    parent: str | None = Field(description="The block this layer belongs to, if any.")


class ModelOut(BaseModel):
    id: str
    name: str
    description: str
    num_params: int
    test_accuracy: float = Field(
        description="Fraction of the 2,000 held-out digits classified correctly."
    )
    layers: list[LayerInfoOut]


class ModelList(BaseModel):
    models: list[ModelOut]


class DigitInput(BaseModel):
    """One digit: exactly one of `image` and `png`."""

    # Strict: "0.5", true or 3.0 where a number or a whole number belongs is
    # a client's mistake to report, not a value to guess.
    model_config = ConfigDict(extra="forbid", strict=True)

    image: (
        Annotated[list[Row], Field(min_length=CANVAS_SIZE, max_length=CANVAS_SIZE)]
        | None
    ) = Field(
        default=None,
        description="28×28 values in 0..1, white ink on black, used as they are.",
    )
    png: Annotated[str, Field(max_length=MAX_PNG_CHARS)] | None = Field(
        default=None,
        description="A PNG data URL of a canvas up to 1024×1024, prepared as MNIST was.",
    )

    @field_validator("image")
    @classmethod
    def check_values(cls, image: list[list[float]] | None) -> list[list[float]] | None:
        if image is None:
            return image
        for row_index, row in enumerate(image):
            for col_index, value in enumerate(row):
                if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                    raise ValueError(
                        f"image[{row_index}][{col_index}] is {value}; every value "
                        "must be a finite number in 0..1"
                    )
        return image

    @model_validator(mode="after")
    def check_one_input(self) -> Self:
        if (self.image is None) == (self.png is None):
            raise ValueError(
                "send exactly one of image (28×28 values) and png (a PNG data URL)"
            )
        return self


class PredictRequest(DigitInput):
    models: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=3,
        description="Model ids to run (cnn, resnet, plain); all of them when omitted.",
    )


class ModelResult(BaseModel):
    probabilities: list[float] = Field(description="p(0)…p(9); they sum to 1.")
    prediction: int = Field(description="The digit with the highest probability.")


class PredictResponse(BaseModel):
    input: list[list[float]] = Field(description="The 28×28 image fed to the models.")
    results: dict[str, ModelResult]


class Sample(BaseModel):
    label: int
    index: int = Field(description="Index among the held-out digits of this label.")
    count: int = Field(description="Held-out digits of this label.")
    image: list[list[float]]


class Health(BaseModel):
    status: str
    models: list[str]


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


class TypedArray(BaseModel):
    """A tensor as plotly.js reads it: base64 `bdata` with `dtype` and `shape`.

    With encoding `i32` the values are int32 indices. With encoding `u8`, map m decodes as min[m] + byte / 255 × (max[m] - min[m]),
    where a map is one channel of a (C, H, W) tensor or the whole tensor otherwise.
    """

    encoding: Literal["f32", "u8", "i32"]
    dtype: Literal["f4", "u1", "i4"]
    shape: list[int]
    bdata: str
    min: list[float] | None = None
    max: list[float] | None = None


class ActivationRequest(DigitInput):
    model: str = Field(description="Model id: cnn, resnet or plain.")
    layers: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Layer names to return, in any order; all layers when omitted.",
    )
    encoding: Literal["f32", "u8"] = Field(
        default="u8",
        description="f32: float32 values as they are; u8: bytes scaled per map.",
    )


class LayerActivation(LayerInfoOut):
    stage: str = Field(
        description="pre-activation (z = W * a + b, or BatchNorm of it, or a block's "
        "sum), post-activation (a = f(z)), output (pooling, flatten, dropout), or "
        "probabilities (softmax)."
    )
    values: TypedArray
    activation: TypedArray | None = Field(
        default=None,
        description="Conv and linear layers: the output of the first nonlinearity "
        "after them (activation_layer). In resnet and plain that includes the "
        "BatchNorm between, and for a block's conv2 and shortcut the skip sum too.",
    )
    activation_layer: str | None = None
    source_conv: str | None = Field(
        default=None,
        description="The conv layer whose output channels these maps follow.",
    )
    branch: TypedArray | None = Field(
        default=None, description="Blocks: the residual branch, before the sum."
    )
    skip: TypedArray | None = Field(
        default=None,
        description="Blocks with a skip connection: the identity or projection path.",
    )
    sum: TypedArray | None = Field(
        default=None,
        description="Blocks with a skip connection: branch + skip, before the ReLU.",
    )


class ActivationResponse(BaseModel):
    model: str
    encoding: str
    input: list[list[float]]
    prediction: int
    probabilities: list[float]
    layers: list[LayerActivation]


class FilterResponse(BaseModel):
    model: str
    layer: str
    kind: Literal["conv", "linear"]
    weight_shape: list[int]
    weight: TypedArray | None = Field(
        description="Conv: (out, in, kH, kW). Linear: (out, in), only with matrix=true."
    )
    bias: TypedArray | None
    norms: list[float] = Field(
        description="L2 norm of each filter (conv) or row (linear)."
    )
    stride: list[int] | None = None
    padding: list[int] | str | None = None
    dilation: list[int] | None = None


class ParameterRow(BaseModel):
    name: str
    input_shape: list[int]
    output_shape: list[int]
    kernel_size: list[int]
    has_bias: bool
    weights_per_unit_conv: int = Field(
        description="Locality: k·k·C_in weights per output unit."
    )
    weights_per_unit_dense: int = Field(
        description="H_in·W_in·C_in weights per output unit."
    )
    positions_sharing_a_kernel: int = Field(
        description="Sharing: H_out·W_out positions."
    )
    conv_params: int
    locally_connected_params: int
    dense_params: int
    dense_weights: int = Field(description="dense_params without the biases.")
    locality_factor: float
    sharing_factor: float
    total_factor: float


class ParameterResponse(BaseModel):
    model: str
    rows: list[ParameterRow]
    reference: ParameterRow = Field(
        description="32×32×3 to 28×28×6 with 5×5 kernels: 14.5 million dense weights, 456 conv parameters."
    )
    explanation: str
