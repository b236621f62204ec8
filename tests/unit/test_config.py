"""Settings from CNNVIS_ environment variables: what is read, what is rejected."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnnvis.config import Settings, SettingsInvalidError, get_settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Clear get_settings' cache before and after the test."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("", []),
        ("[]", []),
        ('["https://a.example"]', ["https://a.example"]),
        ("https://a.example", ["https://a.example"]),
        (
            "https://a.example, http://b.example:8080,",
            ["https://a.example", "http://b.example:8080"],
        ),
        ("http://[::1]:8000", ["http://[::1]:8000"]),
    ],
)
def test_cors_origins_read(
    monkeypatch: pytest.MonkeyPatch, value: str, origins: list[str]
) -> None:
    monkeypatch.setenv("CNNVIS_CORS_ORIGINS", value)

    assert Settings().cors_origins == origins


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://a.example/", "is not an origin"),
        ("https://a.example/page", "is not an origin"),
        ("a.example", "is not an origin"),
        ("[https://a.example", "is not a valid JSON list"),
    ],
)
def test_cors_origins_invalid_named(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None, value: str, message: str
) -> None:
    monkeypatch.setenv("CNNVIS_CORS_ORIGINS", value)

    with pytest.raises(SettingsInvalidError) as raised:
        get_settings()

    assert str(raised.value).startswith("CNNVIS_CORS_ORIGINS: ")
    assert message in str(raised.value)


def test_invalid_setting_stops_serve_with_one_line() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cnnvis", "serve", "--port", "9"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CNNVIS_MAX_BODY_BYTES": "2MB"},
        check=False,
    )

    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: CNNVIS_MAX_BODY_BYTES: "), run.stderr
    assert "valid integer" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("side", ["27", "2049", "20000"])
def test_image_side_out_of_range_rejected(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None, side: str
) -> None:
    monkeypatch.setenv("CNNVIS_MAX_IMAGE_SIDE", side)

    with pytest.raises(SettingsInvalidError, match="CNNVIS_MAX_IMAGE_SIDE: "):
        get_settings()


@pytest.mark.parametrize("variable", ["CNNVIS_MODELS_DIR", "CNNVIS_FRONTEND_DIR"])
def test_missing_folder_stops_serve(tmp_path: Path, variable: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cnnvis", "serve", "--port", "9"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, variable: str(tmp_path / "missing")},
        check=False,
    )

    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"error: {variable}: "), run.stderr
    assert "is not a folder" in run.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["serve", "--port", "abc"], "'abc' is not a whole number"),
        (["serve", "--log-level", "loud"], "invalid choice: 'loud'"),
        (["train", "--lr", "nan"], "learning rate nan is not in (0, 1]"),
    ],
)
def test_bad_argument_one_line(arguments: list[str], message: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cnnvis", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 2, run.stderr
    assert message in run.stderr
    assert "Traceback" not in run.stderr
