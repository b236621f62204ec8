"""Filters and parameter counts of the served models."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from cnnvis.config import Settings
from cnnvis.encoding import decode_array
from cnnvis.nets.registry import load_model


def test_conv_filters_equal_weights(client: TestClient, settings: Settings) -> None:
    response = client.get("/api/v1/models/cnn/layers/conv2/filters")
    conv = load_model("cnn", settings.models_dir).model.conv2

    assert response.status_code == 200, response.text
    body = response.json()
    weight = decode_array(body["weight"])
    assert body["weight_shape"] == [128, 32, 5, 5]
    assert np.array_equal(weight, conv.weight.detach().numpy())
    assert np.array_equal(decode_array(body["bias"]), conv.bias.detach().numpy())
    expected_norms = np.linalg.norm(weight.reshape(128, -1), axis=1)
    assert np.allclose(body["norms"], expected_norms, rtol=1e-5)
    assert body["stride"] == [1, 1]


def test_resnet_filters_have_no_bias(client: TestClient) -> None:
    response = client.get("/api/v1/models/resnet/layers/layer2.0.conv1/filters")

    assert response.status_code == 200, response.text
    assert response.json()["bias"] is None
    assert response.json()["stride"] == [2, 2]


def test_linear_matrix_only_on_request(client: TestClient) -> None:
    summary = client.get("/api/v1/models/cnn/layers/fc1/filters")
    full = client.get(
        "/api/v1/models/cnn/layers/fc1/filters", params={"matrix": "true"}
    )

    assert summary.status_code == 200, summary.text
    assert summary.json()["weight"] is None
    assert summary.json()["weight_shape"] == [1024, 2048]
    assert len(summary.json()["norms"]) == 1024
    assert full.status_code == 200, full.text
    assert decode_array(full.json()["weight"]).shape == (1024, 2048)


def test_filters_of_relu_rejected(client: TestClient) -> None:
    response = client.get("/api/v1/models/cnn/layers/relu1/filters")

    assert response.status_code == 422, response.text
    assert "conv1, conv2, fc1" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/api/v1/models/cnn/layers/conv9/filters", ["path", "layer"]),
        ("/api/v1/models/vgg/layers/conv1/filters", ["path", "model_id"]),
        ("/api/v1/models/vgg/parameters", ["path", "model_id"]),
    ],
)
def test_filters_unknown_names_404(
    client: TestClient, path: str, loc: list[str]
) -> None:
    response = client.get(path)

    assert response.status_code == 404, response.text
    assert response.json()["detail"][0]["loc"] == loc


def test_parameters_reference_row(client: TestClient) -> None:
    response = client.get("/api/v1/models/cnn/parameters")

    assert response.status_code == 200, response.text
    reference = response.json()["reference"]
    assert reference["dense_weights"] == 3072 * 4704
    assert reference["conv_params"] == 456


def test_parameters_rows_per_conv(client: TestClient) -> None:
    body = client.get("/api/v1/models/resnet/parameters").json()
    layers = client.get("/api/v1/models").json()["models"][1]["layers"]

    convs = [layer["name"] for layer in layers if layer["kind"] == "conv"]
    assert [row["name"] for row in body["rows"]] == convs
    for row in body["rows"]:
        assert (
            row["dense_params"] > row["locally_connected_params"] >= row["conv_params"]
        )
        assert row["locality_factor"] * row["sharing_factor"] == pytest.approx(
            row["total_factor"]
        )
    assert "Weight sharing" in body["explanation"]
    assert "Locality" in body["explanation"]
