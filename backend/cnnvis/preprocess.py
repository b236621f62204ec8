"""Turn a canvas drawing into an MNIST-style 28×28 digit.

MNIST digits are white ink (1) on black (0): each was cropped to its bounding
box, scaled to fit 20×20 with its aspect ratio kept and anti-aliased, then placed
in 28×28 so that its centre of mass falls on the centre. A drawing reaches the
models only after the same steps, plus two that MNIST did not need: the ink is
found whatever the polarity and transparency of the canvas, and the stroke width
is brought into MNIST's range.
"""

import base64
import binascii
import io
import logging
import math
import zlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from cnnvis.errors import EmptyDrawingError, InvalidImageError, PayloadTooLargeError

logger = logging.getLogger(__name__)

PNG_LOC = ("body", "png")
IMAGE_LOC = ("body", "image")
DATA_URL_PREFIX = "data:image/png;base64,"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A pixel is ink above this fraction of full intensity.
INK_THRESHOLD = 0.2
# Drawings whose ink spans fewer pixels than this share of the canvas's larger
# side (and fewer than MIN_INK_SPAN_PX) are too small to be a digit.
MIN_INK_SPAN_FRACTION = 0.04
MIN_INK_SPAN_PX = 3
# Marks spanning less than this many stroke widths are a dot or a blob: scaled
# to 20×20 they would become a filled disc that the models read as a 0.
MIN_SPAN_OVER_STROKE = 2.0
FIT_SIZE = 20
CANVAS_SIZE = 28
# Stroke width as a share of the bounding box's larger side, measured on the
# embedded MNIST digits (pixels above 0.5): 10th percentile 0.11, median 0.144,
# 90th percentile 0.20. Strokes outside the wider band below are brought to the
# median.
STROKE_RATIO_TARGET = 0.144
STROKE_RATIO_BAND = (0.09, 0.24)
# Samples per pixel of each PNG colour type.
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes: first column, first row, column step, row step.
ADAM7_PASSES = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


@dataclass(frozen=True)
class PreparedDigit:
    """The 28×28 digit fed to the models, and what preparation measured."""

    image: torch.Tensor  # (28, 28) float32 in 0..1, white ink on black
    inverted: bool
    used_alpha: bool
    stroke_width_px: float


