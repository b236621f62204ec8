"""Fuzz every operation of the API from its own OpenAPI schema with schemathesis.

Each case must get no 5xx, a response that matches the schema (status codes,
content type, body), and, for errors, the API's {"detail": [{"loc", "msg",
"type"}]} shape. The gradient-flow budget is tiny here so that generated
experiments stay fast; larger ones get the documented 422.
"""

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.servers import running_server

# 12 operations × 100 examples gives more than 1,000 cases in CI's run;
# CNNVIS_FUZZ_EXAMPLES raises it for a longer local run.
EXAMPLES = int(os.environ.get("CNNVIS_FUZZ_EXAMPLES", "100"))


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("fuzz") / "server.log"
    with running_server(log_path, env={"CNNVIS_FLOW_BUDGET": "8"}) as url:
        yield url


@pytest.fixture(scope="session")
def api_schema(fuzz_server: str) -> Any:
    return schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json")


OPERATIONS = [
    ("GET", "/api/v1/models"),
    ("GET", "/api/v1/models/{model_id}/card"),
    ("POST", "/api/v1/predict"),
    ("GET", "/api/v1/samples"),
    ("POST", "/api/v1/activations"),
    ("GET", "/api/v1/models/{model_id}/layers/{layer}/filters"),
    ("GET", "/api/v1/models/{model_id}/parameters"),
    ("POST", "/api/v1/conv-matrix"),
    ("POST", "/api/v1/gradients"),
    ("POST", "/api/v1/gradient-flow"),
    ("GET", "/api/v1/limits"),
    ("GET", "/healthz"),
]


def test_every_operation_fuzzed(api_schema: Any) -> None:
    listed = {(op.method.upper(), op.path) for op in _operations(api_schema)}

    assert listed == set(OPERATIONS)


def _operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api_fuzz(api_schema: Any, method: str, path: str) -> None:
    operation = api_schema[path][method]
    strategy = operation.as_strategy()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(timeout=60)
        # The API also rejects schema-valid input on its meaning (an empty
        # drawing, an experiment over budget) with a documented 422, so
        # schemathesis's "positive data accepted" check does not apply.
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            detail = response.json()["detail"]
            assert isinstance(detail, list) and detail, response.text
            for item in detail:
                assert {"loc", "msg", "type"} <= set(item), response.text

    check()


def test_fuzz_server_still_healthy(fuzz_server: str) -> None:
    response = httpx.get(f"{fuzz_server}/healthz", timeout=5)

    assert response.status_code == 200, response.text
