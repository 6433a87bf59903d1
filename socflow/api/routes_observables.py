"""Observable routes: a case's observables (with how many other cases share each) and the indicator store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from socflow.api.auth import Actor
from socflow.api.concurrency import IfMatch, expected_version, set_etag
from socflow.api.context import TrackerDep
from socflow.api.schemas_common import PageOut
from socflow.api.schemas_observables import (
    CaseObservableOut,
    ObservableDetailOut,
    ObservableListParams,
    ObservableOut,
    ObservablePatch,
    ObservablesAddIn,
)
from socflow.cases.tracker import Tracker

router = APIRouter(tags=["observables"])


def _case_observables(tracker: Tracker, case_id: str) -> PageOut[CaseObservableOut]:
    links = tracker.cases.observables(case_id)
    return PageOut(items=[CaseObservableOut.from_link(link, others) for link, others in links])


@router.get("/cases/{case_id}/observables")
def list_case_observables(case_id: str, tracker: TrackerDep) -> PageOut[CaseObservableOut]:
    return _case_observables(tracker, case_id)


@router.post("/cases/{case_id}/observables")
def add_case_observables(
    case_id: str, body: ObservablesAddIn, actor: Actor, tracker: TrackerDep
) -> PageOut[CaseObservableOut]:
    """Add observables to the case (known ones are linked, not duplicated); returns all of its observables."""
    tracker.cases.add_observables(actor, case_id, [item.to_input() for item in body.observables])
    return _case_observables(tracker, case_id)


@router.delete("/cases/{case_id}/observables/{observable_id}", status_code=204)
def remove_case_observable(case_id: str, observable_id: str, actor: Actor, tracker: TrackerDep) -> None:
    """Unlink the observable from the case; the observable itself stays for other alerts and cases."""
    tracker.observables.get(observable_id)  # 404 for an unknown observable, 422 when merely not linked
    tracker.cases.remove_observable(actor, case_id, observable_id)


@router.get("/observables")
def list_observables(
    params: Annotated[ObservableListParams, Query()], tracker: TrackerDep
) -> PageOut[ObservableOut]:
    """Observables, last seen first; with `type`, `value` is matched in its canonical form."""
    page = tracker.observables.search(
        type=params.type, value=params.value, ioc=params.ioc, limit=params.limit, cursor=params.cursor
    )
    return PageOut(items=[ObservableOut.model_validate(row) for row in page.items], next=page.next)


@router.get("/observables/{observable_id}")
def get_observable(observable_id: str, tracker: TrackerDep, response: Response) -> ObservableDetailOut:
    row, cases = tracker.observables.get(observable_id)
    set_etag(response, row.version)
    return ObservableDetailOut.from_row(row, cases)


@router.patch("/observables/{observable_id}")
def update_observable(
    observable_id: str,
    body: ObservablePatch,
    actor: Actor,
    tracker: TrackerDep,
    if_match: IfMatch,
    response: Response,
) -> ObservableDetailOut:
    tracker.observables.update(
        actor,
        observable_id,
        ioc=body.ioc,
        description=body.description,
        tlp=body.tlp,
        expected_version=expected_version(body.version, if_match),
    )
    row, cases = tracker.observables.get(observable_id)
    set_etag(response, row.version)
    return ObservableDetailOut.from_row(row, cases)
