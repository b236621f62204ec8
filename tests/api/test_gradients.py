"""Per-layer gradients of the served models and the plain-versus-residual experiment."""

import copy
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient

from cnnvis.analysis.gradient_flow import FlowConfig, measurement_batch, run_experiment
from cnnvis.analysis.gradients import layer_gradients
from cnnvis.config import Settings
from cnnvis.data import load_default_split
from cnnvis.nets import MODEL_IDS
from cnnvis.nets.registry import load_model


def sample_image(client: TestClient, label: int, index: int = 0) -> list[list[float]]:
    response = client.get("/api/v1/samples", params={"label": label, "index": index})
    assert response.status_code == 200, response.text
    image: list[list[float]] = response.json()["image"]
    return image


def gradients(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/gradients", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def state_digest(model: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_gradients_match_backward_on_copy(
    client: TestClient, settings: Settings, model_id: str
) -> None:
    image = sample_image(client, 4)
    body = gradients(client, model=model_id, image=image, target=9)
    reference = copy.deepcopy(load_model(model_id, settings.models_dir).model)

    logits = reference(torch.tensor(image).reshape(1, 1, 28, 28))
    F.cross_entropy(logits, torch.tensor([9])).backward()  # type: ignore[no-untyped-call]

    rows = {row["name"]: row for row in body["layers"]}
    assert body["target"] == 9
    for name, module in reference.named_modules():
        weight = getattr(module, "weight", None)
        if name not in rows or not isinstance(weight, torch.nn.Parameter):
            continue
        assert weight.grad is not None
        expected = float(weight.grad.double().norm())
        assert rows[name]["weight_grad_norm"] == pytest.approx(expected, rel=1e-5), name


def test_gradients_same_twice(client: TestClient) -> None:
    image = sample_image(client, 2)

    first = gradients(client, model="resnet", image=image)
    second = gradients(client, model="resnet", image=image)

    assert first == second


def test_gradients_leave_model_unchanged(client: TestClient) -> None:
    models = client.app.state.models  # type: ignore[attr-defined]
    before = {model_id: state_digest(m.model) for model_id, m in models.items()}

    for index in range(10):
        for model_id in MODEL_IDS:
            gradients(client, model=model_id, image=sample_image(client, index))

    for model_id, served in models.items():
        assert state_digest(served.model) == before[model_id], model_id
        assert not served.model.training, f"{model_id} left eval mode"
        assert all(p.grad is None for p in served.model.parameters()), model_id
        for name, module in served.model.named_modules():
            assert not module._forward_hooks, name
            assert not module._backward_hooks, name


def test_gradients_null_for_layers_without_weights(client: TestClient) -> None:
    body = gradients(client, model="cnn", image=sample_image(client, 7))
    rows = {row["name"]: row for row in body["layers"]}

    assert [row["name"] for row in body["layers"]][:3] == ["conv1", "relu1", "pool1"]
    assert rows["relu1"]["weight_grad_norm"] is None
    assert rows["relu1"]["weight_norm"] is None
    assert rows["relu1"]["activation_grad_norm"] > 0
    assert rows["conv1"]["weight_grad_norm"] > 0
    assert rows["conv1"]["grad_to_weight_ratio"] == pytest.approx(
        rows["conv1"]["weight_grad_norm"] / rows["conv1"]["weight_norm"]
    )
    assert rows["softmax"]["activation_grad_norm"] is None
    assert "logits" in rows["softmax"]["note"]
    assert "L2" in body["norm"]
    assert "cross-entropy" in body["loss"]


def test_gradients_default_target_is_prediction(client: TestClient) -> None:
    body = gradients(client, model="cnn", image=sample_image(client, 6))

    assert body["target"] == body["prediction"] == 6


def test_gradients_under_inference_mode(settings: Settings) -> None:
    served = load_model("plain", settings.models_dir)
    _, test = load_default_split(settings.data_dir)

    with torch.inference_mode():
        rows, loss, _ = layer_gradients(
            served.model, served.layers, test.images[0, 0], 3
        )

    weighted = [row for row in rows if row.weight_norm is not None]
    assert loss > 0
    assert weighted
    for row in weighted:
        assert row.weight_grad_norm is not None, row.name
        assert row.weight_grad_norm > 0, row.name


