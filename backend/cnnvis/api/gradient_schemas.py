"""Request and response models of the gradient endpoints."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cnnvis.api.schemas import DigitInput


class GradientRequest(DigitInput):
    model: str = Field(description="Model id: cnn, resnet or plain.")
    target: int | None = Field(
        default=None,
        ge=0,
        le=9,
        description="Class of the loss; the prediction when omitted.",
    )


class LayerGradientOut(BaseModel):
    name: str
    kind: str
    activation_grad_norm: float | None = Field(
        description="‖∂l/∂a‖ of the layer's output."
    )
    weight_grad_norm: float | None = Field(description="‖∂l/∂W‖; null without weights.")
    bias_grad_norm: float | None = Field(description="‖∂l/∂b‖; null without a bias.")
    weight_norm: float | None = Field(description="‖W‖; null without weights.")
    grad_to_weight_ratio: float | None = Field(description="‖∂l/∂W‖ / ‖W‖.")
    non_finite: bool = Field(
        description="A gradient was NaN or infinite (sent as null)."
    )
    note: str | None = Field(description="Why a value is null, when it is.")


class GradientResponse(BaseModel):
    model: str
    norm: str
    loss: str
    target: int
    loss_value: float
    prediction: int
    probabilities: list[float]
    layers: list[LayerGradientOut]


class GradientFlowRequest(BaseModel):
    """Options of the plain-versus-residual experiment; the cost is bounded (see `budget`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    blocks: int = Field(
        default=25, ge=1, le=60, description="Residual blocks (2 convs each)."
    )
    width: int = Field(default=8, ge=2, le=32, description="Channels of every conv.")
    batchnorm: bool = False
    init: Literal["default", "kaiming", "xavier"] = Field(
        default="default",
        description="PyTorch's default, Kaiming normal or Xavier normal.",
    )
    steps: int = Field(
        default=0, ge=0, le=200, description="Adam steps on training digits."
    )
    batch_size: int = Field(default=32, ge=4, le=64)
    lr: float = Field(default=1e-3, gt=0, le=1, allow_inf_nan=False)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class GradientFlowResponse(BaseModel):
    config: dict[str, Any]
    norm: str
    loss: str
    cost: float = Field(
        description="blocks × max(steps, 1) × width² × batch_size / 2048."
    )
    budget: float
    networks: dict[str, Any] = Field(
        description="plain and residual: at_init and after_training (per-conv "
        "weight_grad_norms, weight_norms, per-block block_activation_grad_norms, "
        "loss), first_to_last ratios, loss_per_step."
    )
    seconds: float
    cached: bool
