"""Reader for the IDX files that MNIST ships as (raw or gzip-compressed).

Format: two zero bytes, a type code, the number of dimensions, then one big-endian
uint32 size per dimension, then the values in C order.
Ref: the format description on the original MNIST page (Y. LeCun, C. Cortes).
"""

import gzip
from pathlib import Path

import numpy as np

from cnnvis.errors import DataUnavailableError

# IDX type code -> big-endian numpy dtype.
_IDX_DTYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def parse_idx(data: bytes, *, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of one IDX file into an array of its declared shape."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{source}: not an IDX file (the first two bytes must be 0)")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{source}: unknown IDX type code 0x{type_code:02x}")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise ValueError(f"{source}: truncated header ({len(data)} bytes)")
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header_end != expected:
        raise ValueError(
            f"{source}: shape {shape} needs {expected} bytes of values, "
            f"found {len(data) - header_end}"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_end)
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file; a name ending in .gz is decompressed first."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return parse_idx(raw, source=str(path))


def _find(data_dir: Path, stem: str) -> Path:
    # The original site names files with dashes; some mirrors use a dot before idx.
    names = [stem, stem.replace("-idx", ".idx")]
    folders = [data_dir, data_dir / "MNIST" / "raw", data_dir / "raw"]
    for folder in folders:
        for name in names:
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.is_file():
                    return candidate
    raise DataUnavailableError(
        f"MNIST file {stem}[.gz] not found in {data_dir} "
        f"(also looked in MNIST/raw/ and raw/ below it). Put the four IDX files "
        f"there, or omit --data-dir to train on the embedded digits."
    )


def load_mnist_idx(data_dir: Path) -> dict[str, np.ndarray]:
    """Load the four MNIST IDX files from a folder.

    Returns uint8 images (N, 28, 28) and uint8 labels (N,) under the keys of
    MNIST_FILES.
    """
    arrays = {key: read_idx(_find(data_dir, stem)) for key, stem in MNIST_FILES.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataUnavailableError(
                f"{part} images in {data_dir} have shape {images.shape}, "
                "expected (N, 28, 28)"
            )
        if labels.shape != (images.shape[0],):
            raise DataUnavailableError(
                f"{part} labels in {data_dir} have shape {labels.shape}, "
                f"expected ({images.shape[0]},) to match the images"
            )
        if labels.size and int(labels.max()) > 9:
            raise DataUnavailableError(f"{part} labels in {data_dir} exceed 9")
    return arrays
