"""Fixtures for the API tests: held-out digits and a real uvicorn server."""

from collections.abc import Iterator

import pytest

from cnnvis.config import Settings
from cnnvis.data import Digits, load_default_split
from tests.servers import running_server


@pytest.fixture(scope="session")
def digits(settings: Settings) -> Digits:
    """The held-out digits, the same ones /api/v1/samples serves."""
    _, test = load_default_split(settings.data_dir)
    return test


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `uvicorn cnnvis.app:create_app` on a free loopback port."""
    log_path = tmp_path_factory.mktemp("uvicorn") / "server.log"
    with running_server(log_path) as url:
        yield url
