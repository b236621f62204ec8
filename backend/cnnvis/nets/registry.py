"""Load the committed weights with their model cards, checked before serving."""

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file

from cnnvis.errors import ModelLoadError
from cnnvis.nets import MODEL_IDS, LayerInfo, LayerwiseNet, build_model, describe_layers
from cnnvis.nets.fused import Logits, fused_logits

logger = logging.getLogger(__name__)

DISPLAY_NAMES = {
    "cnn": "Digit CNN",
    "resnet": "ResNet",
    "plain": "Plain (ResNet without skips)",
}
TRAIN_HINT = (
    "Run `cnnvis train` to write it, or restore it with `git checkout models/`."
)


@dataclass(frozen=True)
class ServedModel:
    """A trained network in eval mode with its card and layer description."""

    id: str
    name: str
    model: LayerwiseNet
    card: dict[str, Any]
    layers: list[LayerInfo]
    num_params: int
    # The same logits with BatchNorm folded into the convolutions, for /predict.
    fast_logits: Logits

    @property
    def test_accuracy(self) -> float:
        return float(self.card["test_accuracy"])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_card(card_path: Path) -> dict[str, Any]:
    if not card_path.is_file():
        raise ModelLoadError(f"model card {card_path} is missing. {TRAIN_HINT}")
    try:
        card: dict[str, Any] = json.loads(card_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelLoadError(
            f"model card {card_path} is not valid JSON ({error}). {TRAIN_HINT}"
        ) from error
    if not isinstance(card, dict):
        raise ModelLoadError(
            f"model card {card_path} is not a JSON object. {TRAIN_HINT}"
        )
    missing = [
        key for key in ("sha256", "num_params", "test_accuracy") if key not in card
    ]
    if missing:
        raise ModelLoadError(
            f"model card {card_path} lacks {', '.join(missing)}. {TRAIN_HINT}"
        )
    return card


def load_model(model_id: str, models_dir: Path) -> ServedModel:
    """Load one model, checking the weights' checksum and shapes against its card.

    Weights are read with safetensors only, never with pickle.
    """
    if model_id not in MODEL_IDS:
        raise ModelLoadError(
            f"unknown model id {model_id!r}; known ids: {', '.join(MODEL_IDS)}"
        )
    weights_path = models_dir / f"{model_id}.safetensors"
    card = _read_card(models_dir / f"{model_id}.json")
    if not weights_path.is_file():
        raise ModelLoadError(f"weights file {weights_path} is missing. {TRAIN_HINT}")

    digest = _sha256(weights_path)
    if digest != card["sha256"]:
        raise ModelLoadError(
            f"weights file {weights_path} has sha256 {digest}, but its model card "
            f"expects {card['sha256']}: the file is corrupt or was replaced. {TRAIN_HINT}"
        )
    try:
        state = load_file(str(weights_path))
    except (SafetensorError, OSError) as error:
        raise ModelLoadError(
            f"weights file {weights_path} could not be read ({error}). {TRAIN_HINT}"
        ) from error

    model = build_model(model_id)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ModelLoadError(
            f"weights file {weights_path} does not fit the {model_id} network: {error}. {TRAIN_HINT}"
        ) from error
    model.eval()

    num_params = sum(p.numel() for p in model.parameters())
    if num_params != card["num_params"]:
        raise ModelLoadError(
            f"model card of {model_id} lists {card['num_params']} parameters, the network "
            f"has {num_params}. {TRAIN_HINT}"
        )
    return ServedModel(
        id=model_id,
        name=DISPLAY_NAMES[model_id],
        model=model,
        card=card,
        layers=describe_layers(model),
        num_params=num_params,
        fast_logits=fused_logits(model),
    )


def load_all(models_dir: Path) -> dict[str, ServedModel]:
    """Load every served model in MODEL_IDS order, logging each one."""
    models = {}
    for model_id in MODEL_IDS:
        served = load_model(model_id, models_dir)
        logger.info(
            "loaded model=%s params=%d test_accuracy=%.4f weights=%s",
            model_id,
            served.num_params,
            served.test_accuracy,
            models_dir / f"{model_id}.safetensors",
        )
        models[model_id] = served
    return models
