from dataclasses import asdict

from fastapi import APIRouter

from cnnvis.api.deps import ModelsDep
from cnnvis.api.schemas import LayerInfoOut, ModelList, ModelOut

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
