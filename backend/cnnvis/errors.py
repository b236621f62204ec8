"""Domain exceptions that the API turns into 4xx responses naming the field."""

from collections.abc import Sequence


class CnnvisError(Exception):
    """Base of the errors a client's input can cause.

    `loc` is the path of the offending field, as in FastAPI's validation errors,
    so that every 4xx response of the API has the same shape.
    """

    status_code = 422
    error_type = "value_error"

    def __init__(self, message: str, *, loc: Sequence[str | int] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = list(loc)


class InvalidImageError(CnnvisError):
    error_type = "invalid_image"


class EmptyDrawingError(CnnvisError):
    error_type = "nothing_drawn"


class PayloadTooLargeError(CnnvisError):
    status_code = 413
    error_type = "too_large"


class UnknownModelError(CnnvisError):
    status_code = 404
    error_type = "unknown_model"


class NotFoundError(CnnvisError):
    status_code = 404
    error_type = "not_found"


class ClientGoneError(CnnvisError):
    # 499 is nginx's "client closed request". The client is gone, so only the log records it.
    status_code = 499
    error_type = "client_closed_request"


class DataUnavailableError(RuntimeError):
    """The digit data set is missing or corrupt; the message names the command to run."""


class ModelLoadError(RuntimeError):
    """A weights file or model card is missing, corrupt or inconsistent."""


class NotAFilterLayerError(CnnvisError):
    error_type = "not_a_filter_layer"
