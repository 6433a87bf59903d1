"""Alert routes: upsert intake, listing, edits, status moves, history, and promotion to a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from socflow.api.auth import Actor
from socflow.api.concurrency import IfMatch, expected_version, set_etag
from socflow.api.context import API_PREFIX, TrackerDep
from socflow.api.schemas_alerts import (
    AlertIn,
    AlertListParams,
    AlertOut,
    AlertPatch,
    AlertStatusIn,
    PromoteIn,
)
from socflow.api.schemas_audit import AuditEntryOut
from socflow.api.schemas_cases import CaseOut
from socflow.api.schemas_common import PageOut
from socflow.storage import audit

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.post(
    "",
    status_code=201,
    responses={
        200: {"model": AlertOut, "description": "An alert with this source and source_ref was updated"}
    },
)
def ingest_alert(body: AlertIn, actor: Actor, tracker: TrackerDep, response: Response) -> AlertOut:
    """Create an alert, or update and count the one the source sent before (same source_ref)."""
    row, created = tracker.alerts.ingest(actor, body.to_input())
    if created:
        response.headers["Location"] = f"{API_PREFIX}/alerts/{row.id}"
    else:
        response.status_code = 200
    set_etag(response, row.version)
    return AlertOut.from_row(row)


@router.get("")
def list_alerts(params: Annotated[AlertListParams, Query()], tracker: TrackerDep) -> PageOut[AlertOut]:
    page = tracker.alerts.search(params.to_list_query())
    return PageOut(items=[AlertOut.from_row(row) for row in page.items], next=page.next)


@router.get("/{alert_id}")
def get_alert(alert_id: str, tracker: TrackerDep, response: Response) -> AlertOut:
    row = tracker.alerts.get(alert_id)
    set_etag(response, row.version)
    return AlertOut.from_row(row)


@router.patch("/{alert_id}")
def update_alert(
    alert_id: str, body: AlertPatch, actor: Actor, tracker: TrackerDep, if_match: IfMatch, response: Response
) -> AlertOut:
    row = tracker.alerts.update(
        actor,
        alert_id,
        title=body.title,
        description=body.description,
        severity=body.severity,
        tlp=body.tlp,
        pap=body.pap,
        add_tags=body.add_tags,
        remove_tags=body.remove_tags,
        expected_version=expected_version(body.version, if_match),
    )
    set_etag(response, row.version)
    return AlertOut.from_row(row)


@router.post("/{alert_id}/status")
def set_alert_status(
    alert_id: str,
    body: AlertStatusIn,
    actor: Actor,
    tracker: TrackerDep,
    if_match: IfMatch,
    response: Response,
) -> AlertOut:
    row = tracker.alerts.set_status(
        actor, alert_id, body.to, body.reason, expected_version(body.version, if_match)
    )
    set_etag(response, row.version)
    return AlertOut.from_row(row)


@router.post("/{alert_id}/promote", status_code=201)
def promote_alert(
    alert_id: str, actor: Actor, tracker: TrackerDep, response: Response, body: PromoteIn | None = None
) -> CaseOut:
    """Open a new case from the alert; its title, severity, labels, tags and observables carry over."""
    body = body or PromoteIn()
    case = tracker.linking.promote(actor, alert_id, title=body.title, assignee=body.assignee)
    response.headers["Location"] = f"{API_PREFIX}/cases/{case.id}"
    set_etag(response, case.version)
    return CaseOut.from_row(case)


@router.get("/{alert_id}/history")
def alert_history(alert_id: str, tracker: TrackerDep) -> PageOut[AuditEntryOut]:
    """Every journal entry about the alert, oldest first."""
    tracker.alerts.get(alert_id)  # 404 for an unknown alert rather than an empty history
    with tracker.database.session(write=False) as session:
        rows = audit.entries_for(session, "alert", alert_id)
        return PageOut(items=[AuditEntryOut.from_row(row) for row in rows])
