"""The compose file is valid for Debian's docker-compose and serves the app."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose_config() -> str:
    executable = shutil.which("docker-compose")
    assert executable is not None, (
        "docker-compose is missing: apt-get install -y docker-compose"
    )
    result = subprocess.run(
        [executable, "config"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_compose_config_accepted(compose_config: str) -> None:
    assert "app:" in compose_config


def test_compose_serves_cnnvis(compose_config: str) -> None:
    assert "- cnnvis" in compose_config
    assert "127.0.0.1:8000:8000" in compose_config


def test_compose_restarts_and_checks_health(compose_config: str) -> None:
    assert "restart: unless-stopped" in compose_config
    assert "/healthz" in compose_config


def test_dockerfile_builds_from_the_repository() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    for copied in ("backend", "models", "frontend", "package-lock.json"):
        assert copied in dockerfile, f"Dockerfile does not copy {copied}"
    assert "cnnvis fetch-data" in dockerfile
