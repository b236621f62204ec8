"""Tests of the conv-matrix non-zero budget: who waits, who fails, what is freed."""

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import anyio
import pytest

from cnnvis.api.budget import NonzeroBudget, ServerBusyError

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run `main` in an event loop of its own thread.

    Playwright's sync API, used by the browser tests in the same session, leaves
    an event loop set in the main thread, and anyio.run refuses to start there.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, main).result()


def test_second_large_request_waits_for_first() -> None:
    events: list[str] = []

    async def main() -> None:
        budget = NonzeroBudget(total=100, wait_s=10)
        first_holds = anyio.Event()
        release_first = anyio.Event()

        async def first() -> None:
            async with budget.reserve(60):
                events.append("first starts")
                first_holds.set()
                await release_first.wait()
                events.append("first ends")

        async def second() -> None:
            await first_holds.wait()
            async with budget.reserve(60):
                events.append("second starts")

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(first)
            tasks.start_soon(second)
            await first_holds.wait()
            # Give the second request time to reach its wait.
            await anyio.sleep(0.05)
            events.append("releasing")
            release_first.set()
        assert budget.in_use == 0

    run(main)

    assert events == ["first starts", "releasing", "first ends", "second starts"]


def test_small_requests_share_budget() -> None:
    async def main() -> int:
        budget = NonzeroBudget(total=100, wait_s=0.2)
        async with budget.reserve(40), budget.reserve(40), budget.reserve(20):
            return budget.in_use

    assert run(main) == 100


def test_request_larger_than_budget_runs_alone() -> None:
    async def main() -> int:
        budget = NonzeroBudget(total=100, wait_s=0.2)
        async with budget.reserve(5_000):
            return budget.in_use

    assert run(main) == 100


def test_wait_past_limit_is_busy_error() -> None:
    async def main() -> NonzeroBudget:
        budget = NonzeroBudget(total=100, wait_s=0.1)
        async with budget.reserve(80):
            with pytest.raises(ServerBusyError) as raised:
                async with budget.reserve(30):
                    pass
        assert raised.value.status_code == 503
        assert "80 of its 100 non-zeros" in raised.value.message
        return budget

    assert run(main).in_use == 0


def test_share_freed_after_error_and_cancel() -> None:
    async def main() -> int:
        budget = NonzeroBudget(total=100, wait_s=0.1)
        with pytest.raises(ValueError, match="failed build"):
            async with budget.reserve(70):
                raise ValueError("failed build")
        with anyio.move_on_after(0.05):
            async with budget.reserve(70):
                await anyio.sleep(10)
        return budget.in_use

    assert run(main) == 0
