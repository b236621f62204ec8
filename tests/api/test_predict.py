"""POST /api/v1/predict: results for valid input, a 4xx error for each invalid one."""

import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from cnnvis.config import Settings
from cnnvis.data import Digits
from tests.api import canvas
from tests.api.checks import check_input_shape, check_result, single_error

PREDICT = "/api/v1/predict"
MODEL_IDS = ["cnn", "resnet", "plain"]
JSON_HEADERS = {"content-type": "application/json"}
# Two held-out digits of each label, fixed so that a failure can be replayed.
SAMPLE_PAIRS = [(label, index) for label in range(10) for index in (3, 17)]


def digit_of(digits: Digits, label: int, position: int = 0) -> np.ndarray:
    """Return the held-out digit at `position` among those with `label`."""
    members = (digits.labels == label).nonzero().flatten()
    digit: np.ndarray = digits.images[int(members[position]), 0].numpy()
    return digit


def vertical_bar() -> list[list[float]]:
    """A "1": a 15-pixel vertical bar in the middle of 28×28 zeros."""
    image = [[0.0] * 28 for _ in range(28)]
    for row in range(6, 21):
        image[row][14] = 1.0
    return image


def with_value(value: str, row: int = 5, col: int = 14) -> bytes:
    """Return raw JSON for the bar image with `value` written at (row, col)."""
    rows = [[json.dumps(v) for v in line] for line in vertical_bar()]
    rows[row][col] = value
    text = "[" + ",".join("[" + ",".join(line) + "]" for line in rows) + "]"
    return ('{"image": ' + text + "}").encode()


def test_predict_image_all_models(client: TestClient, digits: Digits) -> None:
    image = digit_of(digits, 7)

    response = client.post(PREDICT, json={"image": image.tolist()})

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"input", "results"}
    assert list(body["results"]) == MODEL_IDS
    for result in body["results"].values():
        check_result(result)
        assert result["prediction"] == 7, result
    # The array is used as it is.
    np.testing.assert_allclose(np.array(body["input"]), image, atol=1e-6)


def test_predict_png_centred(client: TestClient, digits: Digits) -> None:
    drawing = canvas.render(digit_of(digits, 4), "centred")

    response = client.post(PREDICT, json={"png": canvas.image_data_url(drawing)})

    assert response.status_code == 200, response.text
    body = response.json()
    check_input_shape(body["input"])
    assert list(body["results"]) == MODEL_IDS
    for result in body["results"].values():
        check_result(result)
    assert body["results"]["cnn"]["prediction"] == 4, body["results"]


def test_predict_png_inverted(client: TestClient, digits: Digits) -> None:
    drawing = canvas.render(digit_of(digits, 2), "dark_on_light")

    response = client.post(PREDICT, json={"png": canvas.image_data_url(drawing)})

    assert response.status_code == 200, response.text
    image = np.array(response.json()["input"])
    assert image.max() > 0.95
    assert np.median(image) < 0.05
    assert response.json()["results"]["cnn"]["prediction"] == 2


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA"])
def test_predict_png_modes(client: TestClient, digits: Digits, mode: str) -> None:
    """Every PNG colour type gives the same prepared input as 8-bit RGB."""
    drawing = canvas.render(digit_of(digits, 8), "centred")
    reference = client.post(PREDICT, json={"png": canvas.image_data_url(drawing)})
    assert reference.status_code == 200, reference.text

    if mode == "1":
        converted = drawing.convert("L").convert("1", dither=Image.Dither.NONE)
    elif mode == "P":
        converted = drawing.convert("P", palette=Image.Palette.ADAPTIVE)
    else:
        converted = drawing.convert(mode)
    response = client.post(PREDICT, json={"png": canvas.image_data_url(converted)})

    assert response.status_code == 200, response.text
    expected = np.array(reference.json()["input"])
    actual = np.array(response.json()["input"])
    # Mode "1" keeps only black and white, so the anti-aliased edges differ.
    tolerance = 0.6 if mode == "1" else 0.02
    assert np.abs(actual - expected).max() < tolerance
    assert response.json()["results"]["cnn"]["prediction"] == 8


