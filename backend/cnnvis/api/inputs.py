"""Preparation of the digit a request sends, shared by the routes."""

from cnnvis.api.schemas import DigitInput
from cnnvis.config import Settings
from cnnvis.preprocess import PreparedDigit, prepare_array, prepare_png


def prepare_input(request: DigitInput, settings: Settings) -> PreparedDigit:
    """Prepare the request's `png` as MNIST was, or check its 28×28 `image`."""
    if request.png is not None:
        return prepare_png(request.png, max_side=settings.max_image_side)
    assert request.image is not None, "DigitInput guarantees image or png"
    return prepare_array(request.image)
