"""Inbound webhooks: `POST /api/v1/webhooks/{playbook}` with the playbook's secret starts a run."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from socflow.api.context import API_PREFIX, SettingsDep, TrackerDep
from socflow.api.limits import RouteLimit
from socflow.api.schemas_webhooks import WebhookRunOut
from socflow.errors import Issue, MalformedInput, ValidationFailed
from socflow.playbooks.work import FINISHED
from socflow.storage.tables_runs import RunRow
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service
from socflow.worker.trigger_index import TriggerIndex
from socflow.worker.webhooks import SECRET_HEADER, WebhookService

PATH: Final = re.compile(r"^/api/v1/webhooks/[^/]+$")
_POLL_SECONDS: Final = (0.005, 0.01, 0.02, 0.05, 0.1)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def body_limit(max_bytes: int) -> RouteLimit:
    """The webhook route's own body limit, for the app's BodyLimitMiddleware."""
    return RouteLimit("POST", PATH, max_bytes)


def _body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedInput(f"the webhook body is not valid JSON: {exc}") from None


def _answer(playbook_id: str, run: RunRow) -> WebhookRunOut:
    return WebhookRunOut(
        playbook_id=playbook_id,
        run_id=run.id,
        status=run.status,
        outcome=run.state.get("outcome"),
        outputs=run.state.get("outputs") if run.status == "succeeded" else None,
        error=run.state.get("error"),
    )


async def _wait(runs: RunService, run_id: str, seconds: float) -> RunRow:
    """Drive the run's due steps here (any worker may take them too) until it ends or time is up."""
    deadline = time.monotonic() + seconds
    polls = iter(_POLL_SECONDS)
    while True:
        await run_in_threadpool(runs.drain, 1000, run_id)
        run = await run_in_threadpool(runs.get, run_id)
        left = deadline - time.monotonic()
        if run.status in FINISHED or left <= 0:
            return run
        await asyncio.sleep(min(left, next(polls, _POLL_SECONDS[-1])))


@router.post(
    "/{playbook}",
    status_code=202,
    responses={200: {"model": WebhookRunOut, "description": "The run finished within `wait` seconds"}},
)
async def receive(
    playbook: str,
    request: Request,
    response: Response,
    tracker: TrackerDep,
    settings: SettingsDep,
    secret: Annotated[
        str | None, Header(alias=SECRET_HEADER, description="The playbook's webhook secret.")
    ] = None,
    wait: Annotated[float, Query(ge=0, description="Seconds to wait for the run to finish.")] = 0,
) -> WebhookRunOut:
    """Start a run of a published webhook playbook with the JSON body as `trigger.webhook`.

    Without `wait` (or when the run is still going after it) the answer is 202 with the run id and a
    Location; a run that finishes in time answers 200 with its outputs.
    """
    if wait > settings.webhook_max_wait_seconds:
        limit = settings.webhook_max_wait_seconds
        raise ValidationFailed(
            f"wait must be at most {limit:g} seconds", issues=[Issue("query.wait", f"0 to {limit:g}")]
        )
    body = _body(await request.body())
    received = {"content_type": request.headers.get("content-type"), "client": _client(request)}
    runs = build_run_service(tracker.database)  # every step kind: `wait` may drive the run here
    service = WebhookService(tracker.database, runs, _index(request, tracker))
    playbook_id, run_id = await run_in_threadpool(service.fire, playbook, secret, body, received)
    if run_id is None:
        response.status_code = 200
        return WebhookRunOut(playbook_id=playbook_id, run_id=None, status="ignored")
    if wait > 0:
        run = await _wait(runs, run_id, wait)
        if run.status in FINISHED:
            response.status_code = 200
            return _answer(playbook_id, run)
    else:
        run = await run_in_threadpool(runs.get, run_id)
    response.headers["Location"] = f"{API_PREFIX}/runs/{run_id}"
    return _answer(playbook_id, run)


def _client(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def _index(request: Request, tracker: TrackerDep) -> TriggerIndex:
    """One trigger index per app (its compiled filters are reused across calls)."""
    index = getattr(request.app.state, "trigger_index", None)
    if not isinstance(index, TriggerIndex) or index.database is not tracker.database:
        index = TriggerIndex(tracker.database)
        request.app.state.trigger_index = index
    return index
