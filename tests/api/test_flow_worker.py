"""The gradient-flow process dying mid-experiment: a 503, then a new process."""

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests import procfs
from tests.servers import Server, started_server

URL = "/api/v1/gradient-flow"
# About 5 s of work on a 2-core machine, so the kill lands mid-run.
SLOW = {"blocks": 40, "steps": 20, "width": 8, "seed": 71}
QUICK = {"blocks": 4, "steps": 0, "width": 4, "seed": 72}
FIND_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log_path = tmp_path_factory.mktemp("flow-worker") / "server.log"
    with started_server(log_path) as running:
        yield running


def experiment_process(server_pid: int) -> int:
    """Return the PID of the server's child that runs experiments, once it exists.

    The spawned pool's worker runs `multiprocessing.spawn`; the resource
    tracker, also a child, runs `resource_tracker`.
    """
    deadline = time.monotonic() + FIND_TIMEOUT_S
    while time.monotonic() < deadline:
        for pid in procfs.children(server_pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"multiprocessing" in command and b"resource_tracker" not in command:
                return pid
        time.sleep(0.1)
    raise AssertionError(f"no experiment process under {server_pid}")


def test_killed_experiment_process_gives_503_then_recovers(server: Server) -> None:
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(httpx.post, server.url + URL, json=SLOW, timeout=120)
        victim = experiment_process(server.pid)
        # Let the run start its steps before the kill.
        time.sleep(1.0)
        os.kill(victim, signal.SIGKILL)
        response = running.result()

    assert response.status_code == 503, response.text
    error = response.json()["detail"][0]
    assert error["type"] == "worker_failed"
    assert "try again" in error["msg"]

    again = httpx.post(server.url + URL, json=QUICK, timeout=120)

    assert again.status_code == 200, again.text
    assert experiment_process(server.pid) != victim
    assert "gradient-flow worker died" in server.log_path.read_text()
