"""JSON responses serialised by pydantic directly."""

from fastapi import Response
from pydantic import BaseModel


def json_response(model: BaseModel) -> Response:
    """Serialise an already validated model in one pass.

    FastAPI validates and encodes a returned model again before sending it; for
    the large responses (activations, conv matrices) that took about 8 ms of a
    17 ms request. Routes that return this keep `response_model` for the docs.
    """
    return Response(content=model.model_dump_json(), media_type="application/json")
