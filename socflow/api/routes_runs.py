"""Playbook run routes: start a run of a published playbook, list runs, read one with its journal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from socflow.api.auth import Actor
from socflow.api.context import API_PREFIX, TrackerDep
from socflow.api.schemas_common import PageOut
from socflow.api.schemas_runs import RunDetailOut, RunOut, RunStartIn
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.run_views import run_detail, run_dict
from socflow.worker.runs import RunService

router = APIRouter(tags=["runs"])


def _service(tracker: TrackerDep) -> RunService:
    return RunService(tracker.database, PlaybookCatalogue(tracker.database))


@router.post("/playbooks/{playbook_id}/runs", status_code=201)
async def start_run(
    playbook_id: str, actor: Actor, tracker: TrackerDep, response: Response, body: RunStartIn | None = None
) -> RunOut:
    """Start a run of the published version; a worker executes its steps (`socflow run drain`)."""
    service = _service(tracker)
    start = body or RunStartIn()
    run_id = await run_in_threadpool(service.start, actor, playbook_id, start.inputs, start.trigger)
    response.headers["Location"] = f"{API_PREFIX}/runs/{run_id}"
    return RunOut.model_validate(run_dict(service.get(run_id)))


@router.get("/runs")
def list_runs(
    tracker: TrackerDep,
    status: Annotated[str | None, Query(description="Only runs of this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PageOut[RunOut]:
    """Runs, newest first (one page of at most `limit`)."""
    rows = _service(tracker).list(status=status, limit=limit)
    return PageOut(items=[RunOut.model_validate(run_dict(row)) for row in rows], next=None)


@router.get("/runs/{run_id}")
def get_run(run_id: str, tracker: TrackerDep) -> RunDetailOut:
    """One run with its step attempts and its journal."""
    service = _service(tracker)
    detail = run_detail(service.get(run_id), service.attempts(run_id), service.journal(run_id))
    return RunDetailOut.model_validate(detail)
