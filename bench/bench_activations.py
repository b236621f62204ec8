"""Benchmark POST /api/v1/activations for all layers of `cnn`, and a memory soak.

Measures, on a real uvicorn server over loopback, the latency and body size of
all layers of `cnn` for one drawing in u8 and in f32, against two references
taken in the same run: the in-process forward pass, and the same values built
as plain JSON lists of floats. Then sends `--soak` requests with different
digits and records the server's resident memory after the first tenth and at the
end. Writes the tables to docs/benchmarks.md.

Usage: .venv/bin/python bench/bench_activations.py [--requests 300] [--soak 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import httpx
import torch
from common import free_port, percentile, start_server, stop_server, write_section

from cnnvis.analysis.activations import compute_activations
from cnnvis.config import Settings
from cnnvis.data import load_default_split
from cnnvis.nets.registry import load_model


def resident_kib(pid: int) -> int:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for process in pids:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def in_process(image: torch.Tensor, repeats: int) -> tuple[float, float, int]:
    """Median ms of the forward pass alone and of building JSON lists, and JSON size."""
    served = load_model("cnn", Settings().models_dir)
    forward, lists = [], []
    body = b""
    with torch.inference_mode():
        for _ in range(repeats):
            started = time.perf_counter()
            served.model(image.reshape(1, 1, 28, 28))
            forward.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            entries = compute_activations(served.model, served.layers, image)
            payload = {entry.info.name: entry.values.tolist() for entry in entries}
            body = json.dumps(payload).encode()
            lists.append((time.perf_counter() - started) * 1000)
    return statistics.median(forward), statistics.median(lists), len(body)


def timed_posts(
    client: httpx.Client, url: str, bodies: list[dict[str, object]]
) -> tuple[list[float], int]:
    latencies, size = [], 0
    for body in bodies:
        started = time.perf_counter()
        response = client.post(url, json=body)
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return latencies, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=300, help="requests per encoding (default: 300)"
    )
    parser.add_argument(
        "--soak",
        type=int,
        default=10000,
        help="requests in the memory soak (default: 10000)",
    )
    args = parser.parse_args()

    _, test = load_default_split(Settings().data_dir)
    images = [test.images[i, 0] for i in range(len(test))]
    forward_ms, lists_ms, lists_bytes = in_process(images[0], args.requests)

    port = free_port()
    server = start_server(port)
    url = f"http://127.0.0.1:{port}/api/v1/activations"
    try:
        with httpx.Client(timeout=30) as client:
            results = {}
            for encoding in ("u8", "f32"):
                body = {
                    "model": "cnn",
                    "image": images[0].tolist(),
                    "encoding": encoding,
                }
                timed_posts(client, url, [body] * 20)  # warm-up
                results[encoding] = timed_posts(client, url, [body] * args.requests)

            soak_bodies = [
                {"model": model_id, "image": images[i % len(images)].tolist()}
                for i, model_id in zip(
                    range(args.soak),
                    ["cnn", "resnet", "plain"] * args.soak,
                    strict=False,
                )
            ]
            first = args.soak // 10
            timed_posts(client, url, soak_bodies[:first])
            memory_first = resident_kib(server.pid)
            timed_posts(client, url, soak_bodies[first:])
            memory_last = resident_kib(server.pid)
    finally:
        stop_server(server)

    lines = [
        "## `POST /api/v1/activations`, all layers of `cnn`, one digit",
        "",
        f"Measured by `bench/bench_activations.py` on {time.strftime('%Y-%m-%d')}: "
        f"{os.cpu_count()} CPU cores ({platform.machine()}), torch {torch.__version__}, "
        f"one uvicorn worker, one client over loopback, {args.requests} requests per "
        "encoding. Targets: u8 p50 ≤ 10 ms, body ≤ 200 KB.",
        "",
        "| what | p50 (ms) | p99 (ms) | body (KB) | p50 / forward | p50 / JSON lists |",
        "|---|---:|---:|---:|---:|---:|",
        f"| in-process forward pass (floor) | {forward_ms:.2f} | | | 1.0× | |",
        f"| in-process walk + JSON lists of floats | {lists_ms:.2f} | | "
        f"{lists_bytes / 1000:.0f} | {lists_ms / forward_ms:.1f}× | 1.0× |",
    ]
    for encoding, (latencies, size) in results.items():
        p50 = percentile(latencies, 50)
        lines.append(
            f"| server, {encoding} | {p50:.2f} | {percentile(latencies, 99):.2f} | "
            f"{size / 1000:.0f} | {p50 / forward_ms:.1f}× | {p50 / lists_ms:.2f}× |"
        )
    growth = (memory_last - memory_first) / memory_first * 100
    lines += [
        "",
        f"Memory soak: {args.soak} activation requests cycling through the three "
        f"models and {len(images)} held-out digits. Server resident memory after the "
        f"first {args.soak // 10}: {memory_first / 1024:.0f} MiB; after all "
        f"{args.soak}: {memory_last / 1024:.0f} MiB ({growth:+.1f} %).",
    ]
    write_section("activations", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
