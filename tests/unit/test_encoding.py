"""Typed-array encoding of tensors for plotly.js."""

import base64

import numpy as np
import pytest
import torch

from cnnvis.encoding import decode_array, encode_tensor


def test_f32_round_trip_exact() -> None:
    tensor = torch.randn(3, 5, 7, generator=torch.Generator().manual_seed(1))

    payload = encode_tensor(tensor, "f32")

    assert payload["dtype"] == "f4"
    assert payload["shape"] == [3, 5, 7]
    assert np.array_equal(decode_array(payload), tensor.numpy())


def test_f32_bytes_little_endian() -> None:
    payload = encode_tensor(torch.tensor([1.0, -2.5]), "f32")

    raw = base64.b64decode(payload["bdata"])

    assert raw == np.array([1.0, -2.5], dtype="<f4").tobytes()


def test_u8_scaled_per_channel() -> None:
    tensor = torch.stack([torch.linspace(-1, 1, 16), torch.linspace(0, 100, 16)])
    tensor = tensor.reshape(2, 4, 4)

    payload = encode_tensor(tensor, "u8")

    assert payload["dtype"] == "u1"
    assert payload["min"] == pytest.approx([-1.0, 0.0])
    assert payload["max"] == pytest.approx([1.0, 100.0])
    raw = np.frombuffer(base64.b64decode(payload["bdata"]), dtype=np.uint8)
    assert raw.min() == 0
    assert raw.max() == 255
    error = np.abs(decode_array(payload) - tensor.numpy())
    assert error[0].max() <= 1.0 / 255
    assert error[1].max() <= 100.0 / 255


def test_u8_constant_map_no_division_by_zero() -> None:
    tensor = torch.zeros(2, 3, 3)
    tensor[1] = 4.0

    payload = encode_tensor(tensor, "u8")

    assert payload["min"] == [0.0, 4.0]
    assert payload["max"] == [0.0, 4.0]
    assert np.array_equal(decode_array(payload), tensor.numpy())


def test_u8_vector_is_one_map() -> None:
    payload = encode_tensor(torch.arange(10.0), "u8")

    assert payload["min"] == [0.0]
    assert payload["max"] == [9.0]
    assert np.abs(decode_array(payload) - np.arange(10.0)).max() <= 9.0 / 255


def test_u8_smaller_than_f32() -> None:
    tensor = torch.randn(32, 24, 24)

    f32 = len(encode_tensor(tensor, "f32")["bdata"])
    u8 = len(encode_tensor(tensor, "u8")["bdata"])

    assert u8 * 3.9 < f32
