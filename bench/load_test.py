"""Load and soak test of the real server: mixed requests, cross-talk checks, memory.

Starts uvicorn on a free loopback port and sends `--requests` requests from
`--clients` concurrent clients, mixing predict, activations, filters,
conv-matrix and gradients for all three models and 50 different digits. Every
answer is compared with the answer its input got when sent alone first, so any
cross-talk between concurrent requests shows as a mismatch. Records the
server's resident memory after the first tenth of the requests and at the end,
p50, p99 and throughput, then writes a section of docs/benchmarks.md.

While a gradient-flow experiment runs (`--slow-work`), it measures /healthz
and /api/v1/predict latency to show that slow work does not starve fast work.

Usage: .venv/bin/python bench/load_test.py [--requests 10000] [--clients 64]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import time
from typing import Any

import httpx
from bench_activations import resident_kib
from common import free_port, percentile, start_server, stop_server, write_section

from cnnvis.config import Settings
from cnnvis.data import load_default_split

MODELS = ("cnn", "resnet", "plain")


def build_requests(
    images: list[list[list[float]]],
) -> list[tuple[str, str, dict[str, Any] | None]]:
    """One request of each kind per digit and model: (method, path, JSON body)."""
    requests: list[tuple[str, str, dict[str, Any] | None]] = []
    for index, image in enumerate(images):
        model = MODELS[index % 3]
        requests += [
            ("POST", "/api/v1/predict", {"image": image}),
            (
                "POST",
                "/api/v1/activations",
                {
                    "model": model,
                    "image": image,
                    "layers": ["fc" if model != "cnn" else "fc3"],
                },
            ),
            ("POST", "/api/v1/gradients", {"model": model, "image": image}),
            (
                "POST",
                "/api/v1/conv-matrix",
                {
                    "layer": {"model": model, "layer": "conv1", "image": image},
                    "include_matrix": False,
                },
            ),
            ("GET", f"/api/v1/models/{model}/layers/conv1/filters", None),
        ]
    return requests


def digest(response: httpx.Response) -> str:
    """A hash of the response body without timings, which differ between runs."""
    body = response.json()
    if isinstance(body, dict):
        body.pop("milliseconds", None)
    return hashlib.sha256(repr(body).encode()).hexdigest()


async def send(
    client: httpx.AsyncClient, request: tuple[str, str, dict[str, Any] | None]
) -> httpx.Response:
    method, path, body = request
    return await client.request(method, path, json=body)


async def baseline(
    url: str, requests: list[tuple[str, str, dict[str, Any] | None]]
) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        digests = []
        for request in requests:
            response = await send(client, request)
            response.raise_for_status()
            digests.append(digest(response))
        return digests


async def load(
    url: str,
    requests: list[tuple[str, str, dict[str, Any] | None]],
    expected: list[str],
    total: int,
    clients: int,
    on_progress: Any,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = mismatches = 0
    next_index = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index, errors, mismatches
        while next_index < total:
            index = next_index
            next_index += 1
            request = requests[index % len(requests)]
            started = time.perf_counter()
            response = await send(client, request)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1
            elif digest(response) != expected[index % len(requests)]:
                mismatches += 1
            if index + 1 == total // 10:
                on_progress()

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    seconds = time.perf_counter() - started
    return {
        "latencies": latencies,
        "errors": errors,
        "mismatches": mismatches,
        "seconds": seconds,
    }


async def fast_during_slow(
    url: str, image: list[list[float]], probes: int
) -> dict[str, list[float]]:
    """Latency of /healthz and /predict while a gradient-flow experiment runs."""
    results: dict[str, list[float]] = {"healthz": [], "predict": []}
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        slow = asyncio.create_task(
            client.post(
                "/api/v1/gradient-flow", json={"blocks": 50, "steps": 30, "seed": 7}
            )
        )
        await asyncio.sleep(0.5)
        for _ in range(probes):
            for name, call in (
                ("healthz", client.get("/healthz")),
                ("predict", client.post("/api/v1/predict", json={"image": image})),
            ):
                started = time.perf_counter()
                (await call).raise_for_status()
                results[name].append((time.perf_counter() - started) * 1000)
            if slow.done():
                break
            await asyncio.sleep(0.02)
        (await slow).raise_for_status()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=10000,
        help="requests in the load run (default: 10000)",
    )
    parser.add_argument(
        "--clients", type=int, default=64, help="concurrent clients (default: 64)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default: 1)"
    )
    parser.add_argument(
        "--probes",
        type=int,
        default=300,
        help="fast requests during slow work (default: 300)",
    )
    args = parser.parse_args()

    _, test = load_default_split(Settings().data_dir)
    images = [test.images[i * 37, 0].tolist() for i in range(50)]
    requests = build_requests(images)

    port = free_port()
    server = start_server(port, workers=args.workers)
    url = f"http://127.0.0.1:{port}"
    memory: dict[str, int] = {}
    try:
        expected = asyncio.run(baseline(url, requests))
        memory["start"] = resident_kib(server.pid)

        def record_tenth() -> None:
            memory["tenth"] = resident_kib(server.pid)

        result = asyncio.run(
            load(url, requests, expected, args.requests, args.clients, record_tenth)
        )
        memory["end"] = resident_kib(server.pid)
        slow = asyncio.run(fast_during_slow(url, images[0], args.probes))
    finally:
        stop_server(server)

    latencies = result["latencies"]
    growth = (memory["end"] - memory["tenth"]) / memory["tenth"] * 100
    lines = [
        f"## Load: {args.requests} mixed requests, {args.clients} clients, {args.workers} worker(s)",
        "",
        f"Measured by `bench/load_test.py --requests {args.requests} --clients {args.clients} "
        f"--workers {args.workers}` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} CPU cores "
        f"({platform.machine()}), client and server on the same machine over loopback. "
        "The mix cycles through predict, activations, gradients, conv-matrix (a trained "
        "layer) and filters for the three models and 50 held-out digits; each answer is "
        "compared with the answer its input got alone.",
        "",
        "| requests | errors | cross-talk mismatches | p50 (ms) | p99 (ms) | requests/s |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {len(latencies)} | {result['errors']} | {result['mismatches']} | "
        f"{percentile(latencies, 50):.1f} | {percentile(latencies, 99):.1f} | "
        f"{len(latencies) / result['seconds']:.0f} |",
        "",
        f"Resident memory of the server (all processes): {memory['start'] / 1024:.0f} MiB "
        f"after the baseline, {memory['tenth'] / 1024:.0f} MiB after the first "
        f"{args.requests // 10} requests, {memory['end'] / 1024:.0f} MiB after all "
        f"({growth:+.1f} % from the first tenth; target within 10 %).",
        "",
        "While a gradient-flow experiment (50 blocks, 30 steps) ran: "
        f"/healthz p50 {percentile(slow['healthz'], 50):.1f} ms, p99 "
        f"{percentile(slow['healthz'], 99):.1f} ms; /api/v1/predict p50 "
        f"{percentile(slow['predict'], 50):.1f} ms, p99 {percentile(slow['predict'], 99):.1f} ms "
        f"({len(slow['predict'])} probes; target p99 under 100 ms).",
    ]
    write_section(f"load-{args.workers}", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
