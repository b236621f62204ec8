"""Fixtures shared by the test suites: the app with the committed models."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cnnvis.app import create_app
from cnnvis.config import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of the real app, started once with the committed weights."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