def test_predict_png_largest_canvas(client: TestClient, digits: Digits) -> None:
    drawing = canvas.upscale(digit_of(digits, 5), side=1024)

    response = client.post(PREDICT, json={"png": canvas.image_data_url(drawing)})

    assert response.status_code == 200, response.text
    assert response.json()["results"]["cnn"]["prediction"] == 5


@pytest.mark.parametrize(
    "models",
    [["plain", "cnn"], ["resnet"], ["plain", "resnet", "cnn"], ["cnn", "plain"]],
)
def test_predict_models_subset(client: TestClient, models: list[str]) -> None:
    full = client.post(PREDICT, json={"image": vertical_bar()})
    assert full.status_code == 200, full.text

    response = client.post(PREDICT, json={"image": vertical_bar(), "models": models})

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert list(results) == models
    for model_id in models:
        assert results[model_id] == full.json()["results"][model_id]


def test_predict_models_duplicates(client: TestClient) -> None:
    body = {"image": vertical_bar(), "models": ["resnet", "cnn", "resnet"]}

    response = client.post(PREDICT, json=body)

    assert response.status_code == 200, response.text
    assert list(response.json()["results"]) == ["resnet", "cnn"]


def test_predict_samples_correct(client: TestClient) -> None:
    wrong = []
    for label, index in SAMPLE_PAIRS:
        sample = client.get("/api/v1/samples", params={"label": label, "index": index})
        assert sample.status_code == 200, sample.text
        image = sample.json()["image"]

        response = client.post(PREDICT, json={"image": image, "models": ["cnn"]})

        assert response.status_code == 200, response.text
        result = response.json()["results"]["cnn"]
        check_result(result)
        if result["prediction"] != label:
            wrong.append((label, index, result["prediction"]))
    assert len(wrong) <= 1, f"(label, index, prediction) wrong: {wrong}"


# --- Bad arrays ---


def test_predict_image_27_rows(client: TestClient) -> None:
    response = client.post(PREDICT, json={"image": vertical_bar()[:27]})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "image"]
    assert error["type"] == "too_short"
    assert "28" in error["msg"]


def test_predict_image_long_row(client: TestClient) -> None:
    image = vertical_bar()
    image[3].append(0.0)

    response = client.post(PREDICT, json={"image": image})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "image", 3]
    assert error["type"] == "too_long"
    assert "29" in error["msg"]


def test_predict_image_flat(client: TestClient) -> None:
    flat = [value for row in vertical_bar() for value in row]

    response = client.post(PREDICT, json={"image": flat})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"][:2] == ["body", "image"]
    assert "784" in error["msg"]


def test_predict_image_string_value(client: TestClient) -> None:
    image: list[list[Any]] = vertical_bar()
    image[2][9] = "white"

    response = client.post(PREDICT, json={"image": image})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "image", 2, 9]
    assert "number" in error["msg"]


@pytest.mark.parametrize("value", ["0.5", "1", True, False, None])
def test_predict_image_value_not_number(client: TestClient, value: object) -> None:
    """Strings and booleans are rejected, not converted to numbers."""
    image: list[list[Any]] = vertical_bar()
    image[2][9] = value

    response = client.post(PREDICT, json={"image": image})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "image", 2, 9]
    assert "valid number" in error["msg"]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf")],
)
def test_predict_image_not_finite(client: TestClient, raw: str, shown: str) -> None:
    response = client.post(PREDICT, content=with_value(raw), headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "image"]
    assert f"image[5][14] is {shown}" in error["msg"]
    assert "0..1" in error["msg"]


@pytest.mark.parametrize("value", ["-0.01", "1.01", "255"])
def test_predict_image_out_of_range(client: TestClient, value: str) -> None:
    response = client.post(PREDICT, content=with_value(value), headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "image"]
    assert f"image[5][14] is {float(value)}" in error["msg"]
    assert "0..1" in error["msg"]


# --- Bad PNG data ---


def bar_png() -> bytes:
    return canvas.encode_png(canvas.upscale(np.array(vertical_bar())))


def with_idat_flipped(png: bytes) -> bytes:
    """Corrupt the compressed pixels but keep the chunk's CRC valid."""
    data = bytearray(png)
    start = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[start - 4 : start])
    for position in range(start + 6, start + 4 + length):
        data[position] ^= 0x5A
    crc = zlib.crc32(bytes(data[start : start + 4 + length]))
    data[start + 4 + length : start + 8 + length] = struct.pack(">I", crc)
    return bytes(data)


