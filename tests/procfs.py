"""Facts about running processes, read from Linux's /proc."""

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessId:
    """A PID with its start time, so that a reused PID is never mistaken for it."""

    pid: int
    start_ticks: int


def _stat_fields(pid: int) -> list[str] | None:
    """Return the fields of /proc/<pid>/stat after the command name, or None."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in brackets and may contain spaces, so split after it.
    return text[text.rindex(")") + 2 :].split()


def identify(pid: int) -> ProcessId | None:
    """Return the process `pid` with its start time, or None if it has exited."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # starttime is field 22 of /proc/<pid>/stat in proc(5), and fields[0] is field 3.
    return ProcessId(pid, int(fields[19]))


def is_running(process: ProcessId) -> bool:
    """Return whether the process exists and is not a zombie (exited, not reaped)."""
    fields = _stat_fields(process.pid)
    if fields is None:
        return False
    return int(fields[19]) == process.start_ticks and fields[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    """Return the PIDs of the children of `pid` (of all its threads)."""
    found: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return sorted(set(found))


def descendants(pid: int) -> list[ProcessId]:
    """Return the children of `pid`, their children, and so on."""
    found: list[ProcessId] = []
    pending = children(pid)
    while pending:
        child = pending.pop()
        process = identify(child)
        if process is not None:
            found.append(process)
            pending += children(child)
    return found


def status_value(pid: int, field: str) -> int:
    """Return the number in a field of /proc/<pid>/status, such as Threads or VmRSS."""
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    raise KeyError(f"/proc/{pid}/status has no field {field!r}")


def thread_count(pid: int) -> int:
    return status_value(pid, "Threads")


def resident_kib(pid: int) -> int:
    """Return the resident memory (VmRSS) of the process alone, in KiB."""
    return status_value(pid, "VmRSS")


def kill_if_running(processes: list[ProcessId], timeout_s: float) -> list[ProcessId]:
    """SIGKILL each process still running, and return those still running after."""
    for process in processes:
        if is_running(process):
            try:
                os.kill(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
    deadline = time.monotonic() + timeout_s
    alive = [process for process in processes if is_running(process)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [process for process in alive if is_running(process)]
    return alive
