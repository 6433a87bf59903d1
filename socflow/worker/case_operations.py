"""The case_operation step: tag, set severity, transition, add observables or comment on the run's case.

Each operation runs through the case services inside one transaction that also writes a `run`
audit entry carrying the step's idempotency key; a retried attempt (after a crash, say) finds that
entry and returns the recorded result instead of changing the case a second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from socflow.cases.case_service import CaseService
from socflow.cases.notes import MAX_COMMENT, NoteService
from socflow.cases.observables import ObservableInput, ObservableService
from socflow.cases.uow import now
from socflow.errors import SocflowError, ValidationFailed
from socflow.model.severity import Severity
from socflow.playbooks.case_operation_args import (
    INVALID,
    choice_argument,
    given_arguments,
    observable_arguments,
    tag_arguments,
    text_argument,
    transition_arguments,
)
from socflow.playbooks.spec import CaseOperation
from socflow.playbooks.work import ResultStatus
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.tables import AuditEntryRow, CaseRow
from socflow.storage.tables_runs import RunRow
from socflow.worker.actors import run_actor
from socflow.worker.enlist import Enlisted
from socflow.worker.run_store import Lease
from socflow.worker.runs import Outcome

MARKER: Final = "case_operation"  # the run audit entry that records one applied operation
NO_CASE: Final = "no_case"


@dataclass(frozen=True)
class Target:
    """Where an operation applies: the services bound to the open transaction, the actor, the case."""

    cases: CaseService
    notes: NoteService
    observables: ObservableService
    actor: str
    case_id: str


def _add_tag(target: Target, args: dict[str, Any]) -> dict[str, Any]:
    tags = tag_arguments(args)
    before = {tag.tag for tag in target.cases.get(target.case_id).tag_rows}
    row = target.cases.update(target.actor, target.case_id, changes={}, add_tags=tags)
    after = sorted(tag.tag for tag in row.tag_rows)
    return {"tags": after, "added": [tag for tag in after if tag not in before]}


def _set_severity(target: Target, args: dict[str, Any]) -> dict[str, Any]:
    given = given_arguments("set_severity", args, {"severity"})
    severity = choice_argument("set_severity", Severity, given.get("severity"), "severity")
    before = target.cases.get(target.case_id).severity
    row = target.cases.update(target.actor, target.case_id, changes={"severity": severity})
    return {"severity": row.severity, "previous": before, "changed": before != row.severity}


def _transition(target: Target, args: dict[str, Any]) -> dict[str, Any]:
    status, chosen, reason = transition_arguments(args)
    current = target.cases.get(target.case_id)
    previous = current.status
    if previous == status and (chosen is None or current.resolution == chosen):
        return {"status": previous, "resolution": current.resolution, "changed": False}
    row = target.cases.transition(target.actor, target.case_id, status, reason=reason, resolution=chosen)
    return {"status": row.status, "resolution": row.resolution, "previous": previous, "changed": True}


def _add_observable(target: Target, args: dict[str, Any]) -> dict[str, Any]:
    kind, value, ioc, tlp = observable_arguments(args)
    item = ObservableInput(kind, value, ioc)
    row = target.cases.add_observables(target.actor, target.case_id, [item])
    (link,) = [
        link
        for link in row.observable_links
        if (link.observable.type, link.observable.value) == (str(item.type), item.value)
    ]
    observable = link.observable
    if tlp is not None and observable.tlp != str(tlp):
        observable = target.observables.update(target.actor, observable.id, tlp=tlp)
    return {
        "observable_id": observable.id,
        "kind": observable.type,
        "value": observable.value,
        "ioc": observable.ioc,
        "tlp": observable.tlp,
    }


def _comment(target: Target, args: dict[str, Any]) -> dict[str, Any]:
    given = given_arguments("comment", args, {"text"})
    text = text_argument("comment", given, "text", required=True, limit=MAX_COMMENT)
    row = target.notes.comment(target.actor, target.case_id, text)
    return {"comment_id": row.id}


OPERATIONS: Final[dict[str, Callable[[Target, dict[str, Any]], dict[str, Any]]]] = {
    CaseOperation.ADD_TAG.value: _add_tag,
    CaseOperation.SET_SEVERITY.value: _set_severity,
    CaseOperation.TRANSITION.value: _transition,
    CaseOperation.ADD_OBSERVABLE.value: _add_observable,
    CaseOperation.COMMENT.value: _comment,
}


def recorded(session: Session, run_id: str, key: str) -> dict[str, Any] | None:
    """The result of the operation already applied under `key` for this run, if there was one."""
    query = select(AuditEntryRow.after).where(
        AuditEntryRow.object_type == "run",
        AuditEntryRow.object_id == run_id,
        AuditEntryRow.action == MARKER,
    )
    for after in session.scalars(query):
        data = json.loads(after)
        if data.get("key") == key:
            return dict(data.get("result") or {})
    return None


class CaseOperations:
    """The performer for case_operation steps (`RunService.performers[WorkKind.CASE_OPERATION]`)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def __call__(self, lease: Lease) -> Outcome:
        operation = OPERATIONS.get(lease.name)
        if operation is None:
            names = ", ".join(OPERATIONS)
            return ResultStatus.FAILED, {}, f"unknown case operation {lease.name!r} ({names})", INVALID
        try:
            return self._apply(lease, operation)
        except ValidationFailed as exc:
            return ResultStatus.FAILED, {}, exc.message, INVALID
        except SocflowError as exc:
            return ResultStatus.FAILED, {}, f"case_operation {lease.name}: {exc.message}", exc.code

    def _apply(self, lease: Lease, operation: Callable[[Target, dict[str, Any]], dict[str, Any]]) -> Outcome:
        with self.database.session() as session:
            # The run's lock serialises two workers that both hold this attempt (an expired lease).
            run = session.get(RunRow, lease.run_id, with_for_update=True)
            if run is None:
                return ResultStatus.FAILED, {}, f"run {lease.run_id!r} is gone", "not_found"
            if run.case_id is None:
                message = f"case_operation {lease.name}: run {run.id!r} is not linked to a case"
                return ResultStatus.FAILED, {}, message, NO_CASE
            earlier = recorded(session, run.id, lease.idempotency_key)
            if earlier is not None:
                return ResultStatus.SUCCEEDED, earlier, None, None
            if session.get(CaseRow, run.case_id) is None:
                message = f"case_operation {lease.name}: case {run.case_id!r} does not exist"
                return ResultStatus.FAILED, {}, message, NO_CASE
            enlisted = Enlisted(session, self.database)
            actor = run_actor(run.playbook_id, run.id)
            # Comments never touch evidence files, so the notes service needs no evidence directory.
            notes = NoteService(enlisted, Path())
            target = Target(CaseService(enlisted), notes, ObservableService(enlisted), actor, run.case_id)
            output = {"case_id": run.case_id, "operation": lease.name, **operation(target, lease.args)}
            entry = audit.PendingEntry(
                actor=actor,
                object_type="run",
                object_id=run.id,
                action=MARKER,
                before={},
                after={
                    "key": lease.idempotency_key,
                    "step": lease.step_id,
                    "case_id": run.case_id,
                    "operation": lease.name,
                    "result": output,
                },
                at=now(),
            )
            session.flush()
            audit.append(session, [entry])
            return ResultStatus.SUCCEEDED, output, None, None
