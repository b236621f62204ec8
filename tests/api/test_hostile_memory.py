"""Hostile inputs sent again and again leave the server's memory where it was.

Each input would cost the server more than PEAK_GROWTH_LIMIT_KIB if it were
decoded or buffered whole: a 20,000×20,000 image is 400 MB of 8-bit pixels, the
zlib bombs inflate to 512 MiB, and the bodies are 50 MB. The server has to reject
each one from its header, its declared length, its first 2 MB or the first
megabyte it inflates. The peak resident memory (VmHWM) is reset after a
warm-up, so a short spike counts as well.
"""

import logging
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests import procfs
from tests.api import canvas
from tests.api.test_predict import JSON_HEADERS, chunked_array, vertical_bar
from tests.servers import Server, started_server

pytestmark = pytest.mark.slow
logger = logging.getLogger(__name__)

PREDICT = "/api/v1/predict"
ROUNDS = 5
WARM_UP_REQUESTS = 2
BOMB_BYTES = 512 * 2**20
# The smallest cost above, a 50 MB body buffered whole, is about 48,800 KiB.
PEAK_GROWTH_LIMIT_KIB = 32 * 1024


@dataclass(frozen=True)
class Hostile:
    """A request body for /predict and the status it must get."""

    name: str
    status: int
    body: bytes = b""
    # When set, send chunked_array(streamed_bytes) without a Content-Length.
    streamed_bytes: int = 0

    def content(self) -> bytes | Iterator[bytes]:
        if self.streamed_bytes:
            return chunked_array(self.streamed_bytes)
        return self.body


@cache
def zeros_compressed() -> bytes:
    """Return BOMB_BYTES zero bytes, compressed with zlib to about 1/1000."""
    compressor = zlib.compressobj(9)
    block = bytes(2**20)
    parts = [compressor.compress(block) for _ in range(BOMB_BYTES // len(block))]
    return b"".join([*parts, compressor.flush()])


def small_png(extra_chunk: bytes) -> bytes:
    """Return a black 28×28 PNG with `extra_chunk` before its pixels."""
    header = struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + canvas.chunk(b"IHDR", header)
        + extra_chunk
        + canvas.chunk(b"IDAT", zlib.compress(bytes(29 * 28)))
        + canvas.chunk(b"IEND", b"")
    )


def png_body(png: bytes) -> bytes:
    return b'{"png": "' + canvas.to_data_url(png).encode() + b'"}'


def hostile_inputs() -> list[Hostile]:
    bomb = zeros_compressed()
    square = struct.pack(">IIBBBBB", 1024, 1024, 8, 0, 0, 0, 0)
    return [
        Hostile("png_20000x20000", 413, png_body(canvas.black_png(20000, 20000))),
        Hostile("png_100_megapixels", 413, png_body(canvas.black_png(10000, 10000))),
        # A black 1024×1024 image whose pixel data inflates far past its declared size.
        Hostile("png_idat_bomb", 422, png_body(canvas.png_file(square, bomb))),
        Hostile(
            "png_ztxt_bomb",
            422,
            png_body(small_png(canvas.chunk(b"zTXt", b"Comment\0\0" + bomb))),
        ),
        Hostile(
            "png_iccp_bomb",
            422,
            png_body(small_png(canvas.chunk(b"iCCP", b"icc\0\0" + bomb))),
        ),
        Hostile("array_50mb_with_length", 413, array_body(5000)),
        Hostile("array_50mb_chunked", 413, streamed_bytes=50_000_000),
        Hostile("json_nested_open", 422, b"[" * 100_000),
        Hostile(
            "json_nested_closed",
            422,
            b'{"image": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        ),
    ]


def array_body(side: int) -> bytes:
    """Return {"image": ...} with a side×side array of zeros: 2·side² bytes."""
    row = "[" + ",".join(["0"] * side) + "]"
    return ('{"image": [' + ",".join([row] * side) + "]}").encode()


def reset_peak_rss(pid: int) -> None:
    """Set the process's VmHWM to its VmRSS (Linux 4.0 or later, see proc(5))."""
    (procfs.PROC / str(pid) / "clear_refs").write_text("5")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with started_server(tmp_path / "server.log") as running:
        yield running


def test_hostile_memory_bounded(server: Server) -> None:
    inputs = hostile_inputs()
    # The largest drawing allowed, so the warm-up takes the costliest valid path.
    canvas_png = canvas.encode_png(canvas.upscale(np.array(vertical_bar()), 1024))
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for _ in range(WARM_UP_REQUESTS):
            warm_up = http.post(PREDICT, json={"png": canvas.to_data_url(canvas_png)})
            assert warm_up.status_code == 200, warm_up.text
        reset_peak_rss(server.pid)
        baseline = procfs.resident_kib(server.pid)

        statuses = []
        for _ in range(ROUNDS):
            for hostile in inputs:
                response = http.post(
                    PREDICT, content=hostile.content(), headers=JSON_HEADERS
                )
                statuses.append((hostile, response.status_code))
    peak = procfs.status_value(server.pid, "VmHWM")
    after = procfs.resident_kib(server.pid)

    logger.info("rss_kib baseline=%d peak=%d after=%d", baseline, peak, after)
    for hostile, status in statuses:
        assert status == hostile.status, hostile.name
    assert peak - baseline < PEAK_GROWTH_LIMIT_KIB, (
        f"peak VmRSS {peak} KiB, {baseline} KiB before the hostile inputs"
    )
    assert after - baseline < PEAK_GROWTH_LIMIT_KIB, (
        f"VmRSS {after} KiB after the hostile inputs, {baseline} KiB before"
    )
