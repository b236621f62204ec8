"""Prediction with the served models."""

from collections.abc import Mapping, Sequence

import torch

from cnnvis.errors import UnknownModelError
from cnnvis.nets.registry import ServedModel


def require_model(
    models: Mapping[str, ServedModel], model_id: str, *, loc: tuple[str, ...]
) -> ServedModel:
    """Return the served model with this id, or raise a 404 listing the known ids."""
    if model_id not in models:
        raise UnknownModelError(
            f"unknown model {model_id!r}; known models: {', '.join(models)}", loc=loc
        )
    return models[model_id]


def resolve_model_ids(
    requested: Sequence[str] | None, known: Sequence[str]
) -> list[str]:
    """Return the requested ids in request order (all known ids when None)."""
    if requested is None:
        return list(known)
    for position, model_id in enumerate(requested):
        if model_id not in known:
            raise UnknownModelError(
                f"unknown model {model_id!r}; known models: {', '.join(known)}",
                loc=("body", "models", position),
            )
    return list(dict.fromkeys(requested))


def predict(
    models: Mapping[str, ServedModel], model_ids: Sequence[str], image: torch.Tensor
) -> dict[str, tuple[list[float], int]]:
    """Run each model on one 28×28 digit; return its probabilities and argmax."""
    batch = image.reshape(1, 1, 28, 28)
    results = {}
    with torch.inference_mode():
        for model_id in model_ids:
            logits = models[model_id].fast_logits(batch)[0]
            # Softmax in float64 so that the ten numbers sum to 1 within 1e-12.
            probabilities = torch.softmax(logits.double(), dim=0)
            results[model_id] = (probabilities.tolist(), int(probabilities.argmax()))
    return results