def decode_data_url(data_url: str, *, max_side: int) -> Image.Image:
    """Decode a PNG data URL, checking the declared size before decoding pixels."""
    if not data_url.startswith(DATA_URL_PREFIX):
        raise InvalidImageError(
            f"png must be a data URL starting with {DATA_URL_PREFIX!r}, as "
            "canvas.toDataURL('image/png') returns",
            loc=PNG_LOC,
        )
    try:
        raw = base64.b64decode(data_url[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidImageError(
            f"png is not valid base64: {error}", loc=PNG_LOC
        ) from error

    if len(raw) < 24 or not raw.startswith(PNG_SIGNATURE) or raw[12:16] != b"IHDR":
        raise InvalidImageError(
            "png does not hold a PNG image (no PNG signature and IHDR header)",
            loc=PNG_LOC,
        )
    width = int.from_bytes(raw[16:20], "big")
    height = int.from_bytes(raw[20:24], "big")
    if width > max_side or height > max_side:
        raise PayloadTooLargeError(
            f"png is {width}×{height} pixels; the limit is {max_side}×{max_side}. "
            "Send a smaller canvas.",
            loc=PNG_LOC,
        )
    if width == 0 or height == 0:
        raise InvalidImageError(
            f"png declares an empty {width}×{height} image", loc=PNG_LOC
        )

    _check_pixel_data(raw, width, height)
    try:
        image = Image.open(io.BytesIO(raw), formats=["PNG"])
        image.load()
    except Image.DecompressionBombError as error:
        raise PayloadTooLargeError(
            f"png has too many pixels to decode ({error}); send a smaller canvas",
            loc=PNG_LOC,
        ) from error
    except UnidentifiedImageError as error:
        raise InvalidImageError(
            "png could not be decoded: its PNG data is truncated or corrupt; send a "
            "complete PNG image",
            loc=PNG_LOC,
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidImageError(
            f"png could not be decoded ({error}); send a complete PNG image",
            loc=PNG_LOC,
        ) from error
    return image


def _png_data_size(width: int, height: int, bits_per_pixel: int, adam7: bool) -> int:
    """Bytes of filtered scanlines that a PNG of this size and format holds."""

    def scanlines(columns: int, rows: int) -> int:
        if columns == 0 or rows == 0:
            return 0
        return rows * (1 + (columns * bits_per_pixel + 7) // 8)

    if not adam7:
        return scanlines(width, height)
    return sum(
        scanlines(
            max(0, (width - x0 + dx - 1) // dx), max(0, (height - y0 + dy - 1) // dy)
        )
        for x0, y0, dx, dy in ADAM7_PASSES
    )


def _check_pixel_data(raw: bytes, width: int, height: int) -> None:
    """Reject a PNG whose compressed pixels stop short of its declared size.

    Pillow fills the missing rows with zeros when the zlib stream ends early,
    so a file that declares 1000×1000 pixels but contains one row would decode.
    Decompression stops one byte past the expected size, so a file that
    inflates to far more than it declares costs no more than a complete one.
    """
    bit_depth, colour_type, interlace = raw[24], raw[25], raw[28]
    channels = PNG_CHANNELS.get(colour_type)
    if channels is None:
        return  # Pillow rejects the unknown colour type with its own message.
    expected = _png_data_size(width, height, bit_depth * channels, interlace == 1)

    inflater = zlib.decompressobj()
    received = 0
    position = 8
    while position + 8 <= len(raw) and received < expected:
        length = int.from_bytes(raw[position : position + 4], "big")
        kind = raw[position + 4 : position + 8]
        data = raw[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IEND":
            break
        if kind != b"IDAT":
            continue
        try:
            received += len(inflater.decompress(data, expected - received))
        except zlib.error as error:
            raise InvalidImageError(
                f"png could not be decoded: its compressed pixels are corrupt "
                f"({error}); send a complete PNG image",
                loc=PNG_LOC,
            ) from error
    if received < expected:
        raise InvalidImageError(
            f"png could not be decoded: its pixel data ends after {received:,} of "
            f"the {expected:,} bytes that a {width}×{height} image needs (the PNG "
            "data is truncated); send a complete PNG image",
            loc=PNG_LOC,
        )


def _border(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values[0], values[-1], values[1:-1, 0], values[1:-1, -1]])


def ink_from_image(image: Image.Image) -> tuple[np.ndarray, bool, bool]:
    """Return ink in 0..1 (H, W), whether colours were inverted, whether alpha was used.

    A canvas whose border is mostly transparent has its ink in the alpha
    channel, whatever the colour of the strokes. Otherwise the border's median
    brightness is the background: a light one means dark ink, so it is inverted.
    """
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
    alpha = rgba[..., 3]
    if has_alpha and np.median(_border(alpha)) < 0.5:
        return alpha, False, True

    # Composite over the border's colour so that half-transparent edges blend in.
    gray = np.asarray(image.convert("RGBA").convert("L"), dtype=np.float32) / 255.0
    if has_alpha:
        gray = gray * alpha + np.median(_border(gray)) * (1.0 - alpha)
    background = float(np.median(_border(gray)))
    inverted = background > 0.5
    ink = 1.0 - gray if inverted else gray
    floor = 1.0 - background if inverted else background
    # Remove the background level so that a grey canvas does not count as ink.
    ink = np.clip((ink - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0)
    return ink, inverted, False


def _ink_bbox(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    mask = ink > INK_THRESHOLD
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def stroke_width(ink: np.ndarray) -> float:
    """Estimate the mean stroke width in pixels as 2 × area / boundary length."""
    mask = ink > 0.5
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    interior = (
        padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    )
    boundary = int((mask & ~interior).sum())
    return 2.0 * area / max(boundary, 1)


def _morph(ink: np.ndarray, radius: int, *, grow: bool) -> np.ndarray:
    """Dilate (grow) or erode ink by about `radius` pixels.

    Alternating 3×3 square and plus-shaped maxima grow an octagon, close to a
    disc, at a cost of radius × H × W.
    """
    tensor = torch.from_numpy(np.ascontiguousarray(ink))[None, None]
    values = tensor if grow else 1.0 - tensor
    for step in range(radius):
        if step % 2 == 0:
            values = F.max_pool2d(values, 3, stride=1, padding=1)
        else:
            padded = F.pad(values, (1, 1, 1, 1))
            shifted = [
                padded[..., 1:-1, 1:-1],
                padded[..., :-2, 1:-1],
                padded[..., 2:, 1:-1],
                padded[..., 1:-1, :-2],
                padded[..., 1:-1, 2:],
            ]
            values = torch.stack(shifted).amax(dim=0)
    result = values if grow else 1.0 - values
    return result[0, 0].clamp(0, 1).numpy()


def normalise_stroke(ink: np.ndarray, span: int) -> tuple[np.ndarray, float]:
    """Bring the stroke width to MNIST's share of the digit's larger side."""
    width = stroke_width(ink)
    ratio = width / span
    low, high = STROKE_RATIO_BAND
    radius = round(abs(STROKE_RATIO_TARGET * span - width) / 2)
    if radius == 0 or low <= ratio <= high:
        return ink, width
    if ratio < low:
        return _morph(ink, radius, grow=True), width
    eroded = _morph(ink, radius, grow=False)
    # Never erode a digit away: keep the original if too little ink survives.
    if (eroded > 0.5).sum() < 0.25 * (ink > 0.5).sum():
        return ink, width
    return eroded, width


def _downscale_for_morphology(ink: np.ndarray, max_side: int = 280) -> np.ndarray:
    """Shrink large canvases before morphology so its cost stays bounded."""
    height, width = ink.shape
    factor = max(height, width) / max_side
    if factor <= 1:
        return ink
    size = (max(1, round(height / factor)), max(1, round(width / factor)))
    tensor = torch.from_numpy(np.ascontiguousarray(ink))[None, None]
    return F.interpolate(tensor, size=size, mode="bilinear", antialias=True)[
        0, 0
    ].numpy()


def fit_and_centre(ink: np.ndarray) -> torch.Tensor:
    """Crop to the ink, fit it in 20×20, and centre its mass in 28×28."""
    bbox = _ink_bbox(ink)
    assert bbox is not None, "fit_and_centre needs ink"
    top, bottom, left, right = bbox
    crop = torch.from_numpy(np.ascontiguousarray(ink[top:bottom, left:right]))
    height, width = crop.shape
    scale = FIT_SIZE / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    small = F.interpolate(crop[None, None], size=size, mode="bilinear", antialias=True)[
        0, 0
    ]
    small = (small / small.max().clamp_min(1e-6)).clamp(0, 1)

    total = small.sum()
    rows = torch.arange(size[0], dtype=torch.float32)
    cols = torch.arange(size[1], dtype=torch.float32)
    centre_row = float((small.sum(1) * rows).sum() / total)
    centre_col = float((small.sum(0) * cols).sum() / total)
    # Pixel centres of a 28-wide grid run 0..27, so its centre is at 13.5.
    centre = (CANVAS_SIZE - 1) / 2
    top = min(max(round(centre - centre_row), 0), CANVAS_SIZE - size[0])
    left = min(max(round(centre - centre_col), 0), CANVAS_SIZE - size[1])
    canvas = torch.zeros(CANVAS_SIZE, CANVAS_SIZE)
    canvas[top : top + size[0], left : left + size[1]] = small
    return canvas


def _pixels(count: int) -> str:
    return f"{count} pixel" if count == 1 else f"{count} pixels"


def prepare_png(data_url: str, *, max_side: int) -> PreparedDigit:
    """Prepare a canvas PNG data URL as an MNIST digit (raises 4xx errors)."""
    image = decode_data_url(data_url, max_side=max_side)
    ink, inverted, used_alpha = ink_from_image(image)
    ink = _downscale_for_morphology(ink)
    bbox = _ink_bbox(ink)
    if bbox is None:
        raise EmptyDrawingError(
            "nothing drawn: the image has no ink (every pixel is background)",
            loc=PNG_LOC,
        )
    span = max(bbox[1] - bbox[0], bbox[3] - bbox[2])
    min_span = max(MIN_INK_SPAN_PX, math.ceil(MIN_INK_SPAN_FRACTION * max(ink.shape)))
    if span < min_span:
        raise EmptyDrawingError(
            f"nothing drawn: too little ink (the marks span {_pixels(span)}, a "
            f"digit needs at least {min_span}); draw a larger digit",
            loc=PNG_LOC,
        )
    width = stroke_width(ink)
    if span < MIN_SPAN_OVER_STROKE * width:
        raise EmptyDrawingError(
            f"nothing drawn: the marks are a dot or a blob ({_pixels(span)} across "
            f"with a {width:.0f}-pixel stroke), not a digit; draw a larger digit or "
            "use a thinner stroke",
            loc=PNG_LOC,
        )
    ink, width = normalise_stroke(ink, span)
    return PreparedDigit(fit_and_centre(ink), inverted, used_alpha, width)


def prepare_array(image: list[list[float]]) -> PreparedDigit:
    """Check a 28×28 array that is used as it is (white ink on black, 0..1)."""
    tensor = torch.tensor(image, dtype=torch.float32)
    bbox = _ink_bbox(tensor.numpy())
    if bbox is None:
        raise EmptyDrawingError(
            f"nothing drawn: no value of image exceeds {INK_THRESHOLD}; image is "
            "white ink (1) on black (0)",
            loc=IMAGE_LOC,
        )
    span = max(bbox[1] - bbox[0], bbox[3] - bbox[2])
    if span < MIN_INK_SPAN_PX:
        raise EmptyDrawingError(
            f"nothing drawn: too little ink (the marks span {_pixels(span)}, a "
            f"digit needs at least {MIN_INK_SPAN_PX})",
            loc=IMAGE_LOC,
        )
    return PreparedDigit(tensor, False, False, stroke_width(tensor.numpy()))
