"""Tests of the IDX reader on small files written here byte by byte."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnvis.data.idx import MNIST_FILES, load_mnist_idx, parse_idx, read_idx
from cnnvis.errors import DataUnavailableError

# IDX type code per numpy dtype, with the byte order left out of the dtype.
TYPE_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as an IDX file: magic, big-endian sizes, big-endian values."""
    code = TYPE_CODES[array.dtype.str[1:]]
    header = bytes([0, 0, code, array.ndim])
    sizes = b"".join(size.to_bytes(4, "big") for size in array.shape)
    values = array.astype(array.dtype.newbyteorder(">")).tobytes()
    return header + sizes + values


def mnist_arrays(train: int = 6, test: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "train_images": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, test, dtype=np.uint8),
    }


def write_mnist(
    folder: Path,
    arrays: dict[str, np.ndarray],
    *,
    dotted: bool = False,
    gz: bool = False,
) -> None:
    """Write the four files under MNIST_FILES names, optionally dot-named or gzipped."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in MNIST_FILES.items():
        name = stem.replace("-idx", ".idx") if dotted else stem
        data = idx_bytes(arrays[key])
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def test_parse_idx_uint8_images_round_trip() -> None:
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
    images = images.astype(np.uint8)

    result = parse_idx(idx_bytes(images))

    assert result.dtype == np.uint8
    assert result.shape == (3, 28, 28)
    np.testing.assert_array_equal(result, images)


def test_parse_idx_labels_round_trip() -> None:
    labels = np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8)

    result = parse_idx(idx_bytes(labels))

    assert result.shape == (6,)
    np.testing.assert_array_equal(result, labels)


def test_parse_idx_big_endian_to_native() -> None:
    values = np.array([[1, -2], [70000, -70000]], dtype=np.int32)

    result = parse_idx(idx_bytes(values))

    assert result.dtype.isnative, result.dtype
    assert result.dtype == np.dtype(np.int32)
    np.testing.assert_array_equal(result, values)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_raw_and_gz(tmp_path: Path, suffix: str) -> None:
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    data = idx_bytes(labels)
    path = tmp_path / f"labels-idx1-ubyte{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)

    result = read_idx(path)

    np.testing.assert_array_equal(result, labels)


def test_read_idx_error_names_path(tmp_path: Path) -> None:
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")

    with pytest.raises(ValueError, match="broken-idx1-ubyte"):
        read_idx(path)


@pytest.mark.parametrize(
    ("subfolder", "dotted", "gz"),
    [
        ("", False, False),
        ("", False, True),
        ("", True, False),
        ("", True, True),
        ("MNIST/raw", False, False),
        ("MNIST/raw", False, True),
        ("MNIST/raw", True, False),
        ("raw", False, True),
    ],
)
def test_load_mnist_idx_layouts(
    tmp_path: Path, subfolder: str, dotted: bool, gz: bool
) -> None:
    arrays = mnist_arrays()
    write_mnist(tmp_path / subfolder, arrays, dotted=dotted, gz=gz)

    loaded = load_mnist_idx(tmp_path)

    assert set(loaded) == set(MNIST_FILES)
    for key, expected in arrays.items():
        assert loaded[key].dtype == np.uint8, key
        assert loaded[key].shape == expected.shape, key
        np.testing.assert_array_equal(loaded[key], expected, err_msg=key)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an IDX file"),
        (b"\x00\x00\x08", "not an IDX file"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x00", "not an IDX file"),
        (b"\x00\x01\x08\x01\x00\x00\x00\x00", "not an IDX file"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x00", "unknown IDX type code 0x0a"),
        (b"\x00\x00\xff\x01\x00\x00\x00\x00", "unknown IDX type code 0xff"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", "truncated header"),
        (b"\x00\x00\x08\x01\x00\x00", "truncated header"),
    ],
)
def test_parse_idx_invalid_header(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_idx(data, source="sample")


@pytest.mark.parametrize("extra", [-1, 1, -4])
def test_parse_idx_value_count_mismatch(extra: int) -> None:
    data = idx_bytes(np.zeros((2, 2), dtype=np.int16))  # 8 bytes of values
    if extra < 0:
        data = data[:extra]
    else:
        data = data + b"\x00" * extra

    with pytest.raises(ValueError, match="needs 8 bytes of values") as raised:
        parse_idx(data, source="sample")

    assert f"found {8 + extra}" in str(raised.value)
    assert str(raised.value).startswith("sample:")


@pytest.mark.parametrize("key", sorted(MNIST_FILES))
def test_load_mnist_idx_missing_file(tmp_path: Path, key: str) -> None:
    write_mnist(tmp_path, mnist_arrays())
    (tmp_path / MNIST_FILES[key]).unlink()

    with pytest.raises(DataUnavailableError) as raised:
        load_mnist_idx(tmp_path)

    message = str(raised.value)
    assert MNIST_FILES[key] in message, message
    assert str(tmp_path) in message, message


def test_load_mnist_idx_labels_above_9(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    arrays["test_labels"][2] = 10
    write_mnist(tmp_path, arrays)

    with pytest.raises(DataUnavailableError, match="test labels .* exceed 9"):
        load_mnist_idx(tmp_path)


def test_load_mnist_idx_image_shape_mismatch(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    arrays["train_images"] = np.zeros((6, 27, 28), dtype=np.uint8)
    write_mnist(tmp_path, arrays)

    with pytest.raises(DataUnavailableError, match=r"\(N, 28, 28\)") as raised:
        load_mnist_idx(tmp_path)

    assert "train images" in str(raised.value)
    assert "(6, 27, 28)" in str(raised.value)


def test_load_mnist_idx_label_count_mismatch(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    arrays["test_labels"] = arrays["test_labels"][:3]
    write_mnist(tmp_path, arrays)

    with pytest.raises(DataUnavailableError, match="test labels") as raised:
        load_mnist_idx(tmp_path)

    assert "expected (4,)" in str(raised.value)


@given(
    hnp.arrays(
        dtype=st.sampled_from(["u1", "i2", "i4", "f4", "f8"]).map(np.dtype),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
    )
)
def test_parse_idx_round_trip_property(array: np.ndarray) -> None:
    result = parse_idx(idx_bytes(array))

    assert result.shape == array.shape
    assert result.dtype == array.dtype
    # Bytes rather than values, so NaN payloads and -0.0 must survive as well.
    assert result.tobytes() == array.tobytes()
