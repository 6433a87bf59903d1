"""Intake routes: POST events (202 once committed), dead letters, counters, and Prometheus /metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from socflow.api.intake_state import IntakeDep
from socflow.api.schemas_common import Cursor, Limit, PageOut
from socflow.api.schemas_events import DeadLetterOut, IngestAccepted, IntakeStatsOut, ListenerStats
from socflow.errors import Issue, ValidationFailed
from socflow.ingest.bodies import records_from_body
from socflow.normalize import canonical
from socflow.normalize.registry import PARSERS

router = APIRouter(prefix="/ingest", tags=["intake"])
metrics_router = APIRouter(tags=["intake"])
INGEST_PATH: Final = "/ingest/events"

_BODY_DOC: Final = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"description": "One JSON object or an array of objects/lines"}},
            "application/x-ndjson": {"schema": {"type": "string", "description": "One JSON object per line"}},
            "text/plain": {"schema": {"type": "string", "description": "One log line per line"}},
        },
    }
}


def _check_format(name: str) -> str:
    if name != "auto" and name not in PARSERS:
        known = ", ".join(["auto", *PARSERS.names()])
        raise ValidationFailed(
            f"unknown format {name!r}; choose one of: {known}",
            issues=[Issue("query.format", "unknown parser")],
        )
    return name


def _check_zone(name: str | None) -> str | None:
    try:
        canonical.zone(name)
    except ValueError as exc:
        raise ValidationFailed(str(exc), issues=[Issue("query.timezone", str(exc))]) from None
    return name


@router.post("/events", status_code=202, openapi_extra=_BODY_DOC)
async def ingest_events(
    request: Request,
    intake: IntakeDep,
    format: Annotated[str, Query(max_length=100, description="Parser name, or auto")] = "auto",
    timezone: Annotated[str | None, Query(max_length=64, description="Sender's IANA zone")] = None,
) -> IngestAccepted:
    """Store a batch of events; 202 is answered only after the batch is committed."""
    body = await request.body()
    origin = f"{request.client.host}:{request.client.port}" if request.client else "unknown"
    records = records_from_body(
        body,
        request.headers.get("content-type"),
        origin=origin,
        received_at=datetime.now(UTC),
        format=_check_format(format),
        timezone=_check_zone(timezone),
        max_message_bytes=intake.max_message_bytes,
    )
    intake.stats.add("http", received=len(records))
    stored = await run_in_threadpool(intake.pipeline.process, records)
    return IngestAccepted(stored=stored)


@router.get("/errors")
def list_dead_letters(
    intake: IntakeDep, limit: Limit = 50, cursor: Cursor | None = None
) -> PageOut[DeadLetterOut]:
    """Dead letters, newest first: what could not become an event, with the reason and raw bytes."""
    rows, next_cursor = intake.store.dead_letters(limit=limit, cursor=cursor)
    return PageOut(items=[DeadLetterOut.from_row(row) for row in rows], next=next_cursor)


@router.get("/stats")
def intake_stats(intake: IntakeDep) -> IntakeStatsOut:
    """Counters per listener summed over every socflow process (API, `ingest serve`, file imports)."""
    shared = intake.shared
    snapshot = shared.snapshot() if shared is not None else intake.stats.snapshot()
    depth = shared.queue_depth() if shared is not None else intake.stats.queue_depth
    listeners = {name: ListenerStats(**counts) for name, counts in snapshot.items()}
    return IntakeStatsOut(listeners=listeners, queue_depth=depth, ports=intake.ports)


@metrics_router.get("/metrics", response_class=Response)
def metrics(intake: IntakeDep) -> Response:
    """Prometheus text exposition of the intake counters, summed over every socflow process."""
    registry = intake.shared.registry() if intake.shared is not None else intake.stats.registry()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
