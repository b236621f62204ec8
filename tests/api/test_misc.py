"""Models, samples, health, docs and static assets, and weights left untouched."""

import hashlib
import json
import re

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from cnnvis.app import create_app
from cnnvis.config import Settings
from cnnvis.data import Digits
from tests.api import canvas
from tests.api.checks import single_error

MODEL_IDS = ["cnn", "resnet", "plain"]
SAMPLES = "/api/v1/samples"


def test_models_listed_in_order(client: TestClient) -> None:
    response = client.get("/api/v1/models")

    assert response.status_code == 200, response.text
    models = response.json()["models"]
    assert [model["id"] for model in models] == MODEL_IDS
    for model in models:
        assert isinstance(model["name"], str), model["id"]
        assert model["name"], model["id"]
        assert model["num_params"] > 0, model["id"]
        assert 0.0 <= model["test_accuracy"] <= 1.0, model["id"]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_models_match_card(
    client: TestClient, settings: Settings, model_id: str
) -> None:
    card = json.loads((settings.models_dir / f"{model_id}.json").read_text())

    response = client.get("/api/v1/models")

    assert response.status_code == 200, response.text
    model = next(m for m in response.json()["models"] if m["id"] == model_id)
    assert model["test_accuracy"] == card["test_accuracy"]
    assert model["num_params"] == card["num_params"]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_models_layers(client: TestClient, model_id: str) -> None:
    response = client.get("/api/v1/models")

    assert response.status_code == 200, response.text
    model = next(m for m in response.json()["models"] if m["id"] == model_id)
    layers = model["layers"]
    names = [layer["name"] for layer in layers]
    assert len(names) == len(set(names)), names
    for layer in layers:
        assert {"name", "kind", "shape", "params"} <= set(layer), layer
        assert isinstance(layer["kind"], str), layer
        assert all(isinstance(size, int) and size > 0 for size in layer["shape"])
        assert layer["params"] >= 0, layer
    assert layers[-1]["shape"] == [10]
    # A block's count covers its inner layers, so only top-level layers add up.
    top_level = sum(layer["params"] for layer in layers if layer["parent"] is None)
    assert top_level == model["num_params"]


def test_models_cnn_flatten(client: TestClient) -> None:
    response = client.get("/api/v1/models")

    assert response.status_code == 200, response.text
    cnn = response.json()["models"][0]
    flatten = [layer for layer in cnn["layers"] if layer["name"] == "flatten"]
    assert len(flatten) == 1
    assert flatten[0]["kind"] == "flatten"
    assert flatten[0]["shape"] == [2048]


def test_samples_label_index(client: TestClient, digits: Digits) -> None:
    members = (digits.labels == 6).nonzero().flatten()

    response = client.get(SAMPLES, params={"label": 6, "index": 11})

    assert response.status_code == 200, response.text
    sample = response.json()
    assert sample["label"] == 6
    assert sample["index"] == 11
    assert sample["count"] == len(members)
    expected = digits.images[int(members[11]), 0].numpy()
    np.testing.assert_allclose(np.array(sample["image"]), expected, atol=1e-6)


def test_samples_random(client: TestClient) -> None:
    samples = []
    for _ in range(30):
        response = client.get(SAMPLES)
        assert response.status_code == 200, response.text
        samples.append(response.json())

    for sample in samples:
        assert 0 <= sample["label"] <= 9
        assert 0 <= sample["index"] < sample["count"]
        assert np.array(sample["image"]).shape == (28, 28)
    # 30 draws from 10 labels all alike would happen with probability 1e-29.
    assert len({sample["label"] for sample in samples}) > 1
    assert len({(s["label"], s["index"]) for s in samples}) > 1


def test_samples_random_index(client: TestClient) -> None:
    indexes = set()
    for _ in range(20):
        response = client.get(SAMPLES, params={"label": 2})
        assert response.status_code == 200, response.text
        assert response.json()["label"] == 2
        indexes.add(response.json()["index"])

    assert len(indexes) > 1


