"""Dependencies shared by the route handlers."""

from typing import Annotated

from fastapi import Depends, Request

from cnnvis.api.budget import NonzeroBudget
from cnnvis.api.flow_worker import FlowWorker
from cnnvis.config import Settings
from cnnvis.data import Digits
from cnnvis.nets.registry import ServedModel


def get_models(request: Request) -> dict[str, ServedModel]:
    models: dict[str, ServedModel] = request.app.state.models
    return models


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_samples(request: Request) -> Digits:
    samples: Digits = request.app.state.samples
    return samples


def get_flow_worker(request: Request) -> FlowWorker:
    worker: FlowWorker = request.app.state.flow_worker
    return worker


def get_conv_budget(request: Request) -> NonzeroBudget:
    budget: NonzeroBudget = request.app.state.conv_budget
    return budget


ModelsDep = Annotated[dict[str, ServedModel], Depends(get_models)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SamplesDep = Annotated[Digits, Depends(get_samples)]
FlowWorkerDep = Annotated[FlowWorker, Depends(get_flow_worker)]
ConvBudgetDep = Annotated[NonzeroBudget, Depends(get_conv_budget)]
