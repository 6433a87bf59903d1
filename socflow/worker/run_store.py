"""A run's rows follow its conductor: attempt rows mirror the work it waits on; the journal only grows."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socflow.errors import NotFound
from socflow.playbooks.conductor import Conductor, next_due
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import RunStatus
from socflow.storage.tables_playbooks import PlaybookVersionRow
from socflow.storage.tables_runs import RunJournalRow, RunRow, StepAttemptRow
from socflow.worker.catalogue import graph_of


class AttemptStatus(StrEnum):
    PENDING = "pending"  # ready for a worker once `not_before` has passed
    LEASED = "leased"  # a worker holds it until `lease_expires_at`; then anyone may take it again
    WAITING = "waiting"  # people or an outside event answer it through `signal`
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the conductor stopped waiting for it (run cancelled, branch abandoned)


OPEN: Final = (AttemptStatus.PENDING.value, AttemptStatus.LEASED.value, AttemptStatus.WAITING.value)
# Work nobody executes: it waits for a signal. A timer is pending until due, then fires.
ANSWERED_BY_SIGNAL: Final = frozenset({WorkKind.HUMAN_TASK, WorkKind.APPROVAL, WorkKind.WAIT_EVENT})
WORK_KINDS: Final = {kind.value: kind for kind in WorkKind}  # a dict lookup, cheaper than WorkKind(...)
# Runs whose pending attempts a worker may take; a paused run keeps its attempts until resumed.
ACTIVE_RUNS: Final = (RunStatus.RUNNING.value, RunStatus.WAITING.value)


class Journal:
    """Appends numbered entries to one run's journal inside the caller's transaction."""

    def __init__(self, session: Session, run_id: str, at: datetime, actor: str | None = None) -> None:
        self.session, self.run_id, self.at, self.actor = session, run_id, at, actor
        last = session.scalar(select(func.max(RunJournalRow.seq)).where(RunJournalRow.run_id == run_id))
        self._next = (last or 0) + 1

    def add(self, entry_kind: str, /, **data: Any) -> None:
        entry = RunJournalRow(
            run_id=self.run_id, seq=self._next, at=self.at, kind=entry_kind, actor=self.actor, data=data
        )
        self.session.add(entry)
        self._next += 1


@dataclass(frozen=True)
class Lease:
    """One attempt handed to one worker; `number` tells this lease from an earlier, expired one."""

    attempt_id: int
    run_id: str
    step_id: str
    attempt: int
    kind: WorkKind
    name: str
    args: dict[str, Any]
    idempotency_key: str
    number: int
    owner: str
    timeout: float | None = None  # the step's `timeout` in seconds, if it has one


def conductor_of(session: Session, run: RunRow) -> Conductor:
    """The run's conductor, rebuilt from the stored state (a copy: the row changes only on save)."""
    version = session.get(PlaybookVersionRow, run.version_id)
    if version is None:
        raise NotFound(f"run {run.id!r} follows version {run.version_id!r}, which is gone")
    return Conductor(graph_of(version), copy.deepcopy(run.state))


def save(session: Session, run: RunRow, conductor: Conductor, journal: Journal, at: datetime) -> None:
    """Store the conductor's state and status, and make the attempt rows match its work."""
    before = run.status
    run.state = copy.deepcopy(conductor.state)
    run.status = conductor.status.value
    run.updated_at = at
    _sync_attempts(session, run.id, conductor.state, journal, at)
    if run.status != before:
        journal.add("run_status", before=before, after=run.status, outcome=conductor.state.get("outcome"))


def _sync_attempts(
    session: Session, run_id: str, state: dict[str, Any], journal: Journal, at: datetime
) -> None:
    work: dict[str, dict[str, Any]] = state.get("work", {})
    live = {(w["idempotency_key"], w["attempt"]) for w in work.values()}
    rows = session.scalars(
        select(StepAttemptRow).where(StepAttemptRow.run_id == run_id, StepAttemptRow.status.in_(OPEN))
    ).all()
    known = set()
    for row in rows:
        known.add((row.idempotency_key, row.attempt))
        if (row.idempotency_key, row.attempt) in live:
            continue
        # The conductor no longer waits on it: a signal decided it, or the run or branch dropped it.
        outcome = state.get("steps", {}).get(row.step_id, {}).get("status")
        row.status = (
            AttemptStatus.SUCCEEDED.value
            if outcome == "succeeded"
            else AttemptStatus.FAILED.value
            if outcome in ("failed", "rejected", "expired")
            else AttemptStatus.CANCELLED.value
        )
        row.finished_at = at
        row.lease_owner, row.lease_expires_at = None, None
        journal.add("step_closed", step=row.step_id, attempt=row.attempt, status=row.status)
    for item in work.values():
        if (item["idempotency_key"], item["attempt"]) in known:
            continue
        session.add(_new_attempt(run_id, item, at))
        journal.add(
            "step_ready",
            step=item["step_id"],
            attempt=item["attempt"],
            kind=item["kind"],
            name=item["name"],
            key=item["idempotency_key"],
        )


def _new_attempt(run_id: str, item: dict[str, Any], at: datetime) -> StepAttemptRow:
    return StepAttemptRow(**attempt_values(run_id, item, at))


def attempt_values(run_id: str, item: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The columns of a new attempt row for one of the conductor's work items."""
    kind = WORK_KINDS.get(item["kind"]) or WorkKind(item["kind"])
    waiting = kind in ANSWERED_BY_SIGNAL
    due = next_due(item) if waiting else None
    if item.get("due_at") and kind is WorkKind.WAIT_TIMER:
        not_before = datetime.fromisoformat(item["due_at"])
    elif waiting:
        not_before = at  # since when it waits; the timekeeper fires its `due_at`
    else:
        not_before = at + timedelta(seconds=float(item.get("delay") or 0.0))
    status = AttemptStatus.WAITING if waiting else AttemptStatus.PENDING
    return dict(
        run_id=run_id,
        step_id=item["step_id"],
        attempt=item["attempt"],
        kind=kind.value,
        name=str(item["name"])[:200],
        idempotency_key=item["idempotency_key"],
        status=status.value,
        not_before=not_before,
        leases=0,
        args=item["args"],
        due_at=None if due is None else datetime.fromisoformat(due),
        timeout_seconds=item.get("timeout"),
    )


def succeeded_output(session: Session, row: StepAttemptRow) -> dict[str, Any] | None:
    """The output of an earlier attempt under the same key that succeeded, if one did."""
    query = select(StepAttemptRow.output).where(
        StepAttemptRow.idempotency_key == row.idempotency_key,
        StepAttemptRow.status == AttemptStatus.SUCCEEDED.value,
        StepAttemptRow.id != row.id,
    )
    found = session.execute(query.limit(1)).first()
    return None if found is None else dict(found[0] or {})
