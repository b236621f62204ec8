"""Benchmark POST /api/v1/predict on a real uvicorn server, all three models.

Starts `cnnvis.app:create_app` under uvicorn on a free loopback port, sends a
held-out 28×28 digit as `image`, and measures latency for one client and for 16
concurrent clients, plus the in-process forward pass of the three models as the
floor. Writes the table to docs/benchmarks.md (the section between its markers).

Usage: .venv/bin/python bench/bench_predict.py [--requests 1000] [--concurrent 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time

import httpx
import torch
from common import free_port, percentile, start_server, stop_server, write_section

from cnnvis.config import Settings
from cnnvis.data import load_default_split
from cnnvis.nets import MODEL_IDS
from cnnvis.nets.registry import load_model


async def run_clients(
    url: str, body: dict[str, object], total: int, clients: int
) -> tuple[list[float], float]:
    """Send `total` requests from `clients` concurrent connections; return latencies (ms) and seconds."""
    latencies: list[float] = []
    remaining = total

    async def client(session: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await session.post(url, json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as session:
        for _ in range(20):  # warm-up
            (await session.post(url, json=body)).raise_for_status()
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed


def forward_floors(image: torch.Tensor, repeats: int = 300) -> tuple[float, float]:
    """Median time (ms) of one digit through all three models, in process.

    Returns the time of the modules themselves (as /activations runs them) and
    of the copies with BatchNorm folded that /predict runs, measured in turns.
    """
    settings = Settings()
    torch.set_num_threads(settings.torch_threads)
    served = [load_model(model_id, settings.models_dir) for model_id in MODEL_IDS]
    batch = image.reshape(1, 1, 28, 28)
    modules: list[float] = []
    folded: list[float] = []
    with torch.inference_mode():
        for _ in range(repeats):
            started = time.perf_counter()
            for model in served:
                model.model(batch)
            modules.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            for model in served:
                model.fast_logits(batch)
            folded.append((time.perf_counter() - started) * 1000)
    return statistics.median(modules), statistics.median(folded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=1000,
        help="requests per scenario (default: 1000)",
    )
    parser.add_argument(
        "--concurrent",
        type=int,
        default=16,
        help="clients in the concurrent scenario (default: 16)",
    )
    args = parser.parse_args()

    _, test = load_default_split(Settings().data_dir)
    image = test.images[0, 0]
    body = {"image": image.tolist()}
    modules_ms, floor_ms = forward_floors(image)

    port = free_port()
    server = start_server(port)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/predict"
        single, single_s = asyncio.run(run_clients(url, body, args.requests, 1))
        many, many_s = asyncio.run(
            run_clients(url, body, args.requests * 3, args.concurrent)
        )
    finally:
        stop_server(server)

    rows = [
        ("in-process forward, 3 models as modules", modules_ms, None, None),
        (
            "in-process forward, 3 models, BatchNorm folded (floor)",
            floor_ms,
            None,
            None,
        ),
        (
            "1 client",
            percentile(single, 50),
            percentile(single, 99),
            len(single) / single_s,
        ),
        (
            f"{args.concurrent} concurrent clients",
            percentile(many, 50),
            percentile(many, 99),
            len(many) / many_s,
        ),
    ]
    lines = [
        "## `POST /api/v1/predict`, 28×28 `image`, all three models",
        "",
        f"Measured by `bench/bench_predict.py` on {time.strftime('%Y-%m-%d')}: "
        f"{os.cpu_count()} CPU cores ({platform.machine()}), torch {torch.__version__}, "
        f"one uvicorn worker, client and server on the same machine over loopback, "
        f"{args.requests} requests for one client and {args.requests * 3} for "
        f"{args.concurrent}. Targets: p50 ≤ 5 ms for one client, ≥ 200 requests/s "
        f"with {args.concurrent}.",
        "",
        "| scenario | p50 (ms) | p99 (ms) | requests/s | p50 / floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, p50, p99, rps in rows:
        p99_text = "" if p99 is None else f"{p99:.2f}"
        rps_text = "" if rps is None else f"{rps:.0f}"
        lines.append(
            f"| {name} | {p50:.2f} | {p99_text} | {rps_text} | {p50 / floor_ms:.1f}× |"
        )
    write_section("predict", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
