"""Fixtures for the API tests: held-out digits and a real uvicorn server."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cnnvis.config import Settings
from cnnvis.data import Digits, load_default_split

REPO_ROOT = Path(__file__).resolve().parents[2]
# Loading three models and the digits took about 5 s on a 2-core machine. The
# limit leaves room for a loaded CI machine.
STARTUP_TIMEOUT_S = 120.0
SHUTDOWN_TIMEOUT_S = 10.0


@pytest.fixture(scope="session")
def digits(settings: Settings) -> Digits:
    """The held-out digits, the same ones /api/v1/samples serves."""
    _, test = load_default_split(settings.data_dir)
    return test


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _is_healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `uvicorn cnnvis.app:create_app` on a free loopback port."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("uvicorn") / "server.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "cnnvis.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _is_healthy(f"{base_url}/healthz"):
            if process.poll() is not None:
                pytest.fail(
                    f"uvicorn exited with code {process.returncode} before "
                    f"/healthz returned 200. Its output:\n{log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"/healthz did not return 200 within {STARTUP_TIMEOUT_S} s. "
                    f"Its output:\n{log_path.read_text()}"
                )
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(process)
