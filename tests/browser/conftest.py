"""Fixtures for browser tests: a real uvicorn server and Debian's chromium.

The server runs as a subprocess on a free loopback port, so the page is tested
exactly as a user gets it: static files, plotly.min.js and the API from one
origin. Playwright drives /usr/bin/chromium; `playwright install` is never
needed.
"""

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

from tests.servers import running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `uvicorn cnnvis.app:create_app` and return its base URL."""
    log_path = tmp_path_factory.mktemp("server") / "uvicorn.log"
    with running_server(log_path) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch Debian's chromium headless through Playwright."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing; install Debian's chromium package "
            "(apt-get install -y chromium), as scripts/test does when run as root"
        )
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
