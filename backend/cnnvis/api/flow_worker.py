"""A separate process for gradient-flow experiments.

An experiment spends much of its time in Python (building autograd graphs of up
to 120 layers), holding the GIL; in the server's own process that stalls every
other request. In a process of its own it takes one core and never the GIL of
the process that serves /predict.
"""

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

# Set in the worker process by _start_worker.
_train_images: torch.Tensor | None = None
_train_labels: torch.Tensor | None = None
_cancel: Any = None


class WorkerFailedError(CnnvisError):
    status_code = 503
    error_type = "worker_failed"


def _start_worker(data_dir: str, cancel: Any, threads: int) -> None:
    from cnnvis.data import load_default_split

    global _train_images, _train_labels, _cancel
    torch.set_num_threads(threads)
    train, _ = load_default_split(Path(data_dir), fetch=False)
    _train_images, _train_labels, _cancel = train.images, train.labels, cancel


def _run(config: FlowConfig) -> dict[str, Any] | None:
    assert _train_images is not None and _train_labels is not None, "worker not started"
    try:
        return run_experiment(config, _train_images, _train_labels, _cancel)
    except Cancelled:
        return None


class FlowWorker:
    """Runs one experiment at a time in a spawned process, started on first use."""

    def __init__(self, data_dir: Path, threads: int) -> None:
        self._data_dir = data_dir
        self._threads = threads
        self._context = multiprocessing.get_context("spawn")
        self._cancel = self._context.Event()
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=self._context,
                    initializer=_start_worker,
                    initargs=(str(self._data_dir), self._cancel, self._threads),
                )
            return self._executor

    def run(self, config: FlowConfig) -> dict[str, Any] | None:
        """Run an experiment (blocking); None if it was cancelled."""
        self._cancel.clear()
        try:
            return self._pool().submit(_run, config).result()
        except BrokenProcessPool as error:
            logger.error("gradient-flow worker died config=%s error=%s", config, error)
            with self._lock:
                self._executor = None
            raise WorkerFailedError(
                "the experiment's worker process stopped unexpectedly; it restarts on "
                "the next request, so try again",
                loc=("body",),
            ) from error

    def cancel(self) -> None:
        self._cancel.set()

    def shutdown(self) -> None:
        """Stop a running experiment at its next step and end the worker process."""
        self._cancel.set()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            # Waiting lets the worker process exit; without it, it outlives the app.
            executor.shutdown(wait=True, cancel_futures=True)
