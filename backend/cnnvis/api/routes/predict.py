from fastapi import APIRouter, Response

from cnnvis.api.deps import ModelsDep, SettingsDep
from cnnvis.api.inputs import prepare_input
from cnnvis.api.responses import json_response
from cnnvis.api.schemas import (
    ErrorResponse,
    ModelResult,
    PredictRequest,
    PredictResponse,
)
from cnnvis.inference import predict, resolve_model_ids

router = APIRouter(prefix="/api/v1", tags=["predict"])

ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "Unknown model id"},
    413: {"model": ErrorResponse, "description": "Body or image too large"},
    422: {"model": ErrorResponse, "description": "Invalid input or nothing drawn"},
}


@router.post("/predict", responses=ERRORS, response_model=PredictResponse)
def predict_digit(
    request: PredictRequest, models: ModelsDep, settings: SettingsDep
) -> Response:
    """Predict the digit in a drawing (PNG) or a 28×28 image with each model."""
    model_ids = resolve_model_ids(request.models, list(models))
    prepared = prepare_input(request, settings)
    results = predict(models, model_ids, prepared.image)
    return json_response(
        PredictResponse(
            input=prepared.image.tolist(),
            results={
                model_id: ModelResult(
                    probabilities=probabilities, prediction=prediction
                )
                for model_id, (probabilities, prediction) in results.items()
            },
        )
    )