def test_gradients_frozen_layer_null(settings: Settings) -> None:
    served = load_model("cnn", settings.models_dir)
    _, test = load_default_split(settings.data_dir)
    served.model.conv1.weight.requires_grad_(False)

    rows, _, _ = layer_gradients(served.model, served.layers, test.images[0, 0], 3)

    conv1 = rows[0]
    assert conv1.weight_grad_norm is None
    assert conv1.note is not None and "frozen" in conv1.note
    assert conv1.bias_grad_norm is not None


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        ({"model": "vgg"}, 404, ["body", "model"]),
        ({"model": "cnn", "target": 10}, 422, ["body", "target"]),
        ({"model": "cnn", "target": -1}, 422, ["body", "target"]),
        ({"model": "cnn", "target": "3"}, 422, ["body", "target"]),
        ({"model": "cnn", "target": 3.0}, 422, ["body", "target"]),
        ({"model": "cnn", "target": True}, 422, ["body", "target"]),
    ],
)
def test_gradients_bad_input(
    client: TestClient, body: dict[str, Any], status: int, loc: list[str]
) -> None:
    response = client.post(
        "/api/v1/gradients", json={**body, "image": sample_image(client, 1)}
    )

    assert response.status_code == status, response.text
    assert response.json()["detail"][0]["loc"] == loc


