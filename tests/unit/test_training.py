"""Tests of one short training run, its model card, and loading it back.

The run trains `cnn` for one epoch on 256 of the embedded training digits and
evaluates it on the full 2,000-digit test split.
"""

import hashlib
import json
import math
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from cnnvis.config import Settings
from cnnvis.data import Digits, load_default_split
from cnnvis.errors import ModelLoadError
from cnnvis.nets import build_model
from cnnvis.nets.registry import load_model
from cnnvis.training import (
    TrainConfig,
    confusion_matrix,
    predict_all,
    random_affine,
    train_and_write,
)

CONFIG = TrainConfig(epochs=1, limit=256, batch_size=64)
CNN_PARAMETER_LAYERS = {"conv1", "conv2", "fc1", "fc2", "fc3"}


@pytest.fixture(scope="module")
def split() -> tuple[Digits, Digits]:
    return load_default_split(Settings().data_dir, fetch=False)


@pytest.fixture(scope="module")
def trained_dir(
    split: tuple[Digits, Digits], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A folder with cnn.safetensors and cnn.json from one short training run."""
    out_dir = tmp_path_factory.mktemp("models")
    train, test = split
    train_and_write("cnn", train, test, CONFIG, out_dir, progress=False)
    return out_dir


@pytest.fixture(scope="module")
def card(trained_dir: Path) -> dict[str, Any]:
    card: dict[str, Any] = json.loads((trained_dir / "cnn.json").read_text())
    return card


@pytest.fixture
def models_dir(trained_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the trained files, for a test to damage."""
    for name in ("cnn.safetensors", "cnn.json"):
        shutil.copy(trained_dir / name, tmp_path / name)
    return tmp_path


def edit_card(models_dir: Path, **changes: Any) -> None:
    path = models_dir / "cnn.json"
    card = json.loads(path.read_text())
    card.update(changes)
    path.write_text(json.dumps(card))


def test_train_and_write_files(trained_dir: Path) -> None:
    names = sorted(path.name for path in trained_dir.iterdir())

    assert names == ["cnn.json", "cnn.safetensors"]


def test_card_checksum_and_size(trained_dir: Path, card: dict[str, Any]) -> None:
    weights = trained_dir / "cnn.safetensors"

    assert card["id"] == "cnn"
    assert card["weights"] == "cnn.safetensors"
    assert card["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    expected_params = sum(p.numel() for p in build_model("cnn").parameters())
    assert card["num_params"] == expected_params


def test_card_training_data(card: dict[str, Any]) -> None:
    assert card["data"]["train_size"] == 256
    assert card["data"]["test_size"] == 2_000
    assert card["training"]["epochs"] == 1
    assert card["training"]["limit"] == 256
    assert card["training"]["batch_size"] == 64


def test_card_accuracy_and_confusion(
    card: dict[str, Any], split: tuple[Digits, Digits]
) -> None:
    _, test = split
    matrix = card["confusion_matrix"]

    assert 0.0 <= card["test_accuracy"] <= 1.0
    assert len(matrix) == 10
    assert all(len(row) == 10 for row in matrix)
    assert sum(map(sum, matrix)) == len(test) == 2_000
    row_sums = [sum(row) for row in matrix]
    assert row_sums == torch.bincount(test.labels, minlength=10).tolist()
    diagonal = sum(matrix[i][i] for i in range(10))
    assert math.isclose(card["test_accuracy"], diagonal / len(test), abs_tol=1e-6)


def test_card_history(card: dict[str, Any]) -> None:
    history = card["history"]

    assert len(history) == 1
    record = history[0]
    assert record["epoch"] == 1
    assert math.isfinite(record["train_loss"])
    assert record["train_loss"] > 0
    assert 0.0 <= record["test_accuracy"] <= 1.0
    # The last epoch's model is the one written, so both accuracies agree.
    assert record["test_accuracy"] == card["test_accuracy"]
    assert set(record["grad_norms"]) == CNN_PARAMETER_LAYERS
    for name, norm in record["grad_norms"].items():
        assert math.isfinite(norm), name
        assert norm > 0, name


def test_load_model_trained(
    trained_dir: Path, card: dict[str, Any], split: tuple[Digits, Digits]
) -> None:
    _, test = split

    served = load_model("cnn", trained_dir)

    assert served.id == "cnn"
    assert not served.model.training
    assert served.num_params == card["num_params"]
    assert served.test_accuracy == card["test_accuracy"]
    assert [asdict(info) for info in served.layers] == [
        {**layer, "shape": tuple(layer["shape"])} for layer in card["layers"]
    ]
    predictions = predict_all(served.model, test.images)
    assert confusion_matrix(test.labels, predictions) == card["confusion_matrix"]
    accuracy = float((predictions == test.labels).float().mean())
    assert accuracy == card["test_accuracy"]


def test_load_model_missing_weights(models_dir: Path) -> None:
    (models_dir / "cnn.safetensors").unlink()

    with pytest.raises(ModelLoadError) as raised:
        load_model("cnn", models_dir)

    message = str(raised.value)
    assert str(models_dir / "cnn.safetensors") in message, message
    assert "missing" in message, message
    assert "cnnvis train" in message, message


def test_load_model_missing_card(models_dir: Path) -> None:
    (models_dir / "cnn.json").unlink()

    with pytest.raises(ModelLoadError) as raised:
        load_model("cnn", models_dir)

    message = str(raised.value)
    assert str(models_dir / "cnn.json") in message, message
    assert "missing" in message, message
    assert "cnnvis train" in message, message


def test_load_model_flipped_byte(models_dir: Path) -> None:
    weights = models_dir / "cnn.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))

    with pytest.raises(ModelLoadError) as raised:
        load_model("cnn", models_dir)

    message = str(raised.value)
    assert str(weights) in message, message
    assert "sha256" in message, message
    assert "cnnvis train" in message, message


def test_load_model_num_params_mismatch(models_dir: Path, card: dict[str, Any]) -> None:
    edit_card(models_dir, num_params=card["num_params"] + 1)

    with pytest.raises(ModelLoadError, match="parameters") as raised:
        load_model("cnn", models_dir)

    assert str(card["num_params"] + 1) in str(raised.value)
    assert "cnnvis train" in str(raised.value)


@pytest.mark.parametrize(
    "text", ["{not json", "", '{"sha256": ', "null", "[1, 2]", '"cnn"', "\xff"]
)
def test_load_model_invalid_card(models_dir: Path, text: str) -> None:
    (models_dir / "cnn.json").write_bytes(text.encode("latin-1"))

    with pytest.raises(ModelLoadError) as raised:
        load_model("cnn", models_dir)

    message = str(raised.value)
    assert str(models_dir / "cnn.json") in message, message
    assert "cnnvis train" in message, message


def test_load_model_card_lacks_keys(models_dir: Path) -> None:
    path = models_dir / "cnn.json"
    card = json.loads(path.read_text())
    del card["test_accuracy"]
    path.write_text(json.dumps(card))

    with pytest.raises(ModelLoadError, match="lacks test_accuracy"):
        load_model("cnn", models_dir)


def test_load_model_other_architecture(models_dir: Path) -> None:
    weights = models_dir / "cnn.safetensors"
    torch.manual_seed(0)
    resnet = build_model("resnet")
    save_file(
        {name: t.contiguous() for name, t in resnet.state_dict().items()}, str(weights)
    )
    edit_card(models_dir, sha256=hashlib.sha256(weights.read_bytes()).hexdigest())

    with pytest.raises(ModelLoadError) as raised:
        load_model("cnn", models_dir)

    message = str(raised.value)
    assert str(weights) in message, message
    assert "does not fit the cnn network" in message, message


def test_load_model_unreadable_weights(models_dir: Path) -> None:
    weights = models_dir / "cnn.safetensors"
    weights.write_bytes(b"not a safetensors file")
    edit_card(models_dir, sha256=hashlib.sha256(weights.read_bytes()).hexdigest())

    with pytest.raises(ModelLoadError, match="could not be read") as raised:
        load_model("cnn", models_dir)

    assert str(weights) in str(raised.value)


def test_load_model_unknown_id(models_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="unknown model id 'vgg'"):
        load_model("vgg", models_dir)


def random_digits() -> torch.Tensor:
    return torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(3))


def test_random_affine_shape() -> None:
    images = random_digits()

    moved = random_affine(images, TrainConfig(), torch.Generator().manual_seed(0))

    assert moved.shape == images.shape
    assert moved.dtype == images.dtype
    assert not torch.allclose(moved, images), "the default limits moved nothing"


def test_random_affine_seeded() -> None:
    images = random_digits()
    config = TrainConfig()

    first = random_affine(images, config, torch.Generator().manual_seed(1))
    second = random_affine(images, config, torch.Generator().manual_seed(1))
    other = random_affine(images, config, torch.Generator().manual_seed(2))

    torch.testing.assert_close(first, second, rtol=0, atol=0)
    assert not torch.allclose(first, other)


def test_random_affine_identity() -> None:
    images = random_digits()
    config = TrainConfig(max_rotation_deg=0.0, max_shift_px=0.0, scale_range=(1.0, 1.0))

    moved = random_affine(images, config, torch.Generator().manual_seed(0))

    # grid_sample works on float32 pixel coordinates up to 27.5, where one ulp is
    # 1.9e-6 px, so a few ulp of error times a neighbour difference of at most 1
    # leaves values a few 1e-6 off even for the identity transform.
    torch.testing.assert_close(moved, images, rtol=0, atol=1e-5)
