"""A separate process for gradient-flow experiments.

An experiment spends much of its time in Python (building autograd graphs of up
to 120 layers), holding the GIL; in the server's own process that stalls every
other request. In a process of its own it takes one core and never the GIL of
the process that serves /predict.
"""

import itertools
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import torch

from cnnvis.analysis.gradient_flow import Cancelled, FlowConfig, run_experiment
from cnnvis.errors import CnnvisError

logger = logging.getLogger(__name__)

# Slots of the shared array that marks cancelled runs: run r is cancelled when
# slot r % CANCEL_SLOTS contains r, so marks survive until 64 newer runs start.
CANCEL_SLOTS = 64

# Set in the worker process by _start_worker.
_train_images: torch.Tensor | None = None
_train_labels: torch.Tensor | None = None
_cancelled: Any = None


class WorkerFailedError(CnnvisError):
    status_code = 503
    error_type = "worker_failed"


class _RunCancel:
    """The cancel flag of one run, read in the worker process between steps."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id

    def is_set(self) -> bool:
        return bool(_cancelled[self.run_id % CANCEL_SLOTS] == self.run_id)


def _start_worker(data_dir: str, cancelled: Any, threads: int) -> None:
    from cnnvis.data import load_default_split

    global _train_images, _train_labels, _cancelled
    torch.set_num_threads(threads)
    train, _ = load_default_split(Path(data_dir), fetch=False)
    _train_images, _train_labels, _cancelled = train.images, train.labels, cancelled


def _run(config: FlowConfig, run_id: int) -> dict[str, Any] | None:
    assert _train_images is not None and _train_labels is not None, "worker not started"
    try:
        return run_experiment(config, _train_images, _train_labels, _RunCancel(run_id))
    except Cancelled:
        return None


class FlowWorker:
    """Runs one experiment at a time in a spawned process, started on first use."""

    def __init__(self, data_dir: Path, threads: int) -> None:
        self._data_dir = data_dir
        self._threads = threads
        self._run_ids = itertools.count()
        self._cancelled: Any = None
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("spawn")
                if self._cancelled is None:
                    self._cancelled = context.Array("q", [-1] * CANCEL_SLOTS)
                self._executor = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(str(self._data_dir), self._cancelled, self._threads),
                )
            return self._executor

    def new_run_id(self) -> int:
        return next(self._run_ids)

    def run(self, config: FlowConfig, run_id: int) -> dict[str, Any] | None:
        """Run an experiment (blocking); None if run `run_id` was cancelled."""
        try:
            return self._pool().submit(_run, config, run_id).result()
        except BrokenProcessPool as error:
            logger.error("gradient-flow worker died config=%s error=%s", config, error)
            with self._lock:
                self._executor = None
            raise WorkerFailedError(
                "the experiment's worker process stopped unexpectedly; it restarts on "
                "the next request, so try again",
                loc=("body",),
            ) from error

    def cancel(self, run_id: int) -> None:
        """Stop run `run_id` at its next step, or before it starts if it waits."""
        with self._lock:
            if self._cancelled is not None:
                self._cancelled[run_id % CANCEL_SLOTS] = run_id

    def shutdown(self) -> None:
        """End the worker process, waiting for a running experiment's current step."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            # Waiting lets the worker process exit; without it, it outlives the app.
            executor.shutdown(wait=True, cancel_futures=True)
