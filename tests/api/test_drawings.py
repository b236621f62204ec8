"""Real MNIST digits drawn as canvases the way people draw, sent as PNG.

Each variant of canvas.VARIANTS is applied to 50 held-out digits (5 per label).
Whatever the placement, size, stroke width, polarity or transparency, the
prepared 28×28 input has to look like an MNIST digit: ink box 20 px, centre of
mass at the centre, black background, and the cnn has to read it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from cnnvis.data import Digits
from tests.api import canvas
from tests.api.checks import check_result

PREDICT = "/api/v1/predict"
POSITIONS = (0, 7, 14, 21, 28)
MIN_ACCURACY = 0.9
CENTRE = 13.5
# MNIST digits were scaled to fit 20×20, and resampling may add or lose a pixel.
SPAN_RANGE = (19, 21)
# The polarity cases draw with a pen about 18 px wide on a 280×280 canvas.
POLARITY_PEN_PX = 18


@dataclass(frozen=True)
class DrawingResult:
    label: int
    position: int
    image: np.ndarray  # (28, 28) prepared input returned by the API
    prediction: int


def digit_of(digits: Digits, label: int, position: int) -> np.ndarray:
    members = (digits.labels == label).nonzero().flatten()
    digit: np.ndarray = digits.images[int(members[position]), 0].numpy()
    return digit


def post_drawing(client: TestClient, drawing: Image.Image) -> dict[str, Any]:
    request = {"png": canvas.image_data_url(drawing), "models": ["cnn"]}
    response = client.post(PREDICT, json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def drawing_results(
    client: TestClient, digits: Digits
) -> Callable[[str], list[DrawingResult]]:
    """Return the cnn results for the 50 digits drawn in a variant, computed once."""
    cache: dict[str, list[DrawingResult]] = {}

    def results_for(variant: str) -> list[DrawingResult]:
        if variant not in cache:
            results = []
            for label in range(10):
                for position in POSITIONS:
                    drawing = canvas.render(digit_of(digits, label, position), variant)
                    body = post_drawing(client, drawing)
                    cnn = body["results"]["cnn"]
                    check_result(cnn)
                    results.append(
                        DrawingResult(
                            label=label,
                            position=position,
                            image=np.array(body["input"]),
                            prediction=cnn["prediction"],
                        )
                    )
            cache[variant] = results
        return cache[variant]

    return results_for


@pytest.mark.parametrize("variant", canvas.VARIANTS)
def test_drawing_centred_mass(
    drawing_results: Callable[[str], list[DrawingResult]], variant: str
) -> None:
    for result in drawing_results(variant):
        row, col = canvas.centre_of_mass(result.image)
        where = f"label {result.label} position {result.position}"
        assert abs(row - CENTRE) <= 1.0, f"{where}: centre row {row:.2f}"
        assert abs(col - CENTRE) <= 1.0, f"{where}: centre column {col:.2f}"


@pytest.mark.parametrize("variant", canvas.VARIANTS)
def test_drawing_fits_20px(
    drawing_results: Callable[[str], list[DrawingResult]], variant: str
) -> None:
    low, high = SPAN_RANGE
    for result in drawing_results(variant):
        span = canvas.ink_span(result.image)
        where = f"label {result.label} position {result.position}"
        assert low <= span <= high, f"{where}: ink box side {span} px"


@pytest.mark.parametrize("variant", canvas.VARIANTS)
def test_drawing_polarity(
    drawing_results: Callable[[str], list[DrawingResult]], variant: str
) -> None:
    """Ink is white (max near 1) on a black background (near 0)."""
    for result in drawing_results(variant):
        image = result.image
        border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        where = f"label {result.label} position {result.position}"
        assert image.max() >= 0.95, f"{where}: ink max {image.max():.3f}"
        assert border.max() <= 0.05, f"{where}: border max {border.max():.3f}"
        assert np.median(image) <= 0.05, f"{where}: median {np.median(image):.3f}"


@pytest.mark.parametrize("variant", canvas.VARIANTS)
def test_drawing_accuracy(
    drawing_results: Callable[[str], list[DrawingResult]], variant: str
) -> None:
    results = drawing_results(variant)
    wrong = [
        (a.label, a.position, a.prediction) for a in results if a.prediction != a.label
    ]

    accuracy = 1 - len(wrong) / len(results)

    assert accuracy >= MIN_ACCURACY, (
        f"{variant}: accuracy {accuracy:.2f}; (label, position, prediction) "
        f"wrong: {wrong}"
    )


def polarity_drawings(digits: Digits) -> dict[str, Image.Image]:
    """Draw a "3" black on white and a "5" in black or white ink on transparent."""
    three = canvas.redraw_with_pen(digit_of(digits, 3, 0), POLARITY_PEN_PX)
    five = canvas.redraw_with_pen(digit_of(digits, 5, 0), POLARITY_PEN_PX)
    return {
        "black_on_white": canvas.colour(three, "dark_on_light"),
        "black_on_white_rgba": canvas.colour(three, "dark_on_light").convert("RGBA"),
        "alpha_black_ink": canvas.colour(five, "alpha_black_ink"),
        "alpha_white_ink": canvas.colour(five, "alpha_white_ink"),
    }


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("black_on_white", 3),
        ("black_on_white_rgba", 3),
        ("alpha_black_ink", 5),
        ("alpha_white_ink", 5),
    ],
)
def test_polarity_case(
    client: TestClient, digits: Digits, name: str, label: int
) -> None:
    drawing = polarity_drawings(digits)[name]

    body = post_drawing(client, drawing)

    image = np.array(body["input"])
    assert image.max() >= 0.95
    assert np.median(image) <= 0.05
    assert body["results"]["cnn"]["prediction"] == label


def test_polarity_alpha_same_input(client: TestClient, digits: Digits) -> None:
    """Black or white ink on a transparent canvas is the same digit."""
    drawings = polarity_drawings(digits)

    black = post_drawing(client, drawings["alpha_black_ink"])
    white = post_drawing(client, drawings["alpha_white_ink"])

    np.testing.assert_allclose(
        np.array(black["input"]), np.array(white["input"]), atol=1e-3
    )
