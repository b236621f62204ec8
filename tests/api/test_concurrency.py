"""Concurrent predictions: each response equals the one its input gets alone.

Sync endpoints run in a thread pool, so 64 requests at once share the three
models. Any state written on a shared module during a request (hooks, buffers,
a cached input) would leak between them and change the numbers.
"""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cnnvis.data import Digits
from tests.api import canvas
from tests.api.checks import Response, check_no_hooks

PREDICT = "/api/v1/predict"
REQUESTS = 64

Post = Callable[[dict[str, Any]], Response]


def request_bodies(digits: Digits) -> list[dict[str, Any]]:
    """Build 64 bodies of 64 different digits, alternating arrays and PNG drawings."""
    bodies = []
    for number in range(REQUESTS):
        label, position = number % 10, number // 10
        members = (digits.labels == label).nonzero().flatten()
        digit = digits.images[int(members[position]), 0].numpy()
        if number % 2 == 0:
            bodies.append({"image": digit.tolist()})
        else:
            drawing = canvas.render(digit, "centred")
            bodies.append({"png": canvas.image_data_url(drawing)})
    return bodies


@pytest.fixture(params=["testclient", "uvicorn"])
def post(request: pytest.FixtureRequest, client: TestClient) -> Iterator[Post]:
    """Post to the in-process app, or to a real uvicorn server over TCP."""
    if request.param == "testclient":
        yield lambda body: client.post(PREDICT, json=body)
        return
    server_url: str = request.getfixturevalue("server_url")
    limits = httpx.Limits(max_connections=REQUESTS)
    with httpx.Client(base_url=server_url, limits=limits, timeout=60) as http:
        yield lambda body: http.post(PREDICT, json=body)


def test_concurrent_predict_isolated(post: Post, digits: Digits) -> None:
    bodies = request_bodies(digits)
    alone = [post(body) for body in bodies]
    for response in alone:
        assert response.status_code == 200, response.text

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        together = list(pool.map(post, bodies))

    for number, (single, concurrent) in enumerate(zip(alone, together, strict=True)):
        assert concurrent.status_code == 200, concurrent.text
        # Exact equality: the same input must give the same float64 numbers.
        assert concurrent.json() == single.json(), f"request {number} differs"


def test_concurrent_no_hooks_left(client: TestClient, digits: Digits) -> None:
    bodies = request_bodies(digits)[:16]

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        responses = list(pool.map(lambda b: client.post(PREDICT, json=b), bodies))

    for response in responses:
        assert response.status_code == 200, response.text
    check_no_hooks(client.app.state.models)  # type: ignore[attr-defined]