@pytest.mark.parametrize(
    ("png", "expected"),
    [
        ("hello", "data URL"),
        ("data:image/jpeg;base64,/9j/4AAQSkZJRg==", "data URL"),
        ("data:image/png;base64,@@@not base64@@@", "base64"),
        (canvas.to_data_url(b"this is plain text, not a PNG image"), "PNG"),
        (canvas.to_data_url(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)), "PNG"),
        (canvas.to_data_url(b"\x89PNG\r\n\x1a\n" + b"text after a signature"), "PNG"),
        (canvas.to_data_url(canvas.black_png(0, 10)), "0×10"),
        (canvas.to_data_url(with_idat_flipped(bar_png())), "decoded"),
    ],
    ids=[
        "not_data_url",
        "jpeg_url",
        "bad_base64",
        "text",
        "jpeg_bytes",
        "signature_only",
        "zero_width",
        "corrupt_pixels",
    ],
)
def test_predict_png_invalid(client: TestClient, png: str, expected: str) -> None:
    response = client.post(PREDICT, json={"png": png})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "png"]
    assert error["type"] == "invalid_image"
    assert expected in error["msg"]


@pytest.mark.parametrize("keep", [8, 20, 33, 60, 0.5, 0.9])
def test_predict_png_truncated(client: TestClient, keep: float) -> None:
    """A PNG cut anywhere inside its header or pixel data is rejected.

    NOTE: a PNG that lacks only its IEND chunk still decodes and is accepted.
    """
    png = bar_png()
    end = png.index(b"IEND") - 4
    cut = int(keep * end) if isinstance(keep, float) else keep

    response = client.post(PREDICT, json={"png": canvas.to_data_url(png[:cut])})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "png"]
    assert error["type"] == "invalid_image"
    assert "PNG" in error["msg"]


