"""GET /api/v1/limits: the server's size limits, so pages need not guess them."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cnnvis.analysis.conv_matrix import MAX_NONZEROS
from cnnvis.api.deps import SettingsDep
from cnnvis.api.routes.conv_matrix import MAX_RETURNED_NONZEROS

router = APIRouter(prefix="/api/v1", tags=["limits"])


class ConvMatrixLimits(BaseModel):
    max_nonzeros: int = Field(description="Larger matrices W get a 422.")
    max_returned_nonzeros: int = Field(
        description="W's entries are sent up to this many non-zeros."
    )
    budget_nonzeros: int = Field(
        description="Non-zeros built at once per server process; more wait."
    )


class Limits(BaseModel):
    max_body_bytes: int = Field(description="Largest request body (413 above).")
    max_image_side: int = Field(description="Largest PNG width or height (413 above).")
    conv_matrix: ConvMatrixLimits
    gradient_flow_budget: float = Field(
        description="Largest gradient-flow experiment, in cost units (422 above)."
    )


@router.get("/limits")
def read_limits(settings: SettingsDep) -> Limits:
    """Report the limits that requests are checked against, as configured."""
    return Limits(
        max_body_bytes=settings.max_body_bytes,
        max_image_side=settings.max_image_side,
        conv_matrix=ConvMatrixLimits(
            max_nonzeros=MAX_NONZEROS,
            max_returned_nonzeros=MAX_RETURNED_NONZEROS,
            budget_nonzeros=settings.conv_matrix_budget,
        ),
        gradient_flow_budget=settings.flow_budget,
    )
