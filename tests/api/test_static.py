"""Static files: the page is served, nothing outside frontend/ is."""

import http.client
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from cnnvis.app import create_app
from cnnvis.config import Settings

SECRET = "cnnvis-static-test-secret"


def raw_get(server_url: str, path: str) -> tuple[int, bytes]:
    """GET a path exactly as written, without the client normalising it."""
    parts = urlsplit(server_url)
    connection = http.client.HTTPConnection(
        parts.hostname or "", parts.port, timeout=10
    )
    try:
        connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/..%2fpyproject.toml",
        "/%2e%2e%2fpyproject.toml",
        "/js/../../pyproject.toml",
        "/..\\pyproject.toml",
        "/js/..%5c..%5cpyproject.toml",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/../models/cnn.json",
        "/../../../../etc/passwd",
    ],
)
def test_static_traversal_blocked(server_url: str, path: str) -> None:
    status, body = raw_get(server_url, path)

    assert status in (400, 404), f"{path} answered {status}"
    assert b"[project]" not in body
    assert b"root:" not in body
    assert b"sha256" not in body


def test_static_symlink_out_not_followed(tmp_path: Path) -> None:
    frontend = tmp_path / "frontend"
    frontend.mkdir()
    (frontend / "index.html").write_text("<p>page</p>")
    outside = tmp_path / "secret.txt"
    outside.write_text(SECRET)
    os.symlink(outside, frontend / "link.txt")
    settings = Settings(frontend_dir=frontend)

    with TestClient(create_app(settings)) as client:
        page = client.get("/")
        linked = client.get("/link.txt")

    assert page.status_code == 200
    assert linked.status_code == 404, linked.text
    assert SECRET not in linked.text


def test_static_page_served(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert "draw-canvas" in response.text
    assert "https://" not in response.text
