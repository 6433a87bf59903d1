"""What every route reaches through dependencies: the settings, the tracker and the expected token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Request

from socflow.cases.tracker import Tracker
from socflow.config import Settings

API_PREFIX: Final = "/api/v1"


@dataclass(frozen=True)
class ApiContext:
    """Built once by `create_app` and kept on `app.state`; routes never read globals."""

    settings: Settings
    tracker: Tracker
    token: bytes = field(repr=False)


def attach_context(app: FastAPI, context: ApiContext) -> None:
    app.state.socflow = context


async def get_context(request: Request) -> ApiContext:
    context = request.app.state.socflow
    if not isinstance(context, ApiContext):
        raise RuntimeError("the API was not built by create_app")
    return context


async def get_tracker(context: Annotated[ApiContext, Depends(get_context)]) -> Tracker:
    return context.tracker


async def get_settings(context: Annotated[ApiContext, Depends(get_context)]) -> Settings:
    return context.settings


ContextDep = Annotated[ApiContext, Depends(get_context)]
TrackerDep = Annotated[Tracker, Depends(get_tracker)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
