"""Checks shared by the API tests, each condition in its own assert."""

import math
from typing import Any, Protocol

import torch


class Response(Protocol):
    """What the tests read from a response of httpx or of starlette's TestClient."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def single_error(response: Response) -> dict[str, Any]:
    """Return the first error item after checking the shape of the whole body."""
    body = response.json()
    assert set(body) == {"detail"}, response.text
    assert isinstance(body["detail"], list), response.text
    assert len(body["detail"]) >= 1, response.text
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}, response.text
        assert isinstance(item["loc"], list), response.text
        assert isinstance(item["msg"], str), response.text
        assert item["msg"], response.text
    first: dict[str, Any] = body["detail"][0]
    return first


def check_result(result: dict[str, Any]) -> None:
    """Check one model's result: ten probabilities summing to 1, and their argmax."""
    probabilities = result["probabilities"]
    assert len(probabilities) == 10, result
    assert all(0.0 <= p <= 1.0 for p in probabilities), result
    assert math.isclose(sum(probabilities), 1.0, abs_tol=1e-6), result
    argmax = max(range(10), key=probabilities.__getitem__)
    assert result["prediction"] == argmax, result


def check_input_shape(image: list[list[float]]) -> None:
    assert len(image) == 28
    assert all(len(row) == 28 for row in image)
    assert all(0.0 <= value <= 1.0 for row in image for value in row)


def check_no_hooks(models: dict[str, Any]) -> None:
    """Check that no module of a served model, and no global hook, is left hooked.

    `models` is the app's registry (app.state.models) of served models.
    """
    for model_id, served in models.items():
        for name, module in served.model.named_modules():
            where = f"{model_id} {name or '(root)'}"
            assert not module._forward_hooks, where
            assert not module._forward_pre_hooks, where
            assert not module._backward_hooks, where
            assert not module._backward_pre_hooks, where
    assert not torch.nn.modules.module._global_forward_hooks
    assert not torch.nn.modules.module._global_forward_pre_hooks
    assert not torch.nn.modules.module._global_backward_hooks
    assert not torch.nn.modules.module._global_backward_pre_hooks
