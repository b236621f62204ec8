"""Request and response models of the HTTP API."""

import math
from typing import Annotated, Self

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


class PredictRequest(BaseModel):
    """Exactly one of `image` and `png`."""

    model_config = ConfigDict(extra="forbid")

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
    models: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=3,
        description="Model ids to run (cnn, resnet, plain); all of them when omitted.",
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
