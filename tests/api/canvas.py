"""Build canvases and PNG files the way browsers and people produce them.

A held-out MNIST digit (28×28, white ink on black, 0..1) is upscaled and drawn
into a 280×280 canvas in several ways: placed, resized, redrawn with a round
pen along its skeleton, inverted or carried in the alpha channel. PNG files of
any declared size are written by hand, so that a 20,000×20,000 image costs a
few kilobytes and no decoding.
"""

import base64
import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CANVAS_SIDE = 280
DATA_URL_PREFIX = "data:image/png;base64,"
# A pixel of a 28×28 array counts as ink above this value, as in the backend.
INK_THRESHOLD = 0.2
# Pen diameters in pixels of a 280×280 canvas. An upscaled MNIST stroke is
# about 26 px wide (median of 2 × area / boundary), so 4 px is a fine pen and
# 48 px a marker.
THIN_PEN_PX = 4
THICK_PEN_PX = 48

VARIANTS = (
    "centred",
    "corner",
    "large",
    "thin",
    "thick",
    "dark_on_light",
    "alpha_black_ink",
    "alpha_white_ink",
)


def to_data_url(png: bytes) -> str:
    return DATA_URL_PREFIX + base64.b64encode(png).decode("ascii")


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_data_url(image: Image.Image) -> str:
    return to_data_url(encode_png(image))


def chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_file(header: bytes, compressed: bytes) -> bytes:
    """Wrap an IHDR payload and compressed scanlines into a PNG file."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


def black_png(width: int, height: int) -> bytes:
    """Write a valid all-black 1-bit grayscale PNG of any size.

    Rows are compressed one at a time, so memory stays at one row even for
    20,000×20,000 pixels, and the file is about 1/1000 of the raw size.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then packed bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    return png_file(header, b"".join(parts))


def gray_image(values: np.ndarray) -> Image.Image:
    """Convert an array in 0..1 to an 8-bit grayscale image."""
    return Image.fromarray((np.clip(values, 0, 1) * 255).round().astype(np.uint8))


def crop_to_ink(digit: np.ndarray) -> np.ndarray:
    mask = digit > 0.1
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def upscale(digit: np.ndarray, side: int = CANVAS_SIDE) -> Image.Image:
    """Upscale the whole 28×28 digit, its empty margin included, to side×side."""
    return gray_image(digit).resize((side, side), Image.Resampling.BICUBIC)


def fit_ink(digit: np.ndarray, side: int) -> Image.Image:
    """Crop the digit to its ink and scale it so that its larger side is `side`."""
    crop = crop_to_ink(digit)
    height, width = crop.shape
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return gray_image(crop).resize(size, Image.Resampling.BICUBIC)


def on_canvas(ink: Image.Image, left: int, top: int) -> Image.Image:
    canvas = Image.new("L", (CANVAS_SIDE, CANVAS_SIDE), 0)
    canvas.paste(ink, (left, top))
    return canvas


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Thin a boolean mask to 1-pixel lines with the Zhang–Suen algorithm."""
    grid = np.pad(mask.astype(np.uint8), 1)
    changed = True
    while changed:
        changed = False
        for second_pass in (False, True):
            centre = grid[1:-1, 1:-1]
            # Neighbours P2..P9 run clockwise from north, in the algorithm's usual numbering.
            p2, p3, p4 = grid[:-2, 1:-1], grid[:-2, 2:], grid[1:-1, 2:]
            p5, p6, p7 = grid[2:, 2:], grid[2:, 1:-1], grid[2:, :-2]
            p8, p9 = grid[1:-1, :-2], grid[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            neighbours = sum(ring[:8])
            transitions = sum(
                ((ring[k] == 0) & (ring[k + 1] == 1)).astype(np.uint8) for k in range(8)
            )
            if second_pass:
                first, second = p2 * p4 * p8, p2 * p6 * p8
            else:
                first, second = p2 * p4 * p6, p4 * p6 * p8
            remove = (
                (centre == 1)
                & (neighbours >= 2)
                & (neighbours <= 6)
                & (transitions == 1)
                & (first == 0)
                & (second == 0)
            )
            if remove.any():
                centre[remove] = 0
                changed = True
    return grid[1:-1, 1:-1].astype(bool)


def redraw_with_pen(digit: np.ndarray, diameter: int) -> Image.Image:
    """Trace the upscaled digit's skeleton with a round pen of `diameter` pixels.

    This is how a canvas brush draws: a disc stamped along the path, with
    anti-aliased edges.
    """
    big = np.asarray(upscale(digit), dtype=np.float32) / 255.0
    rows, cols = np.nonzero(skeleton(big > 0.5))
    canvas = Image.new("L", (CANVAS_SIDE, CANVAS_SIDE), 0)
    draw = ImageDraw.Draw(canvas)
    radius = diameter / 2
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        draw.ellipse((col - radius, row - radius, col + radius, row + radius), fill=255)
    return canvas.filter(ImageFilter.GaussianBlur(1))


def render(digit: np.ndarray, variant: str) -> Image.Image:
    """Draw a 28×28 digit as a 280×280 canvas in one of VARIANTS."""
    if variant == "centred":
        return upscale(digit).convert("RGB")
    if variant == "corner":
        return on_canvas(fit_ink(digit, 60), 8, 8).convert("RGB")
    if variant == "large":
        ink = fit_ink(digit, CANVAS_SIDE)
        left = (CANVAS_SIDE - ink.width) // 2
        top = (CANVAS_SIDE - ink.height) // 2
        return on_canvas(ink, left, top).convert("RGB")
    if variant == "thin":
        return redraw_with_pen(digit, THIN_PEN_PX).convert("RGB")
    if variant == "thick":
        return redraw_with_pen(digit, THICK_PEN_PX).convert("RGB")
    return colour(upscale(digit), variant)


def colour(ink: Image.Image, variant: str) -> Image.Image:
    """Paint grayscale ink (white on black) as a canvas of the given colouring."""
    if variant == "dark_on_light":
        return Image.merge("RGB", [ink.point(lambda value: 255 - value)] * 3)
    if variant == "alpha_black_ink":
        black = Image.new("L", ink.size, 0)
        return Image.merge("RGBA", [black, black, black, ink])
    if variant == "alpha_white_ink":
        # Browsers export untouched pixels as transparent black (0, 0, 0, 0).
        white = ink.point(lambda value: 255 if value > 0 else 0)
        return Image.merge("RGBA", [white, white, white, ink])
    raise ValueError(f"unknown variant {variant!r}; known variants: {VARIANTS}")


def centre_of_mass(values: np.ndarray) -> tuple[float, float]:
    """Return the (row, column) centre of mass in pixel-centre coordinates."""
    total = values.sum()
    rows = np.arange(values.shape[0])
    cols = np.arange(values.shape[1])
    row = float((values.sum(axis=1) * rows).sum() / total)
    col = float((values.sum(axis=0) * cols).sum() / total)
    return row, col


def ink_span(values: np.ndarray) -> int:
    """Return the larger side, in pixels, of the box around pixels over INK_THRESHOLD."""
    mask = values > INK_THRESHOLD
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1))
