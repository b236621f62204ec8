"""The committed weights reach their accuracy on the 2,000 held-out digits."""

import json

import pytest

from cnnvis.config import Settings
from cnnvis.data import load_default_split
from cnnvis.nets import MODEL_IDS
from cnnvis.nets.registry import load_model
from cnnvis.training import predict_all

# Targets: cnn and resnet at least 99.0 %; plain is reported as it comes.
TARGETS = {"cnn": 0.99, "resnet": 0.99, "plain": 0.0}


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_committed_weights_accuracy(model_id: str, settings: Settings) -> None:
    _, test = load_default_split(settings.data_dir)
    served = load_model(model_id, settings.models_dir)

    accuracy = float(
        (predict_all(served.model, test.images) == test.labels).float().mean()
    )

    assert len(test) == 2000
    assert accuracy >= TARGETS[model_id], f"{model_id}: {accuracy:.4f}"
    assert accuracy == pytest.approx(served.test_accuracy, abs=1e-9), (
        "the model card's test_accuracy disagrees with a fresh evaluation"
    )


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_model_card_complete(model_id: str, settings: Settings) -> None:
    card = json.loads((settings.models_dir / f"{model_id}.json").read_text())

    for key in (
        "sha256",
        "num_params",
        "test_accuracy",
        "confusion_matrix",
        "history",
        "training",
        "data",
    ):
        assert key in card, f"{model_id}.json lacks {key}"
    assert card["training"]["optimizer"] == "Adam"
    assert card["training"]["loss"] == "cross-entropy"
    assert sum(map(sum, card["confusion_matrix"])) == card["data"]["test_size"]
    assert len(card["history"]) == card["training"]["epochs"]
    for record in card["history"]:
        assert record["grad_norms"], (
            f"{model_id}: epoch {record['epoch']} has no gradient norms"
        )