def test_samples_index_out_of_range(client: TestClient, digits: Digits) -> None:
    count = int((digits.labels == 3).sum())

    response = client.get(SAMPLES, params={"label": 3, "index": count})

    assert response.status_code == 404, response.text
    error = single_error(response)
    assert error["loc"] == ["query", "index"]
    assert error["type"] == "not_found"
    assert f"0..{count - 1}" in error["msg"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"label": 10}, "label"),
        ({"label": -1}, "label"),
        ({"label": "three"}, "label"),
        ({"label": 1, "index": -1}, "index"),
    ],
)
def test_samples_invalid_query(
    client: TestClient, params: dict[str, int | str], field: str
) -> None:
    response = client.get(SAMPLES, params=params)

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["query", field]


def test_healthz_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"
    assert response.json()["models"] == MODEL_IDS


def test_docs_offline(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "/vendor/swagger-ui/" in response.text
    assert re.search(r"https?://", response.text) is None


def test_docs_assets_served(client: TestClient) -> None:
    html = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="(/vendor/swagger-ui/[^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets), assets
    assert any(asset.endswith(".css") for asset in assets), assets

    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 0, asset
    script = next(asset for asset in assets if asset.endswith(".js"))
    assert "SwaggerUIBundle" in client.get(script).text


def test_plotly_served(client: TestClient) -> None:
    response = client.get("/vendor/plotly.min.js")

    assert response.status_code == 200, response.text[:200]
    assert "javascript" in response.headers["content-type"]
    assert "plotly.js" in response.text[:1000]
    assert len(response.content) > 1_000_000


def test_openapi_routes(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    assert "post" in paths["/api/v1/predict"]
    assert "get" in paths["/api/v1/models"]
    assert "get" in paths["/api/v1/samples"]
    assert "get" in paths["/healthz"]


def state_checksum(model: torch.nn.Module) -> str:
    """Hash every parameter and buffer, batch-norm running statistics included."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def test_weights_unchanged(client: TestClient, digits: Digits) -> None:
    served = client.app.state.models  # type: ignore[attr-defined]
    before = {model_id: state_checksum(m.model) for model_id, m in served.items()}

    for number in range(50):
        digit = digits.images[number * 37, 0].numpy()
        if number % 2 == 0:
            body = {"image": digit.tolist()}
        else:
            body = {"png": canvas.image_data_url(canvas.render(digit, "centred"))}
        response = client.post("/api/v1/predict", json=body)
        assert response.status_code == 200, response.text

    after = {model_id: state_checksum(m.model) for model_id, m in served.items()}
    assert after == before
    for model_id, served_model in served.items():
        for name, module in served_model.model.named_modules():
            assert not module.training, f"{model_id} {name or '(root)'} in train mode"


def test_limits_report_defaults(client: TestClient) -> None:
    response = client.get("/api/v1/limits")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "max_body_bytes": 2_097_152,
        "max_image_side": 1024,
        "conv_matrix": {
            "max_nonzeros": 4_000_000,
            "max_returned_nonzeros": 500_000,
            "budget_nonzeros": 8_000_000,
        },
        "gradient_flow_budget": 2000.0,
    }


def test_limits_follow_settings() -> None:
    settings = Settings(
        max_body_bytes=4096, max_image_side=64, conv_matrix_budget=5, flow_budget=8
    )
    # Not entered: the limits need no models, so the lifespan need not run.
    client = TestClient(create_app(settings))

    body = client.get("/api/v1/limits").json()

    assert body["max_body_bytes"] == 4096
    assert body["max_image_side"] == 64
    assert body["conv_matrix"]["budget_nonzeros"] == 5
    assert body["gradient_flow_budget"] == 8.0


def test_conv_matrix_limit_is_enforced(client: TestClient) -> None:
    """The reported non-zero limit is the one a request is checked against."""
    limit = client.get("/api/v1/limits").json()["conv_matrix"]["max_nonzeros"]
    # 8 × 8 channels, 64 × 64, kernel 4 × 5: 61 × 60 × 20 × 64 = 4,684,800.
    over = {
        "dims": 2,
        "in_channels": 8,
        "out_channels": 8,
        "input_size": [64, 64],
        "kernel_size": [4, 5],
    }

    response = client.post("/api/v1/conv-matrix", json=over)

    assert response.status_code == 422, response.text
    assert f"{4_684_800:,} non-zeros; the limit is {limit:,}" in response.text
