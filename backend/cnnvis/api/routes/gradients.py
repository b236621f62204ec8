import logging
import threading
from collections import OrderedDict
from typing import Any

import anyio
from fastapi import APIRouter, Request

from cnnvis.analysis.gradient_flow import LOSS as FLOW_LOSS
from cnnvis.analysis.gradient_flow import FlowConfig
from cnnvis.analysis.gradients import LOSS, NORM, layer_gradients
from cnnvis.api.deps import FlowWorkerDep, ModelsDep, SettingsDep
from cnnvis.api.flow_worker import FlowWorker
from cnnvis.api.gradient_schemas import (
    GradientFlowRequest,
    GradientFlowResponse,
    GradientRequest,
    GradientResponse,
    LayerGradientOut,
)
from cnnvis.api.inputs import prepare_input
from cnnvis.api.routes.layers import ERRORS
from cnnvis.errors import ClientGoneError, CnnvisError
from cnnvis.inference import predict, require_model

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["gradients"])

FLOW_CACHE_SIZE = 32
# One experiment at a time (in the worker process), so that runs queue instead
# of taking every core from the prediction requests.
_flow_limiter = anyio.CapacityLimiter(1)
_flow_cache: OrderedDict[FlowConfig, dict[str, Any]] = OrderedDict()
_flow_cache_lock = threading.Lock()


class BudgetError(CnnvisError):
    error_type = "over_budget"


def flow_cost(config: FlowConfig) -> float:
    """Return the experiment's cost in units of one block-step at width 8, 32 digits.

    A step's arithmetic grows with width² × batch_size, but below width 8 with
    32 digits its time is mostly per-layer overhead. For example, 60 blocks ×
    200 steps at width 2 with 4 digits took 50 s, and the 2,000-unit example
    took 17 s. So no block-step costs less than that reference.
    """
    per_step = max(config.width**2 * config.batch_size, 2048)
    return config.blocks * max(config.steps, 1) * per_step / 2048


@router.post("/gradients", responses=ERRORS)
def compute_gradients(
    request: GradientRequest, models: ModelsDep, settings: SettingsDep
) -> GradientResponse:
    """Return each layer's gradient norms for the cross-entropy loss on one digit."""
    served = require_model(models, request.model, loc=("body", "model"))
    image = prepare_input(request, settings).image
    ((_, prediction),) = predict(models, [served.id], image).values()
    target = prediction if request.target is None else request.target
    rows, loss, probabilities = layer_gradients(
        served.model, served.layers, image, target
    )
    return GradientResponse(
        model=served.id,
        norm=NORM,
        loss=LOSS,
        target=target,
        loss_value=loss,
        prediction=prediction,
        probabilities=probabilities.tolist(),
        layers=[LayerGradientOut(**row.__dict__) for row in rows],
    )


async def _watch_disconnect(
    request: Request, worker: FlowWorker, run_id: int, done: anyio.Event
) -> None:
    while not done.is_set():
        if await request.is_disconnected():
            worker.cancel(run_id)
            return
        await anyio.sleep(0.2)


@router.post("/gradient-flow", responses=ERRORS)
async def run_gradient_flow(
    body: GradientFlowRequest,
    request: Request,
    worker: FlowWorkerDep,
    settings: SettingsDep,
) -> GradientFlowResponse:
    """Compare per-layer gradient norms of a deep plain and residual network."""
    config = FlowConfig(**body.model_dump())
    cost = flow_cost(config)
    budget = settings.flow_budget
    if cost > budget:
        raise BudgetError(
            f"this configuration costs {cost:,.0f} units (blocks × max(steps, 1) × "
            f"max(width² × batch_size, 2048) / 2048); the limit is {budget:,.0f} "
            "(CNNVIS_FLOW_BUDGET). Use fewer "
            "blocks, steps or channels, or a smaller batch.",
            loc=("body",),
        )
    with _flow_cache_lock:
        result = _flow_cache.get(config)
    was_cached = result is not None
    if result is None:
        result = await _run_cancellable(config, request, worker)
        with _flow_cache_lock:
            _flow_cache[config] = result
            while len(_flow_cache) > FLOW_CACHE_SIZE:
                _flow_cache.popitem(last=False)
    return GradientFlowResponse(
        **result,
        norm=NORM,
        loss=FLOW_LOSS,
        cost=cost,
        budget=budget,
        cached=was_cached,
    )


async def _run_cancellable(
    config: FlowConfig, request: Request, worker: FlowWorker
) -> dict[str, Any]:
    """Run the experiment in the worker process; stop it if the client disconnects."""
    done = anyio.Event()
    run_id = worker.new_run_id()
    failure: CnnvisError | None = None
    result: dict[str, Any] | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(_watch_disconnect, request, worker, run_id, done)
        try:
            result = await anyio.to_thread.run_sync(
                worker.run, config, run_id, limiter=_flow_limiter
            )
        except CnnvisError as error:
            # Raised out of the task group it would arrive wrapped in an
            # ExceptionGroup, which no handler maps to its 503.
            failure = error
        finally:
            done.set()  # ends the watcher
    if failure is not None:
        raise failure
    if result is None:
        logger.info(
            "cancelled gradient-flow run: client disconnected, config=%s", config
        )
        raise ClientGoneError("the client disconnected; the run was stopped")
    return result
