"""Exception handlers: every 4xx response is {"detail": [{"loc", "msg", "type"}]}."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def _error_item(item: Any) -> dict[str, Any]:
    loc = list(item.get("loc", ()))
    msg = str(item.get("msg", "")).removeprefix("Value error, ")
    if item.get("type") == "json_invalid":
        # FastAPI puts the character offset of the fault in loc, and pydantic's
        # message is only "JSON decode error". The decoder's reason is in ctx.
        reason = item.get("ctx", {}).get("error", "invalid syntax")
        position = loc[1] if len(loc) > 1 else "?"
        msg = (
            f"the body is not valid JSON: {reason} at character {position}; send "
            "one complete JSON object"
        )
        loc = ["body"]
    return {"loc": loc, "msg": msg, "type": item.get("type", "")}


async def handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # The echo of the input that FastAPI adds by default is left out: it can be
    # as large as the body itself.
    items = [_error_item(item) for item in error.errors()[:20]]
    content_type = request.headers.get("content-type", "")
    if items and items[0]["loc"] == ["body"] and "json" not in content_type:
        # FastAPI reads a body that is not declared as JSON as raw bytes, and
        # pydantic's message about it does not say what to change.
        items = [
            {
                "loc": ["body"],
                "msg": f"the body must be a JSON object sent with Content-Type: "
                f"application/json; got Content-Type {content_type or '(none)'!r}",
                "type": "content_type",
            }
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
        "JSON body is nested too deeply; see /docs for the fields",
        "json_invalid",
    )


async def handle_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status, message = error.status_code, str(error.detail)
    loc: list[str | int] = ["path"]
    error_type = "http_error"
    if status == 400 and "parsing the body" in message:
        # FastAPI turns any failure to parse a JSON body other than a syntax error
        # (RecursionError from deeply nested arrays, for one) into this 400.
        status, loc, error_type = 422, ["body"], "json_invalid"
        message = (
            "the body could not be parsed as JSON: it is malformed, nested too "
            "deeply or holds a number too long to read; see /docs for the fields"
        )
    logger.info(
        "rejected request path=%s status=%d reason=%s",
        request.url.path,
        status,
        message,
    )
    response = _error(status, loc, message, error_type)
    response.headers.update(error.headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CnnvisError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(RecursionError, handle_recursion_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
