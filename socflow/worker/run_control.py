"""People's answers to waiting steps (approvals, human tasks, awaited events), and a case's runs."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select

from socflow.errors import Conflict, Issue, NotFound, ValidationFailed
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import Event
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.tables import AuditEntryRow, CaseRow
from socflow.storage.tables_runs import RunRow
from socflow.worker.runs import OBJECT_TYPE, RunService

# Steps people decide; a sub-playbook's step is decided by its child run, actions by their worker.
ANSWERABLE: Final = frozenset({WorkKind.APPROVAL.value, WorkKind.HUMAN_TASK.value, WorkKind.WAIT_EVENT.value})
MAX_ROLES: Final = 20


def check_roles(roles: list[str]) -> tuple[str, ...]:
    if len(roles) > MAX_ROLES:
        raise ValidationFailed(f"at most {MAX_ROLES} roles", issues=[Issue("roles", f"at most {MAX_ROLES}")])
    for index, role in enumerate(roles):
        if not isinstance(role, str) or not role.strip() or len(role) > 100:
            path = f"roles[{index}]"
            raise ValidationFailed(f"{path} must be 1 to 100 characters", issues=[Issue(path, "1 to 100")])
    return tuple(role.strip() for role in roles)


def answer(
    service: RunService,
    actor: str,
    run_id: str,
    step_id: str,
    decision: str,
    data: dict[str, Any] | None = None,
    roles: list[str] | None = None,
) -> RunRow:
    """Decide a waiting step: `approved`/`rejected` for an approval, any decision for a human task."""
    if not decision or not decision.strip() or len(decision) > 100:
        raise ValidationFailed("decision must be 1 to 100 characters", issues=[Issue("decision", "1 to 100")])
    checked = check_roles(roles or [])
    run = service.get(run_id)
    work = (run.state.get("work") or {}).get(step_id)
    if work is None:
        waiting = sorted(k for k, w in (run.state.get("work") or {}).items() if w["kind"] in ANSWERABLE)
        hint = f"; waiting for people: {', '.join(waiting)}" if waiting else ""
        raise Conflict(f"step {step_id!r} of run {run_id!r} is not waiting for a decision{hint}")
    if work["kind"] not in ANSWERABLE:
        raise Conflict(f"step {step_id!r} ({work['kind']}) is not decided by people")
    event = Event(decision.strip(), dict(data or {}), step_id=step_id, roles=checked)
    return service.signal(actor, run_id, event)


def runs_of_case(database: Database, case_id: str, limit: int = 500) -> list[RunRow]:
    """The runs linked to a case (sub-playbook runs included), oldest first."""
    query = (
        select(RunRow).where(RunRow.case_id == case_id).order_by(RunRow.created_at, RunRow.id).limit(limit)
    )
    with database.session(write=False) as session:
        return list(session.scalars(query))


def with_run_entries(database: Database, case_id: str, entries: list[AuditEntryRow]) -> list[AuditEntryRow]:
    """A case's timeline with the audit entries of its runs merged in, in journal order.

    Run entries say when a run started, was paused, resumed, cancelled or retried, who decided its
    approvals and tasks, which case operations it applied, and how it finished.
    """
    run_ids = [run.id for run in runs_of_case(database, case_id)]
    if not run_ids:
        return entries
    with database.session(write=False) as session:
        runs = audit.entries_for_many(session, [(OBJECT_TYPE, run_id) for run_id in run_ids])
    seen = {entry.seq for entry in entries}
    return sorted([*entries, *(entry for entry in runs if entry.seq not in seen)], key=lambda e: e.seq)


def require_case(database: Database, case_id: str) -> None:
    """404 unless the case exists (a run may only be linked to a real case)."""
    with database.session(write=False) as session:
        if session.get(CaseRow, case_id) is None:
            raise NotFound(f"case {case_id!r} does not exist", details={"object": "case", "id": case_id})
