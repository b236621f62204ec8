from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from cnnvis.api.deps import ModelsDep
from cnnvis.api.schemas import ErrorResponse, LayerInfoOut, ModelList, ModelOut
from cnnvis.inference import require_model

router = APIRouter(prefix="/api/v1", tags=["models"])


@router.get("/models")
def read_models(models: ModelsDep) -> ModelList:
    """List the served models with their layers, sizes and test accuracy."""
    return ModelList(
        models=[
            ModelOut(
                id=served.id,
                name=served.name,
                description=served.card.get("description", ""),
                num_params=served.num_params,
                test_accuracy=served.test_accuracy,
                layers=[LayerInfoOut(**asdict(info)) for info in served.layers],
            )
            for served in models.values()
        ]
    )


@router.get("/models/{model_id}/card", responses={404: {"model": ErrorResponse}})
def read_model_card(model_id: str, models: ModelsDep) -> dict[str, Any]:
    """Return the model card: data, training settings, history and accuracy."""
    return require_model(models, model_id, loc=("path", "model_id")).card
