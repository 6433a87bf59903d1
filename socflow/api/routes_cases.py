"""Case routes: creation, listing, edits, the NIST lifecycle, tiers, assignment, merging, the timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from socflow.api.auth import Actor
from socflow.api.concurrency import IfMatch, expected_version, set_etag
from socflow.api.context import API_PREFIX, TrackerDep
from socflow.api.schemas_alerts import AlertOut, AlertPageParams
from socflow.api.schemas_audit import AuditEntryOut
from socflow.api.schemas_cases import (
    AssignIn,
    AttachIn,
    CaseIn,
    CaseListParams,
    CaseOut,
    CasePatch,
    EscalateIn,
    MergeIn,
    TransitionIn,
)
from socflow.api.schemas_common import PageOut
from socflow.storage.tables import CaseRow
from socflow.worker.run_control import with_run_entries

router = APIRouter(prefix="/cases", tags=["cases"])


def _case(row: CaseRow, response: Response) -> CaseOut:
    set_etag(response, row.version)
    return CaseOut.from_row(row)


@router.post("", status_code=201)
def create_case(body: CaseIn, actor: Actor, tracker: TrackerDep, response: Response) -> CaseOut:
    row = tracker.cases.create(actor, body.to_input())
    response.headers["Location"] = f"{API_PREFIX}/cases/{row.id}"
    return _case(row, response)


@router.get("")
def list_cases(params: Annotated[CaseListParams, Query()], tracker: TrackerDep) -> PageOut[CaseOut]:
    page = tracker.cases.search(params.to_list_query())
    return PageOut(items=[CaseOut.from_row(row) for row in page.items], next=page.next)


@router.get("/{case_id}")
def get_case(case_id: str, tracker: TrackerDep, response: Response) -> CaseOut:
    return _case(tracker.cases.get(case_id), response)


@router.patch("/{case_id}")
def update_case(
    case_id: str, body: CasePatch, actor: Actor, tracker: TrackerDep, if_match: IfMatch, response: Response
) -> CaseOut:
    row = tracker.cases.update(
        actor,
        case_id,
        changes=body.changes(),
        add_tags=body.add_tags,
        remove_tags=body.remove_tags,
        expected_version=expected_version(body.version, if_match),
    )
    return _case(row, response)


@router.post("/{case_id}/transition")
def transition_case(
    case_id: str, body: TransitionIn, actor: Actor, tracker: TrackerDep, if_match: IfMatch, response: Response
) -> CaseOut:
    """Move the case along its lifecycle; a move the table does not allow is a 409 naming the allowed ones."""
    row = tracker.cases.transition(
        actor,
        case_id,
        body.to,
        reason=body.reason,
        resolution=body.resolution,
        expected_version=expected_version(body.version, if_match),
    )
    return _case(row, response)


@router.post("/{case_id}/assign")
def assign_case(
    case_id: str, body: AssignIn, actor: Actor, tracker: TrackerDep, if_match: IfMatch, response: Response
) -> CaseOut:
    row = tracker.cases.assign(
        actor, case_id, body.assignee, expected_version=expected_version(body.version, if_match)
    )
    return _case(row, response)


@router.post("/{case_id}/escalate")
def escalate_case(
    case_id: str, body: EscalateIn, actor: Actor, tracker: TrackerDep, if_match: IfMatch, response: Response
) -> CaseOut:
    """Move the case to another tier (up or down) with a reason, optionally handing it to someone."""
    row = tracker.cases.escalate(
        actor,
        case_id,
        body.tier,
        reason=body.reason,
        assignee=body.assignee,
        expected_version=expected_version(body.version, if_match),
    )
    return _case(row, response)


@router.post("/{case_id}/merge")
def merge_cases(
    case_id: str, body: MergeIn, actor: Actor, tracker: TrackerDep, response: Response
) -> CaseOut:
    """Fold the listed cases into this one: alerts, observables, tasks, comments and evidence move."""
    return _case(tracker.linking.merge(actor, case_id, body.case_ids, body.reason), response)


@router.post("/{case_id}/alerts")
def attach_alerts(
    case_id: str, body: AttachIn, actor: Actor, tracker: TrackerDep, response: Response
) -> CaseOut:
    """Attach alerts to the case; their observables join it."""
    return _case(tracker.linking.attach(actor, body.alert_ids, case_id), response)


@router.get("/{case_id}/alerts")
def case_alerts(
    case_id: str, params: Annotated[AlertPageParams, Query()], tracker: TrackerDep
) -> PageOut[AlertOut]:
    tracker.cases.get(case_id)  # 404 for an unknown case rather than an empty list
    page = tracker.alerts.search(params.list_query(extra={"case_id": case_id}))
    return PageOut(items=[AlertOut.from_row(row) for row in page.items], next=page.next)


@router.get("/{case_id}/timeline")
def case_timeline(case_id: str, tracker: TrackerDep) -> PageOut[AuditEntryOut]:
    """Every journal entry about the case, its tasks, its comments and its playbook runs, oldest first."""
    entries = with_run_entries(tracker.database, case_id, tracker.cases.timeline(case_id))
    return PageOut(items=[AuditEntryOut.from_row(row) for row in entries])
