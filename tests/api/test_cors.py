"""CORS: closed unless CNNVIS_CORS_ORIGINS lists origins, then open to those only.

A browser sends a preflight OPTIONS request before a cross-origin POST with a
JSON body, and goes on only if the response is 2xx and names the page's origin
in Access-Control-Allow-Origin. For a GET it skips the preflight but hides the
response from the page unless that header names its origin.
"""

import json
from collections.abc import Iterator

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient

from cnnvis.app import create_app
from cnnvis.config import Settings
from tests.api.test_predict import vertical_bar
from tests.servers import running_server

ALLOWED = ["http://classroom.example", "http://localhost:5173"]
# Each differs from an allowed origin in scheme, host or port, or is "null".
FOREIGN = [
    "http://elsewhere.example",
    "https://classroom.example",
    "http://classroom.example:8080",
    "http://sub.classroom.example",
    "http://localhost:5174",
    "null",
]
ALLOW_ORIGIN = "access-control-allow-origin"


def preflight(
    client: TestClient | httpx.Client, origin: str
) -> httpx.Response | httpx2.Response:
    # TestClient returns httpx2 responses, since starlette 1.10 imports httpx2.
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    return client.options("/api/v1/predict", headers=headers)


def app_from_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> TestClient:
    """Build the app from CNNVIS_CORS_ORIGINS=value, without loading the models.

    CORS middleware handles preflights before any route runs, and /healthz returns 503
    while the models are not loaded, which is enough for these checks.
    """
    if value is None:
        monkeypatch.delenv("CNNVIS_CORS_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("CNNVIS_CORS_ORIGINS", value)
    return TestClient(create_app(Settings()))


@pytest.mark.parametrize(
    "value", [None, "", "[]"], ids=["unset", "empty", "empty_list"]
)
@pytest.mark.parametrize("origin", [*ALLOWED, *FOREIGN])
def test_cors_closed_without_origins(
    monkeypatch: pytest.MonkeyPatch, value: str | None, origin: str
) -> None:
    client = app_from_environment(monkeypatch, value)

    response = preflight(client, origin)
    simple = client.get("/healthz", headers={"Origin": origin})

    # A browser proceeds only after a 2xx response that names its origin.
    assert response.status_code >= 400, response.text
    assert ALLOW_ORIGIN not in response.headers
    assert "access-control-allow-methods" not in response.headers
    assert ALLOW_ORIGIN not in simple.headers


@pytest.mark.parametrize(
    "value", [json.dumps(ALLOWED), " , ".join(ALLOWED)], ids=["json", "commas"]
)
@pytest.mark.parametrize("origin", ALLOWED)
def test_cors_env_allows_listed_origin(
    monkeypatch: pytest.MonkeyPatch, origin: str, value: str
) -> None:
    client = app_from_environment(monkeypatch, value)

    response = preflight(client, origin)
    simple = client.get("/healthz", headers={"Origin": origin})

    assert response.status_code == 200, response.text
    assert response.headers[ALLOW_ORIGIN] == origin
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert "access-control-allow-credentials" not in response.headers
    assert simple.headers[ALLOW_ORIGIN] == origin
    assert "Origin" in simple.headers["vary"]


@pytest.mark.parametrize("origin", FOREIGN)
def test_cors_env_rejects_other_origin(
    monkeypatch: pytest.MonkeyPatch, origin: str
) -> None:
    client = app_from_environment(monkeypatch, json.dumps(ALLOWED))

    response = preflight(client, origin)
    simple = client.get("/healthz", headers={"Origin": origin})

    assert response.status_code == 400, response.text
    assert ALLOW_ORIGIN not in response.headers
    assert ALLOW_ORIGIN not in simple.headers


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_cors_env_rejects_other_method(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    client = app_from_environment(monkeypatch, json.dumps(ALLOWED))
    headers = {"Origin": ALLOWED[0], "Access-Control-Request-Method": method}

    response = client.options("/api/v1/predict", headers=headers)

    assert response.status_code == 400, response.text


@pytest.fixture(scope="module")
def cors_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server started with CNNVIS_CORS_ORIGINS set to ALLOWED."""
    log_path = tmp_path_factory.mktemp("cors") / "server.log"
    env = {"CNNVIS_CORS_ORIGINS": json.dumps(ALLOWED)}
    with running_server(log_path, env=env) as url:
        yield url


def test_cors_server_exact_origins(cors_server_url: str) -> None:
    image = vertical_bar()

    with httpx.Client(base_url=cors_server_url, timeout=60) as http:
        allowed = {origin: preflight(http, origin) for origin in ALLOWED}
        posts = {
            origin: http.post(
                "/api/v1/predict", json={"image": image}, headers={"Origin": origin}
            )
            for origin in ALLOWED
        }
        foreign = {origin: preflight(http, origin) for origin in FOREIGN}

    for origin in ALLOWED:
        assert allowed[origin].status_code == 200, allowed[origin].text
        assert allowed[origin].headers[ALLOW_ORIGIN] == origin
        assert posts[origin].status_code == 200, posts[origin].text
        assert posts[origin].headers[ALLOW_ORIGIN] == origin
    for origin in FOREIGN:
        assert foreign[origin].status_code == 400, origin
        assert ALLOW_ORIGIN not in foreign[origin].headers, origin
