"""Benchmark the conv-matrix construction and the gradient-flow experiment in process.

Conv as matrix: for each size in the table, the time to build the sparse matrix
and multiply it by x, and the time of all the checks (W·x, Wᵀ·g, autograd,
conv_transpose, flipped-kernel convolution), against the direct convolution.
Gradient flow: a 50-block plain-versus-residual comparison at initialisation on
a batch of 32 digits, against one forward and backward pass of the same two
networks as the floor. Writes both tables to docs/benchmarks.md.

Usage: .venv/bin/python bench/bench_analysis.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from common import write_section

from cnnvis.analysis.conv_matrix import ConvGeometry, build_matrix, conv_direct
from cnnvis.analysis.conv_report import analyse
from cnnvis.analysis.gradient_flow import FlowConfig, build_pair, run_experiment
from cnnvis.config import Settings
from cnnvis.data import load_default_split

SIZES = [
    (
        "1-D toy: 6 → 4, kernel 3",
        ConvGeometry(1, 1, (1, 6), (1, 3), (1, 1), (1, 1), (0, 0, 0, 0)),
    ),
    (
        "28 × 28 × 1 → 28 × 28 × 1, 3 × 3, padding 1",
        ConvGeometry(1, 1, (28, 28), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1)),
    ),
    (
        "14 × 14 × 32 → 14 × 14 × 64, 3 × 3, padding 1",
        ConvGeometry(32, 64, (14, 14), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1)),
    ),
]


def median_ms(function, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def conv_row(name: str, geometry: ConvGeometry, repeats: int) -> str:
    weight = torch.randn(
        geometry.out_channels,
        geometry.in_channels,
        *geometry.kernel_size,
        dtype=torch.float64,
    )
    x = torch.randn(geometry.in_channels, *geometry.in_size, dtype=torch.float64)
    g = torch.randn(geometry.out_channels, *geometry.out_size, dtype=torch.float64)

    def build_and_multiply() -> None:
        matrix = build_matrix(weight, geometry).to_torch()
        torch.sparse.mm(matrix, x.reshape(-1, 1))

    build = median_ms(build_and_multiply, repeats)
    checks = median_ms(lambda: analyse(weight, geometry, x, g), repeats)
    direct = median_ms(lambda: conv_direct(x, weight, geometry), repeats)
    nonzeros = build_matrix(weight, geometry).values.numel()
    return (
        f"| {name} | {geometry.rows} × {geometry.columns} | {nonzeros:,} | "
        f"{build:.2f} | {checks:.2f} | {direct:.3f} | {build / direct:.0f}× |"
    )


def conv_rows(repeats: int) -> list[str]:
    return [
        conv_row(
            name,
            geometry,
            repeats if geometry.in_channels == 1 else max(3, repeats // 5),
        )
        for name, geometry in SIZES
    ]


def flow_rows(repeats: int) -> list[str]:
    train, _ = load_default_split(Settings().data_dir)
    config = FlowConfig(blocks=50, batch_size=32)
    images, labels = train.images[:32], train.labels[:32]
    run_experiment(config, train.images, train.labels)  # warm-up
    experiment = median_ms(
        lambda: run_experiment(config, train.images, train.labels), max(3, repeats // 4)
    )

    plain, residual = build_pair(config)

    def forward_backward() -> None:
        for net in (plain, residual):
            logits, _ = net.forward_with_blocks(images)
            F.cross_entropy(logits, labels).backward()  # type: ignore[no-untyped-call]

    floor = median_ms(forward_backward, max(3, repeats // 4))
    return [
        f"| 50 blocks (101 convs) × 2 networks, width 8, 32 digits, at init | "
        f"{experiment:.0f} | {floor:.0f} | {experiment / floor:.1f}× |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=20, help="timed runs per row (default: 20)"
    )
    args = parser.parse_args()
    torch.set_num_threads(Settings().torch_threads)
    machine = (
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPU cores ({platform.machine()}), "
        f"torch {torch.__version__} with {torch.get_num_threads()} thread (the server's setting)"
    )

    conv = [
        "## Convolution as a matrix",
        "",
        f"Measured by `bench/bench_analysis.py` on {machine}; medians, float64. "
        "Target: the 28 × 28 single-channel 3 × 3 matrix built in ≤ 5 ms.",
        "",
        "| convolution | W | non-zeros | build + W·x (ms) | all checks (ms) | direct conv (ms) | build / direct |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *conv_rows(args.repeats),
    ]
    write_section("conv-matrix", conv)
    print("\n".join(conv))

    flow = [
        "## Gradient flow, plain against residual",
        "",
        f"Measured by `bench/bench_analysis.py` on {machine}; medians. Target: ≤ 2 s. "
        "The floor is one forward and backward pass of both networks on the same batch.",
        "",
        "| comparison | experiment (ms) | forward + backward floor (ms) | ratio |",
        "|---|---:|---:|---:|",
        *flow_rows(args.repeats),
    ]
    write_section("gradient-flow", flow)
    print("\n".join(flow))


if __name__ == "__main__":
    main()
