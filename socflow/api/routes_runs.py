"""Playbook run routes: start, list and read runs; pause, resume, cancel, retry, answer and re-drive them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from socflow.api.auth import Actor
from socflow.api.context import API_PREFIX, SettingsDep, TrackerDep
from socflow.api.schemas_common import PageOut
from socflow.api.schemas_runs import (
    CancelIn,
    DecisionIn,
    DeliveredOut,
    EventIn,
    RedriveIn,
    RedrivenOut,
    RedriveOut,
    RetryIn,
    RunDetailOut,
    RunOut,
    RunStartIn,
)
from socflow.playbooks.work import Event
from socflow.storage.tables_runs import RunRow
from socflow.worker.event_delivery import deliver
from socflow.worker.redrive import RedriveFilter, redrive
from socflow.worker.run_control import answer, require_case, runs_of_case
from socflow.worker.run_views import run_dict, stored_run_detail
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service
from socflow.worker.triggers import manual_trigger

router = APIRouter(tags=["runs"])


def _service(tracker: TrackerDep) -> RunService:
    return build_run_service(tracker.database)


def _out(row: RunRow) -> RunOut:
    return RunOut.model_validate(run_dict(row))


@router.post("/playbooks/{playbook_id}/runs", status_code=201)
async def start_run(
    playbook_id: str, actor: Actor, tracker: TrackerDep, response: Response, body: RunStartIn | None = None
) -> RunOut:
    """Start a run of the published version; the workers of `socflow serve` or `socflow worker` execute it."""
    service = _service(tracker)
    start = body or RunStartIn()
    trigger = await run_in_threadpool(manual_trigger, tracker.database, actor, start.trigger, start.case_id)
    run_id = await run_in_threadpool(service.start, actor, playbook_id, start.inputs, trigger, start.case_id)
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
def get_run(run_id: str, tracker: TrackerDep, settings: SettingsDep) -> RunDetailOut:
    """One run with its step attempts, its journal, and what it waits on (steps, or the state it rests in)."""
    detail = stored_run_detail(_service(tracker), run_id, settings.run_stuck_after)
    return RunDetailOut.model_validate(detail)


@router.post("/runs/{run_id}/pause")
async def pause_run(run_id: str, actor: Actor, tracker: TrackerDep) -> RunOut:
    """Hold the run: nothing new is handed to workers until it is resumed (steps in flight finish)."""
    return _out(await run_in_threadpool(_service(tracker).pause, actor, run_id))


@router.post("/runs/{run_id}/resume")
async def resume_run(run_id: str, actor: Actor, tracker: TrackerDep) -> RunOut:
    """Release a paused run's held work."""
    return _out(await run_in_threadpool(_service(tracker).resume, actor, run_id))


@router.post("/runs/{run_id}/cancel")
async def cancel_run(run_id: str, actor: Actor, tracker: TrackerDep, body: CancelIn | None = None) -> RunOut:
    """Stop the run for good (its unfinished sub-playbook runs too); the reason becomes its outcome."""
    reason = (body or CancelIn()).reason
    return _out(await run_in_threadpool(_service(tracker).cancel, actor, run_id, reason))


@router.post("/runs/{run_id}/retry")
async def retry_run(run_id: str, body: RetryIn, actor: Actor, tracker: TrackerDep) -> RunOut:
    """Resume a failed run at one of its failed steps, optionally with edited arguments."""
    service = _service(tracker)
    return _out(await run_in_threadpool(service.retry_from, actor, run_id, body.step, body.args))


@router.post("/runs/{run_id}/steps/{step_id}/decision")
async def decide_step(
    run_id: str, step_id: str, body: DecisionIn, actor: Actor, tracker: TrackerDep
) -> RunOut:
    """Answer an approval (`approved`/`rejected`), a human task or an awaited event, as the actor."""
    service = _service(tracker)
    row = await run_in_threadpool(
        answer, service, actor, run_id, step_id, body.decision, body.data, body.roles
    )
    return _out(row)


@router.post("/runs/{run_id}/events")
async def send_event(run_id: str, body: EventIn, actor: Actor, tracker: TrackerDep) -> RunOut:
    """An outside event for the run: completes the `wait_event` steps it correlates with, or moves a
    state machine along a transition of that name."""
    service = _service(tracker)
    return _out(await run_in_threadpool(service.signal, actor, run_id, Event(body.name, body.data)))


@router.post("/events/deliver")
async def deliver_event(body: EventIn, actor: Actor, tracker: TrackerDep) -> DeliveredOut:
    """Broadcast an event: every run with a waiting `wait_event` step for it whose correlation keys
    match the data is signalled (finished runs are skipped); answers with the runs signalled."""
    runs = await run_in_threadpool(deliver, _service(tracker), actor, body.name, body.data)
    return DeliveredOut(event=body.name.strip(), runs=runs)


@router.post("/runs/redrive")
async def redrive_runs(body: RedriveIn, actor: Actor, tracker: TrackerDep) -> RedriveOut:
    """Retry many failed runs from their failed steps (filter by playbook, failure time, error code)."""
    query = RedriveFilter(body.playbook, body.since, body.until, body.error_code, body.limit)
    service = _service(tracker)
    items = await run_in_threadpool(lambda: redrive(service, actor, query, dry_run=body.dry_run))
    done = sum(1 for item in items if item.problem is None and not body.dry_run)
    return RedriveOut(
        dry_run=body.dry_run,
        matched=len(items),
        redriven=done,
        items=[RedrivenOut.model_validate(item.to_dict()) for item in items],
    )


@router.get("/cases/{case_id}/runs")
def case_runs(case_id: str, tracker: TrackerDep) -> PageOut[RunOut]:
    """The runs linked to the case, sub-playbook runs included, oldest first."""
    require_case(tracker.database, case_id)
    return PageOut(items=[_out(row) for row in runs_of_case(tracker.database, case_id)], next=None)
