"""Fixtures for browser tests: a real uvicorn server and Debian's chromium.

The server runs as a subprocess on a free loopback port, so the page is tested
exactly as a user gets it: static files, plotly.min.js and the API from one
origin. Playwright drives /usr/bin/chromium; `playwright install` is never
needed.
"""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Request,
    sync_playwright,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Loading three models and the held-out digits takes a few seconds; the limit
# leaves room for a slow CI machine.
STARTUP_TIMEOUT_S = 120.0
SHUTDOWN_TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _health_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


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
    """Start `uvicorn cnnvis.app:create_app` and return its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("server") / "uvicorn.log"
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
        while _health_status(f"{base_url}/healthz") != 200:
            if process.poll() is not None:
                pytest.fail(
                    f"uvicorn exited with code {process.returncode} before "
                    f"/healthz returned 200. Its output:\n{log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"/healthz did not return 200 within {STARTUP_TIMEOUT_S} s. "
                    f"Server output:\n{log_path.read_text()}"
                )
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch Debian's chromium headless through Playwright."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@dataclass
class PageLog:
    """Console errors, page errors and requests seen while a test ran."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def _is_loopback(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return True
    return parsed.hostname in LOOPBACK_HOSTS


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser: Browser, server_url: str, page_log: PageLog) -> Iterator[Page]:
    """A fresh page of the app with its console and requests logged.

    Requests to any host other than loopback are aborted and recorded, so a
    CDN reference fails the test instead of reaching the internet.
    """
    context = browser.new_context(
        base_url=server_url, viewport={"width": 1280, "height": 900}
    )

    def on_request(request: Request) -> None:
        page_log.requests.append(request.url)
        if not _is_loopback(request.url):
            page_log.external_requests.append(request.url)

    def on_request_failed(request: Request) -> None:
        page_log.failed_requests.append(f"{request.url}: {request.failure}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            page_log.console_errors.append(message.text)

    def on_page_error(error: Error) -> None:
        page_log.page_errors.append(str(error))

    context.route(lambda url: not _is_loopback(url), lambda route: route.abort())
    new_page = context.new_page()
    new_page.on("request", on_request)
    new_page.on("requestfailed", on_request_failed)
    new_page.on("console", on_console)
    new_page.on("pageerror", on_page_error)
    yield new_page
    context.close()
