import random
from typing import Annotated

from fastapi import APIRouter, Query

from cnnvis.api.deps import SamplesDep
from cnnvis.api.schemas import ErrorResponse, Sample
from cnnvis.errors import NotFoundError

router = APIRouter(prefix="/api/v1", tags=["samples"])


@router.get("/samples", responses={404: {"model": ErrorResponse}})
def read_sample(
    samples: SamplesDep,
    label: Annotated[
        int | None, Query(ge=0, le=9, description="Digit 0..9; random when omitted.")
    ] = None,
    index: Annotated[
        int | None,
        Query(
            ge=0,
            description="Index among the held-out digits of that label; random when omitted.",
        ),
    ] = None,
) -> Sample:
    """Return a held-out MNIST digit with its label."""
    if label is None:
        label = random.randrange(10)
    members = (samples.labels == label).nonzero().flatten()
    if index is None:
        index = random.randrange(len(members))
    if index >= len(members):
        raise NotFoundError(
            f"index {index} is out of range: there are {len(members)} held-out "
            f"digits with label {label} (index 0..{len(members) - 1})",
            loc=("query", "index"),
        )
    image = samples.images[int(members[index]), 0]
    return Sample(label=label, index=index, count=len(members), image=image.tolist())
