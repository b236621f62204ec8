from dataclasses import asdict
from typing import Annotated

import torch
from fastapi import APIRouter, Query, Response
from torch import Tensor

from cnnvis.analysis import parameters
from cnnvis.analysis.activations import (
    LayerValues,
    check_layer_names,
    compute_activations,
)
from cnnvis.analysis.filters import read_layer_weights
from cnnvis.api.deps import ModelsDep, SettingsDep
from cnnvis.api.inputs import prepare_input
from cnnvis.api.responses import json_response
from cnnvis.api.schemas import (
    ActivationRequest,
    ActivationResponse,
    ErrorResponse,
    FilterResponse,
    LayerActivation,
    ParameterResponse,
    ParameterRow,
    TypedArray,
)
from cnnvis.encoding import Encoding, encode_tensor
from cnnvis.inference import require_model

router = APIRouter(prefix="/api/v1", tags=["layers"])

ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "Unknown model or layer"},
    413: {"model": ErrorResponse, "description": "Body or image too large"},
    422: {"model": ErrorResponse, "description": "Invalid input"},
}
EncodingQuery = Annotated[
    Encoding, Query(description="f32: float32 values; u8: bytes scaled per map.")
]


def _encode(tensor: Tensor | None, encoding: Encoding) -> TypedArray | None:
    return None if tensor is None else TypedArray(**encode_tensor(tensor, encoding))


def _layer_activation(entry: LayerValues, encoding: Encoding) -> LayerActivation:
    values = _encode(entry.values, encoding)
    assert values is not None
    return LayerActivation(
        **asdict(entry.info),
        stage=entry.stage,
        values=values,
        activation=_encode(entry.activation, encoding),
        activation_layer=entry.activation_layer,
        source_conv=entry.source_conv,
        branch=_encode(entry.parts.get("branch"), encoding),
        skip=_encode(entry.parts.get("skip"), encoding),
        sum=_encode(entry.parts.get("sum"), encoding),
    )


@router.post("/activations", responses=ERRORS, response_model=ActivationResponse)
def compute_layer_activations(
    request: ActivationRequest, models: ModelsDep, settings: SettingsDep
) -> Response:
    """Return the values of every layer (or of the chosen layers) for one digit."""
    served = require_model(models, request.model, loc=("body", "model"))
    if request.layers is not None:
        check_layer_names(request.layers, served.layers, served.id)
    prepared = prepare_input(request, settings)
    entries = compute_activations(served.model, served.layers, prepared.image)
    wanted = set(request.layers or [entry.info.name for entry in entries])
    logits = next(e.values for e in entries if e.info.name == served.model.logits_layer)
    probabilities = torch.softmax(logits.double(), dim=0)
    return json_response(
        ActivationResponse(
            model=served.id,
            encoding=request.encoding,
            input=prepared.image.tolist(),
            prediction=int(probabilities.argmax()),
            probabilities=probabilities.tolist(),
            layers=[
                _layer_activation(e, request.encoding)
                for e in entries
                if e.info.name in wanted
            ],
        )
    )


@router.get(
    "/models/{model_id}/layers/{layer}/filters",
    responses=ERRORS,
    response_model=FilterResponse,
)
def read_filters(
    model_id: str,
    layer: str,
    models: ModelsDep,
    encoding: EncodingQuery = "f32",
    matrix: Annotated[
        bool, Query(description="Linear layers: also send the weight matrix.")
    ] = False,
) -> Response:
    """Return the weights, bias and per-filter norms of a conv or linear layer."""
    served = require_model(models, model_id, loc=("path", "model_id"))
    weights = read_layer_weights(served.model, served.layers, layer, served.id)
    send_weight = weights.kind == "conv" or matrix
    return json_response(
        FilterResponse(
            model=served.id,
            layer=layer,
            kind="conv" if weights.kind == "conv" else "linear",
            weight_shape=list(weights.weight.shape),
            weight=_encode(weights.weight, encoding) if send_weight else None,
            bias=_encode(weights.bias, encoding),
            norms=weights.norms.tolist(),
            stride=None if weights.stride is None else list(weights.stride),
            padding=weights.padding
            if isinstance(weights.padding, str | None)
            else list(weights.padding),
            dilation=None if weights.dilation is None else list(weights.dilation),
        )
    )


@router.get("/models/{model_id}/parameters", responses=ERRORS)
def read_parameters(model_id: str, models: ModelsDep) -> ParameterResponse:
    """Compare each conv layer's parameters with a fully connected layer's."""
    served = require_model(models, model_id, loc=("path", "model_id"))
    rows = parameters.compare_model(served.model, served.layers)
    return ParameterResponse(
        model=served.id,
        rows=[ParameterRow(**asdict(row)) for row in rows],
        reference=ParameterRow(**asdict(parameters.reference_example())),
        explanation=parameters.EXPLANATION,
    )
