"""POST /api/v1/activations: every layer's values for one digit."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from cnnvis.config import Settings
from cnnvis.encoding import decode_array
from cnnvis.nets import MODEL_IDS
from cnnvis.nets.registry import load_model
from tests.api.checks import check_no_hooks


def sample_image(client: TestClient, label: int, index: int = 0) -> list[list[float]]:
    response = client.get("/api/v1/samples", params={"label": label, "index": index})
    assert response.status_code == 200, response.text
    image: list[list[float]] = response.json()["image"]
    return image


def activations(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/activations", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_activations_match_direct_forward(
    client: TestClient, settings: Settings, model_id: str
) -> None:
    image = sample_image(client, 7)
    body = activations(client, model=model_id, image=image, encoding="f32")
    served = load_model(model_id, settings.models_dir)

    with torch.inference_mode():
        direct = {
            layer.name: layer.tensor[0].numpy()
            for layer in served.model.iter_layers(
                torch.tensor(image).reshape(1, 1, 28, 28)
            )
        }

    assert [layer["name"] for layer in body["layers"]] == list(direct)
    for layer in body["layers"]:
        values = decode_array(layer["values"])
        assert list(values.shape) == layer["shape"], layer["name"]
        assert np.abs(values - direct[layer["name"]]).max() <= 1e-6, layer["name"]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_activation_shapes_match_layer_list(client: TestClient, model_id: str) -> None:
    models = {m["id"]: m for m in client.get("/api/v1/models").json()["models"]}
    body = activations(client, model=model_id, image=sample_image(client, 2))

    described = [
        (layer["name"], layer["shape"]) for layer in models[model_id]["layers"]
    ]
    returned = [(layer["name"], layer["shape"]) for layer in body["layers"]]
    assert returned == described


def test_activations_u8_within_one_step(client: TestClient) -> None:
    image = sample_image(client, 4)
    f32 = activations(client, model="cnn", image=image, encoding="f32")
    u8 = activations(client, model="cnn", image=image, encoding="u8")

    for exact, scaled in zip(f32["layers"], u8["layers"], strict=True):
        expected = decode_array(exact["values"])
        decoded = decode_array(scaled["values"])
        spans = np.subtract(scaled["values"]["max"], scaled["values"]["min"])
        assert np.abs(decoded - expected).max() <= spans.max() / 255 + 1e-6, exact[
            "name"
        ]


def test_conv_layers_carry_pre_and_post_activation(client: TestClient) -> None:
    body = activations(
        client, model="cnn", image=sample_image(client, 0), encoding="f32"
    )
    layers = {layer["name"]: layer for layer in body["layers"]}

    conv = layers["conv1"]
    z = decode_array(conv["values"])
    a = decode_array(conv["activation"])
    assert conv["stage"] == "pre-activation"
    assert conv["activation_layer"] == "relu1"
    assert z.min() < 0, "a pre-activation of a trained conv has negative values"
    assert np.array_equal(a, np.maximum(z, 0))
    assert layers["relu1"]["stage"] == "post-activation"
    assert layers["relu1"]["source_conv"] == "conv1"


def test_last_layer_gives_logits_and_probabilities(client: TestClient) -> None:
    body = activations(
        client, model="cnn", image=sample_image(client, 5), encoding="f32"
    )
    fc3 = body["layers"][-2]
    logits = decode_array(fc3["values"]).astype(np.float64)
    probabilities = decode_array(fc3["activation"])

    assert fc3["name"] == "fc3"
    assert body["layers"][-1]["stage"] == "probabilities"
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert np.abs(probabilities - expected).max() < 1e-6
    assert body["prediction"] == int(np.argmax(logits))
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-9)


def test_flatten_is_the_2048_vector(client: TestClient) -> None:
    body = activations(
        client, model="cnn", image=sample_image(client, 1), encoding="f32"
    )
    layers = {layer["name"]: layer for layer in body["layers"]}

    flat = decode_array(layers["flatten"]["values"])
    pooled = decode_array(layers["pool2"]["values"])
    assert flat.shape == (2048,)
    assert np.array_equal(flat, pooled.reshape(-1))


def test_residual_block_parts_add_up(client: TestClient) -> None:
    body = activations(
        client, model="resnet", image=sample_image(client, 3), encoding="f32"
    )
    blocks = [layer for layer in body["layers"] if layer["kind"] == "block"]

    assert len(blocks) >= 6
    for block in blocks:
        branch = decode_array(block["branch"])
        skip = decode_array(block["skip"])
        total = decode_array(block["sum"])
        output = decode_array(block["values"])
        assert np.abs(branch + skip - total).max() <= 1e-5, block["name"]
        assert np.array_equal(output, np.maximum(total, 0)), block["name"]


def test_plain_blocks_have_no_skip(client: TestClient) -> None:
    body = activations(
        client, model="plain", image=sample_image(client, 3), encoding="f32"
    )
    blocks = [layer for layer in body["layers"] if layer["kind"] == "block"]

    assert len(blocks) >= 6
    for block in blocks:
        assert block["skip"] is None, block["name"]
        assert block["sum"] is None, block["name"]
        branch = decode_array(block["branch"])
        assert np.array_equal(decode_array(block["values"]), np.maximum(branch, 0))


def test_activations_layer_subset(client: TestClient) -> None:
    body = activations(
        client, model="cnn", image=sample_image(client, 8), layers=["fc1", "conv2"]
    )

    assert [layer["name"] for layer in body["layers"]] == ["conv2", "fc1"]


def test_activations_unknown_layer_lists_layers(client: TestClient) -> None:
    response = client.post(
        "/api/v1/activations",
        json={"model": "cnn", "image": sample_image(client, 8), "layers": ["conv9"]},
    )

    assert response.status_code == 404, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "layers", 0]
    assert "conv9" in detail["msg"]
    assert "conv1, relu1, pool1" in detail["msg"]


def test_activations_unknown_model(client: TestClient) -> None:
    response = client.post(
        "/api/v1/activations", json={"model": "vgg", "image": sample_image(client, 8)}
    )

    assert response.status_code == 404, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "model"]
    assert "cnn, resnet, plain" in detail["msg"]


def test_activations_bad_encoding(client: TestClient) -> None:
    response = client.post(
        "/api/v1/activations",
        json={"model": "cnn", "image": sample_image(client, 8), "encoding": "f16"},
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "encoding"]


def test_activations_empty_drawing(client: TestClient) -> None:
    zeros = [[0.0] * 28 for _ in range(28)]

    response = client.post("/api/v1/activations", json={"model": "cnn", "image": zeros})

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "nothing_drawn"


def test_activations_concurrent_digits_kept_apart(client: TestClient) -> None:
    digits = [sample_image(client, i % 10, i // 10) for i in range(64)]
    alone = [
        activations(client, model="resnet", image=image, layers=["layer3.1", "fc"])
        for image in digits
    ]

    def request(image: list[list[float]]) -> dict[str, Any]:
        return activations(
            client, model="resnet", image=image, layers=["layer3.1", "fc"]
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        together = list(pool.map(request, digits))

    for index, (single, concurrent) in enumerate(zip(alone, together, strict=True)):
        assert single == concurrent, f"digit {index} got another request's values"


def test_no_hooks_left_on_models(client: TestClient) -> None:
    activations(client, model="resnet", image=sample_image(client, 6))

    check_no_hooks(client.app.state.models)  # type: ignore[attr-defined]
