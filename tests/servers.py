"""A real uvicorn server for the tests, on a free loopback port."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import procfs

REPO_ROOT = Path(__file__).resolve().parents[1]
# Loading three models and the held-out digits took about 5 s on a 2-core
# machine; the limit leaves room for a loaded CI machine.
STARTUP_TIMEOUT_S = 120.0
SHUTDOWN_TIMEOUT_S = 15.0


class ServerStartError(RuntimeError):
    """The server exited or did not become healthy. The message contains its output."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def health_status(url: str) -> int | None:
    """The status of GET url, or None if no server responds."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def stop(process: "subprocess.Popen[bytes]") -> None:
    """Stop the server by its PID: SIGTERM, then SIGKILL if it does not exit."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)


@dataclass(frozen=True)
class Server:
    """A server started by `started_server`: its URL, process and output file."""

    url: str
    process: "subprocess.Popen[bytes]"
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def server_command(port: int, workers: int | None) -> list[str]:
    """uvicorn in one process, or `cnnvis serve` with a supervisor and workers."""
    address = ["--host", "127.0.0.1", "--port", str(port)]
    if workers is None:
        app = ["uvicorn", "cnnvis.app:create_app", "--factory"]
        return [sys.executable, "-m", *app, *address]
    return [
        sys.executable,
        "-m",
        "cnnvis",
        "serve",
        *address,
        "--workers",
        str(workers),
    ]


def stop_tree(process: "subprocess.Popen[bytes]") -> None:
    """Stop the server by its PID, then SIGKILL any process it started that is left.

    uvicorn's supervisor stops its workers on SIGTERM, and each app stops its
    gradient-flow process. This catches what a fault leaves behind.
    """
    left = procfs.descendants(process.pid)
    stop(process)
    still_running = procfs.kill_if_running(left, timeout_s=SHUTDOWN_TIMEOUT_S)
    if still_running:
        raise RuntimeError(f"processes survived SIGKILL: {still_running}")


@contextmanager
def started_server(
    log_path: Path, env: dict[str, str] | None = None, workers: int | None = None
) -> Iterator[Server]:
    """Run the app on a free loopback port until the block ends.

    Without `workers`, run `uvicorn cnnvis.app:create_app` in one process. With
    it, run `cnnvis serve --workers N`. Output goes to `log_path`.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(port, workers),
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        wait_until_healthy(process, base_url, log_path)
        yield Server(base_url, process, log_path)
    finally:
        stop_tree(process)


def wait_until_healthy(
    process: "subprocess.Popen[bytes]", base_url: str, log_path: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while health_status(f"{base_url}/healthz") != 200:
        if process.poll() is not None:
            raise ServerStartError(
                f"the server exited with code {process.returncode} before /healthz "
                f"returned 200. Its output:\n{log_path.read_text()}"
            )
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"/healthz did not return 200 within {STARTUP_TIMEOUT_S} s. "
                f"Its output:\n{log_path.read_text()}"
            )
        time.sleep(0.2)


@contextmanager
def running_server(log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `uvicorn cnnvis.app:create_app` until the block ends; yield its URL."""
    with started_server(log_path, env) as server:
        yield server.url


def screenshot_path(name: str) -> Path:
    """Where a browser test saves its screenshot.

    Set CNNVIS_SCREENSHOT_DIR=docs to refresh the README's images; by default
    they go to a temporary folder, so a test run leaves the checkout unchanged.
    """
    default = Path(tempfile.gettempdir()) / "cnnvis-screenshots"
    folder = Path(os.environ.get("CNNVIS_SCREENSHOT_DIR", default))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
