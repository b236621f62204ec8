"""Start-up faults, CORS settings and security headers of the real app."""

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cnnvis.app import create_app
from cnnvis.config import Settings
from tests.servers import REPO_ROOT, free_port

ORIGIN = "http://classroom.example"


def serve_once(models_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run `cnnvis serve` on a free port; it must exit by itself on a bad model."""
    command = [sys.executable, "-m", "cnnvis", "serve", "--port", str(free_port())]
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={"CNNVIS_MODELS_DIR": str(models_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def models_copy(tmp_path: Path, settings: Settings) -> Path:
    target = tmp_path / "models"
    shutil.copytree(settings.models_dir, target)
    return target


def test_tampered_weights_stop_startup(models_copy: Path) -> None:
    weights = models_copy / "resnet.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))

    result = serve_once(models_copy)

    assert result.returncode != 0
    assert "resnet.safetensors" in result.stderr
    assert "sha256" in result.stderr
    assert "cnnvis train" in result.stderr


def test_truncated_weights_stop_startup(models_copy: Path) -> None:
    weights = models_copy / "cnn.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])

    result = serve_once(models_copy)

    assert result.returncode != 0
    assert "cnn.safetensors" in result.stderr
    assert "Traceback" not in result.stderr


def test_healthz_starting_before_models_load(settings: Settings) -> None:
    """Without its start-up (lifespan) run, the app has no models and reports it."""
    app = create_app(settings)
    client = TestClient(app)  # not entered: the lifespan does not run

    response = client.get("/healthz")

    assert response.status_code == 503, response.text
    assert response.json() == {"status": "starting", "models": []}


def test_missing_weights_stop_startup(models_copy: Path) -> None:
    (models_copy / "plain.safetensors").unlink()

    result = serve_once(models_copy)

    assert result.returncode != 0
    assert "plain.safetensors is missing" in result.stderr


def test_cors_closed_by_default(client: TestClient) -> None:
    response = client.options(
        "/api/v1/predict",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert "access-control-allow-origin" not in response.headers


def test_cors_opens_for_configured_origin(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": [ORIGIN]})

    with TestClient(create_app(configured)) as client:
        allowed = client.options(
            "/api/v1/predict",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        other = client.options(
            "/api/v1/predict",
            headers={
                "Origin": "http://elsewhere.example",
                "Access-Control-Request-Method": "POST",
            },
        )

    assert allowed.headers.get("access-control-allow-origin") == ORIGIN
    assert "access-control-allow-origin" not in other.headers


def check_security_headers(headers: Mapping[str, str]) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "server" not in headers


def test_security_headers_present(client: TestClient) -> None:
    response = client.get("/healthz")

    check_security_headers(response.headers)


def test_security_headers_on_body_limit_413(client: TestClient) -> None:
    response = client.post(
        "/api/v1/predict",
        content=b"x" * 3_000_000,
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413, response.text
    check_security_headers(response.headers)


def test_security_headers_on_cors_preflight(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"cors_origins": [ORIGIN]}))
    client = TestClient(app)  # preflights need no models

    response = client.options(
        "/api/v1/predict",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 200, response.text
    check_security_headers(response.headers)
