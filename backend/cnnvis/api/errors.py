"""Exception handlers: every 4xx answer is {"detail": [{"loc", "msg", "type"}]}."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cnnvis.errors import CnnvisError

logger = logging.getLogger(__name__)


def _error(
    status: int, loc: list[str | int], msg: str, error_type: str
) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"detail": [{"loc": loc, "msg": msg, "type": error_type}]},
    )


async def handle_domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CnnvisError)
    logger.info(
        "rejected request path=%s status=%d type=%s loc=%s",
        request.url.path,
        error.status_code,
        error.error_type,
        ".".join(map(str, error.loc)),
    )
    return _error(error.status_code, error.loc, error.message, error.error_type)


async def handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # The echo of the input that FastAPI adds by default is left out: it can be
    # as large as the body itself.
    items = [
        {
            "loc": list(item.get("loc", ())),
            "msg": item.get("msg", ""),
            "type": item.get("type", ""),
        }
        for item in error.errors()[:20]
    ]
    logger.info(
        "rejected request path=%s status=422 errors=%d first=%s",
        request.url.path,
        len(error.errors()),
        items[0]["msg"] if items else "",
    )
    return JSONResponse(status_code=422, content={"detail": items})


async def handle_recursion_error(request: Request, error: Exception) -> JSONResponse:
    # json.loads raises RecursionError on deeply nested arrays, before pydantic runs.
    logger.info(
        "rejected request path=%s status=422 deeply nested JSON", request.url.path
    )
    return _error(
        422,
        ["body"],
        "JSON body is nested too deeply; send a 28×28 array or a PNG",
        "json_invalid",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CnnvisError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(RecursionError, handle_recursion_error)