def adam7_png(pixels: np.ndarray) -> bytes:
    """Write an 8-bit grayscale PNG with Adam7 interlacing (Pillow writes none)."""
    height, width = pixels.shape
    starts = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4)]
    starts += [(0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    scanlines = b"".join(
        b"\x00" + pixels[row, x0::dx].tobytes()
        for x0, y0, dx, dy in starts
        if x0 < width
        for row in range(y0, height, dy)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 1)
    return canvas.png_file(header, zlib.compress(scanlines))


def one_row_png(width: int, height: int) -> bytes:
    """A PNG that declares width×height pixels but compresses only its first row."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\xff" * width
    return canvas.png_file(header, zlib.compress(row))


@pytest.mark.parametrize(("width", "height"), [(1000, 1000), (280, 280), (5, 2)])
def test_predict_png_pixels_short_of_size(
    client: TestClient, width: int, height: int
) -> None:
    """Pillow fills missing rows with zeros; the server rejects the file instead."""
    png = one_row_png(width, height)

    response = client.post(PREDICT, json={"png": canvas.to_data_url(png)})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "png"]
    assert error["type"] == "invalid_image"
    assert f"{width + 1:,} of the {(width + 1) * height:,} bytes" in error["msg"]


def test_predict_png_interlaced(client: TestClient, digits: Digits) -> None:
    """An Adam7 PNG, stored as seven passes of shorter rows, is accepted whole."""
    digit = digit_of(digits, 6)
    pixels = np.asarray(canvas.upscale(digit).convert("L"))
    plain = canvas.to_data_url(canvas.encode_png(Image.fromarray(pixels)))

    interlaced = client.post(
        PREDICT, json={"png": canvas.to_data_url(adam7_png(pixels))}
    )
    progressive = client.post(PREDICT, json={"png": plain})

    assert interlaced.status_code == 200, interlaced.text
    assert interlaced.json() == progressive.json()


def test_predict_png_not_string(client: TestClient) -> None:
    response = client.post(PREDICT, json={"png": 12345})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "png"]
    assert "string" in error["msg"]


# --- Oversized images and bodies ---


@pytest.mark.parametrize(
    ("width", "height"), [(20000, 20000), (10000, 10000), (1025, 1024), (1, 1025)]
)
def test_predict_png_too_large(client: TestClient, width: int, height: int) -> None:
    """The declared size decides: a 20,000² image is a 50 kB file here.

    Decoding it would allocate 400 MB, and Pillow 13 raises DecompressionBombError
    past 178,956,970 pixels, so only a check of the header can give 413.
    """
    png = canvas.black_png(width, height)

    response = client.post(PREDICT, json={"png": canvas.to_data_url(png)})

    assert response.status_code == 413, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "png"]
    assert error["type"] == "too_large"
    assert f"{width}×{height}" in error["msg"]
    assert "1024×1024" in error["msg"]


def test_predict_png_size_limit(client: TestClient) -> None:
    """A blank 1024×1024 canvas passes the size check and is nothing drawn."""
    png = canvas.black_png(1024, 1024)

    response = client.post(PREDICT, json={"png": canvas.to_data_url(png)})

    assert response.status_code == 422, response.text
    assert single_error(response)["type"] == "nothing_drawn"


def test_predict_body_too_large(client: TestClient, settings: Settings) -> None:
    body = b'{"png": "' + b"A" * settings.max_body_bytes + b'"}'

    response = client.post(PREDICT, content=body, headers=JSON_HEADERS)

    assert response.status_code == 413, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert error["type"] == "too_large"
    assert str(settings.max_body_bytes) in error["msg"]


def test_predict_noise_png_too_large(client: TestClient) -> None:
    """A 1024×1024 noise PNG is allowed in size but its data URL is over 2 MB."""
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (1024, 1024, 3), dtype=np.uint8))

    response = client.post(PREDICT, json={"png": canvas.image_data_url(noise)})

    assert response.status_code == 413, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert error["type"] == "too_large"


def test_predict_array_body_too_large(client: TestClient) -> None:
    """A 5,000×5,000 array is a 50 MB body, rejected from Content-Length."""
    row = "[" + ",".join(["0"] * 5000) + "]"
    body = ('{"image": [' + ",".join([row] * 5000) + "]}").encode()

    response = client.post(PREDICT, content=body, headers=JSON_HEADERS)

    assert response.status_code == 413, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert error["type"] == "too_large"


# --- Nothing drawn ---


def dot_canvas() -> Image.Image:
    drawing = Image.new("RGB", (280, 280), "white")
    drawing.putpixel((140, 140), (0, 0, 0))
    return drawing


def small_blob_canvas() -> Image.Image:
    drawing = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(drawing).ellipse((135, 135, 144, 144), fill=(0, 0, 0, 255))
    return drawing


@pytest.mark.parametrize(
    "drawing",
    [
        Image.new("RGB", (280, 280), "white"),
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
        Image.new("RGB", (280, 280), (128, 128, 128)),
        Image.new("L", (1, 1), 255),
        dot_canvas(),
        small_blob_canvas(),
    ],
    ids=["white", "transparent", "grey", "one_pixel", "dot", "small_blob"],
)
def test_predict_png_nothing_drawn(client: TestClient, drawing: Image.Image) -> None:
    response = client.post(PREDICT, json={"png": canvas.image_data_url(drawing)})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "png"]
    assert error["type"] == "nothing_drawn"
    assert "nothing drawn" in error["msg"]
    assert "results" not in response.json()


def single_dot() -> list[list[float]]:
    image = [[0.0] * 28 for _ in range(28)]
    image[14][14] = 1.0
    return image


@pytest.mark.parametrize(
    "image",
    [[[0.0] * 28 for _ in range(28)], [[0.15] * 28 for _ in range(28)], single_dot()],
    ids=["zeros", "faint", "dot"],
)
def test_predict_image_nothing_drawn(
    client: TestClient, image: list[list[float]]
) -> None:
    response = client.post(PREDICT, json={"image": image})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "image"]
    assert error["type"] == "nothing_drawn"
    assert "nothing drawn" in error["msg"]


# --- Request shape ---


def test_predict_unknown_model(client: TestClient) -> None:
    body = {"image": vertical_bar(), "models": ["cnn", "vgg16"]}

    response = client.post(PREDICT, json=body)

    assert response.status_code == 404, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "models", 1]
    assert error["type"] == "unknown_model"
    assert "'vgg16'" in error["msg"]
    assert "cnn, resnet, plain" in error["msg"]


@pytest.mark.parametrize(
    ("models", "expected"),
    [([], "at least 1 item"), ("cnn", "valid list"), ([1], "valid string")],
    ids=["empty", "string", "number"],
)
def test_predict_models_invalid(
    client: TestClient, models: object, expected: str
) -> None:
    response = client.post(PREDICT, json={"image": vertical_bar(), "models": models})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"][:2] == ["body", "models"]
    assert expected in error["msg"]


@pytest.mark.parametrize(
    "body",
    [{"image": vertical_bar(), "png": canvas.to_data_url(bar_png())}, {}],
    ids=["both", "neither"],
)
def test_predict_needs_one_input(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post(PREDICT, json=body)

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert "exactly one of image" in error["msg"]


def test_predict_extra_field(client: TestClient) -> None:
    response = client.post(PREDICT, json={"image": vertical_bar(), "colour": "red"})

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "colour"]
    assert error["type"] == "extra_forbidden"


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_predict_wrong_content_type(
    client: TestClient, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    body = json.dumps({"image": vertical_bar()}).encode()

    response = client.post(PREDICT, content=body, headers=headers)

    assert response.status_code in (415, 422), response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    # The client sent valid JSON, so the message has to name the header to fix.
    assert "application/json" in error["msg"]


def test_predict_form_body(client: TestClient) -> None:
    response = client.post(PREDICT, data={"image": "0"})

    assert response.status_code in (415, 422), response.text
    error = single_error(response)
    assert error["loc"] == ["body"]


def test_predict_invalid_json(client: TestClient) -> None:
    response = client.post(PREDICT, content=b'{"image": [', headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert error["type"] == "json_invalid"
    assert "not valid JSON: Expecting value at character 11" in error["msg"]


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"image": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
    ids=["open", "closed"],
)
def test_predict_deeply_nested(client: TestClient, body: bytes) -> None:
    response = client.post(PREDICT, content=body, headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert error["type"] == "json_invalid"
    assert "nested" in error["msg"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b"", "required"), (b"null", "object"), (b"[1, 2]", "object"), (b'"7"', "object")],
)
def test_predict_body_not_object(
    client: TestClient, body: bytes, expected: str
) -> None:
    response = client.post(PREDICT, content=body, headers=JSON_HEADERS)

    assert response.status_code == 422, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert expected in error["msg"]


def test_predict_get_not_allowed(client: TestClient) -> None:
    response = client.get(PREDICT)

    assert response.status_code == 405, response.text
    single_error(response)


def test_unknown_api_path(client: TestClient) -> None:
    response = client.get("/api/v1/predictions")

    assert response.status_code == 404, response.text
    single_error(response)


# --- Streamed bodies against a real server ---


def chunked_array(total_bytes: int) -> Iterator[bytes]:
    """Yield a JSON body of 5,000-wide rows of zeros, about total_bytes long."""
    yield b'{"image": ['
    row = ("[" + ",".join(["0"] * 5000) + "],").encode()
    for _ in range(total_bytes // len(row)):
        yield row
    yield b"[0]]}"


def test_predict_chunked_too_large(server_url: str) -> None:
    """A 50 MB body without Content-Length is cut off once it passes the limit."""
    body = chunked_array(50_000_000)

    response = httpx.post(
        server_url + PREDICT, content=body, headers=JSON_HEADERS, timeout=60
    )

    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413, response.text
    error = single_error(response)
    assert error["loc"] == ["body"]
    assert error["type"] == "too_large"


def test_predict_chunked_small(server_url: str) -> None:
    """A streamed body within the limit reaches the endpoint unchanged."""
    payload = json.dumps({"image": vertical_bar(), "models": ["cnn"]}).encode()
    chunks = (payload[start : start + 1000] for start in range(0, len(payload), 1000))

    response = httpx.post(
        server_url + PREDICT, content=chunks, headers=JSON_HEADERS, timeout=60
    )

    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 200, response.text
    assert response.json()["input"] == vertical_bar()
    assert response.json()["results"]["cnn"]["prediction"] == 1


def test_predict_decompression_bomb_is_413(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pillow's own pixel limit, if ever below the side limit, gives a 413."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    png = canvas.black_png(100, 100)  # 10,000 pixels, over twice Pillow's limit

    response = client.post(PREDICT, json={"png": canvas.to_data_url(png)})

    assert response.status_code == 413, response.text
    error = single_error(response)
    assert error["loc"] == ["body", "png"]
    assert "too many pixels" in error["msg"]
