"""The FastAPI application: routes under /api/v1 behind the bearer token, problems, limits, access log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI

from socflow.api import (
    routes_alerts,
    routes_assets,
    routes_audit,
    routes_cases,
    routes_events,
    routes_evidence,
    routes_health,
    routes_ingest,
    routes_observables,
    routes_playbooks,
    routes_runs,
    routes_tasks,
    routes_webhooks,
)
from socflow.api.access_log import AccessLogMiddleware
from socflow.api.auth import current_actor
from socflow.api.context import API_PREFIX, ApiContext, attach_context
from socflow.api.intake_state import IntakeState, attach_intake
from socflow.api.limits import MULTIPART_OVERHEAD, BodyLimitMiddleware, RouteLimit
from socflow.api.problems import PROBLEM_MEDIA_TYPE, UnexpectedErrorMiddleware, install_problem_handlers
from socflow.api.schemas_common import Problem
from socflow.cases.tracker import Tracker
from socflow.config import Settings
from socflow.ingest.enrichment import AssetEnricher

if TYPE_CHECKING:  # the executor module pulls in Celery; the app only starts and stops what it is given
    from socflow.worker.executors import Executor


def _version() -> str:
    # Read from the installed metadata, not `socflow.__version__`: an editable install can present
    # `socflow` as a namespace package, whose __init__ (and so that attribute) is never run.
    try:
        return version("socflow")
    except PackageNotFoundError:
        return "0.0.0"


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


# Documented on every /api/v1 operation; 422 replaces FastAPI's own validation schema.
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: _problem("Missing or invalid bearer token"),
    404: _problem("The named object does not exist"),
    409: _problem("Stale version, or a move the lifecycle does not allow"),
    413: _problem("The request body is too large"),
    422: _problem("The request is not valid; `issues` names every field"),
}


_API_ROUTES = (
    routes_alerts,
    routes_cases,
    routes_tasks,
    routes_observables,
    routes_evidence,
    routes_audit,
    routes_assets,
    routes_ingest,
    routes_events,
    routes_playbooks,
    routes_runs,
)


def create_app(
    settings: Settings, tracker: Tracker | None = None, executor: Executor | None = None
) -> FastAPI:
    """Build the API; without a tracker it opens the configured database (and closes it on shutdown).

    An `executor` (the worker loop `socflow serve` runs beside the API) starts with the app and stops,
    letting in-flight steps finish, when it shuts down.
    """
    owned = tracker is None
    active = tracker if tracker is not None else Tracker.from_settings(settings)

    intake = IntakeState.build(settings, active.database, enrich=AssetEnricher(active.database).enrich)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The syslog listeners (when a port is set) run on their own loop in a thread beside the API.
        intake.start()
        if executor is not None:
            executor.start()
        try:
            yield
        finally:
            if executor is not None:
                await asyncio.to_thread(executor.stop)
            intake.stop()
            if owned:
                active.database.dispose()

    app = FastAPI(
        title="socflow",
        version=_version(),
        summary="SOC workflow: alerts, cases, tasks, observables, evidence and the audit journal.",
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    token = settings.resolved_secret("api_token").encode("utf-8")
    attach_context(app, ApiContext(settings=settings, tracker=active, token=token))
    attach_intake(app, intake)
    install_problem_handlers(app)
    app.include_router(routes_health.router)
    # Webhooks authenticate with their playbook's own secret, not the bearer token.
    app.include_router(routes_webhooks.router, prefix=API_PREFIX, responses=_PROBLEMS)
    app.include_router(
        routes_ingest.metrics_router, dependencies=[Depends(current_actor)], responses=_PROBLEMS
    )
    for module in _API_ROUTES:
        # Each is included straight into the app (not via an /api/v1 router): one pass of route building.
        app.include_router(
            module.router, prefix=API_PREFIX, dependencies=[Depends(current_actor)], responses=_PROBLEMS
        )
    # Added innermost first: the access log sees every answer, including 413s and crash 500s.
    app.add_middleware(UnexpectedErrorMiddleware)
    upload_limit = RouteLimit(
        "POST", routes_evidence.UPLOAD_PATH, settings.max_upload_bytes + MULTIPART_OVERHEAD
    )
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        routes=[upload_limit, routes_webhooks.body_limit(settings.webhook_max_body_bytes)],
    )
    app.add_middleware(AccessLogMiddleware)
    return app
