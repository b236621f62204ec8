"""Tensors as compact typed arrays that plotly.js reads directly.

plotly.js (2.28 and later) accepts `{"dtype", "bdata", "shape"}` wherever it takes
a data array: `bdata` is base64 of the raw little-endian values and `shape` the
dimensions (it reads `String(shape)`, so a list of ints works). It decodes f4 and
u1 but no f2, so the two encodings here are:

- `f32`: float32 values as they are.
- `u8`: each map scaled on its own to 0..255, with the per-map `min` and `max`
  needed to undo it: value = min + byte / 255 × (max - min). A map is one channel
  of a (C, H, W) tensor, or the whole tensor when it has fewer than 3 dimensions.
  A constant map encodes as zeros with min = max, never dividing by zero.
"""

import base64
from typing import Any, Literal

import numpy as np
import torch

Encoding = Literal["f32", "u8"]


def encode_tensor(tensor: torch.Tensor, encoding: Encoding) -> dict[str, Any]:
    """Encode a tensor (batch dimension already removed) as a typed array."""
    values = tensor.detach().to(torch.float32).contiguous().numpy()
    shape = list(values.shape)
    if encoding == "f32":
        return {
            "encoding": "f32",
            "dtype": "f4",
            "shape": shape,
            "bdata": base64.b64encode(values.astype("<f4").tobytes()).decode(),
        }

    maps = (
        values.reshape(values.shape[0], -1)
        if values.ndim >= 3
        else values.reshape(1, -1)
    )
    low = maps.min(axis=1, keepdims=True)
    high = maps.max(axis=1, keepdims=True)
    span = high - low
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    scaled = np.rint((maps - low) * scale).astype(np.uint8)
    return {
        "encoding": "u8",
        "dtype": "u1",
        "shape": shape,
        "bdata": base64.b64encode(scaled.tobytes()).decode(),
        "min": low[:, 0].astype(float).tolist(),
        "max": high[:, 0].astype(float).tolist(),
    }


def encode_indices(tensor: torch.Tensor) -> dict[str, Any]:
    """Encode integer indices as an int32 typed array (`i4`)."""
    values = tensor.detach().to(torch.int32).contiguous().numpy()
    return {
        "encoding": "i32",
        "dtype": "i4",
        "shape": list(values.shape),
        "bdata": base64.b64encode(values.astype("<i4").tobytes()).decode(),
    }


def decode_array(payload: dict[str, Any]) -> np.ndarray:
    """Decode a typed array from `encode_tensor` back to float32 (for tests and clients)."""
    raw = base64.b64decode(payload["bdata"])
    shape = tuple(payload["shape"])
    if payload["dtype"] == "f4":
        return np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
    if payload["dtype"] == "i4":
        return np.frombuffer(raw, dtype="<i4").reshape(shape).astype(np.int64)
    scaled = np.frombuffer(raw, dtype=np.uint8).astype(np.float32)
    maps = scaled.reshape(len(payload["min"]), -1)
    low = np.asarray(payload["min"], dtype=np.float32)[:, None]
    high = np.asarray(payload["max"], dtype=np.float32)[:, None]
    return (low + maps / 255.0 * (high - low)).reshape(shape)