@pytest.fixture(scope="module")
def train_digits(settings: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    train, _ = load_default_split(settings.data_dir)
    return train.images, train.labels


@pytest.mark.parametrize("size", [4, 10, 32, 64])
def test_measurement_batch_cycles_labels(
    train_digits: tuple[torch.Tensor, torch.Tensor], size: int
) -> None:
    _, labels = train_digits

    index = measurement_batch(labels, size, seed=5)

    assert labels[index].tolist() == [i % 10 for i in range(size)]
    assert len(set(index.tolist())) == size
    assert torch.equal(index, measurement_batch(labels, size, seed=5))
    assert not torch.equal(index, measurement_batch(labels, size, seed=6))


def test_residual_loss_not_zero_at_init(
    train_digits: tuple[torch.Tensor, torch.Tensor],
) -> None:
    """A batch of one label once gave a deep residual network a loss of 0."""
    config = FlowConfig(blocks=60, width=8, batch_size=32, init="kaiming")

    result = run_experiment(config, *train_digits)

    residual = result["networks"]["residual"]["at_init"]
    assert residual["loss"] is None or residual["loss"] > 1.0, residual["loss"]
    assert max(norm or 0.0 for norm in residual["weight_grad_norms"]) > 0.0


def test_plain_gradients_vanish_without_batchnorm(
    train_digits: tuple[torch.Tensor, torch.Tensor],
) -> None:
    result = run_experiment(FlowConfig(blocks=25), *train_digits)
    plain = result["networks"]["plain"]["at_init"]["weight_grad_norms"]
    residual = result["networks"]["residual"]["at_init"]["weight_grad_norms"]

    assert plain[0] < plain[-1] * 1e-3, (
        f"plain first {plain[0]:.3g}, last {plain[-1]:.3g}"
    )
    assert residual[-1] / 10 < residual[0] < residual[-1] * 10, (
        f"residual first {residual[0]:.3g}, last {residual[-1]:.3g}"
    )


def test_plain_gradients_explode_with_batchnorm(
    train_digits: tuple[torch.Tensor, torch.Tensor],
) -> None:
    result = run_experiment(FlowConfig(blocks=25, batchnorm=True), *train_digits)
    plain = result["networks"]["plain"]["first_to_last_ratio_at_init"]
    residual = result["networks"]["residual"]["first_to_last_ratio_at_init"]

    assert plain > 10, f"plain first/last {plain:.3g}"
    assert 0.1 < residual < 10, f"residual first/last {residual:.3g}"


def test_deep_plain_network_trains_worse(
    train_digits: tuple[torch.Tensor, torch.Tensor],
) -> None:
    result = run_experiment(FlowConfig(blocks=10, steps=30), *train_digits)
    plain = result["networks"]["plain"]["loss_per_step"]
    residual = result["networks"]["residual"]["loss_per_step"]

    assert len(plain) == len(residual) == 30
    assert sum(residual[-5:]) < sum(plain[-5:])


def test_gradient_flow_deterministic(
    train_digits: tuple[torch.Tensor, torch.Tensor],
) -> None:
    config = FlowConfig(blocks=6, width=4, steps=3, seed=11)

    first = run_experiment(config, *train_digits)
    second = run_experiment(config, *train_digits)

    assert first["networks"] == second["networks"]


def test_gradient_flow_cached(client: TestClient) -> None:
    body = {"blocks": 5, "width": 4, "steps": 2, "seed": 12}

    first = client.post("/api/v1/gradient-flow", json=body)
    second = client.post("/api/v1/gradient-flow", json=body)

    assert first.status_code == 200, first.text
    assert first.json()["cached"] is False
    assert second.json()["cached"] is True
    assert first.json()["networks"] == second.json()["networks"]
    plain = first.json()["networks"]["plain"]
    assert len(plain["at_init"]["weight_grad_norms"]) == 1 + 2 * 5
    assert len(plain["loss_per_step"]) == 2


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"blocks": 0}, ["body", "blocks"]),
        ({"blocks": 61}, ["body", "blocks"]),
        ({"steps": 201}, ["body", "steps"]),
        ({"init": "orthogonal"}, ["body", "init"]),
        ({"blocks": 50, "steps": 200}, ["body"]),
        # Narrow and small, but 12,000 block-steps: 50 s of work.
        ({"blocks": 60, "width": 2, "steps": 200, "batch_size": 4}, ["body"]),
        ({"depth": 3}, ["body", "depth"]),
        ({"blocks": "25"}, ["body", "blocks"]),
        ({"batchnorm": "true"}, ["body", "batchnorm"]),
        ({"lr": "0.001"}, ["body", "lr"]),
    ],
)
def test_gradient_flow_bad_options(
    client: TestClient, body: dict[str, Any], loc: list[str]
) -> None:
    response = client.post("/api/v1/gradient-flow", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


def test_gradient_flow_nan_lr_named(client: TestClient) -> None:
    response = client.post(
        "/api/v1/gradient-flow",
        content=b'{"lr": NaN}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "lr"]
    assert "finite number" in error["msg"]


def test_gradient_flow_over_budget_names_limit(client: TestClient) -> None:
    response = client.post("/api/v1/gradient-flow", json={"blocks": 50, "steps": 200})

    assert response.status_code == 422, response.text
    assert "limit is 2,000" in response.json()["detail"][0]["msg"]


def test_model_card_served(client: TestClient, settings: Settings) -> None:
    response = client.get("/api/v1/models/plain/card")

    assert response.status_code == 200, response.text
    card = response.json()
    assert card["id"] == "plain"
    assert len(card["history"]) == card["training"]["epochs"]
    assert "layer1.0.conv1" in card["history"][0]["grad_norms"]
    assert client.get("/api/v1/models/vgg/card").status_code == 404


def test_gradient_flow_cancel_only_own_run(server_url: str) -> None:
    """A client that gives up stops its own run, never another client's."""
    kept_body = {"blocks": 30, "steps": 5, "width": 8, "seed": 9201}
    dropped_body = {"blocks": 30, "steps": 5, "width": 8, "seed": 9202}
    url = f"{server_url}/api/v1/gradient-flow"

    with ThreadPoolExecutor(max_workers=2) as pool:
        kept = pool.submit(httpx.post, url, json=kept_body, timeout=120)
        time.sleep(0.5)
        dropped = pool.submit(httpx.post, url, json=dropped_body, timeout=1.0)
        with pytest.raises(httpx.TimeoutException):
            dropped.result()
        response = kept.result()

    assert response.status_code == 200, response.text
    assert response.json()["config"]["seed"] == 9201
