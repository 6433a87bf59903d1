"""Batched run persistence: one transaction leases or records many attempts through Core statements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, TypeAlias, cast

import orjson
from sqlalchemy import (
    BindParameter,
    Row,
    Table,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from socflow.errors import NotFound
from socflow.playbooks.conductor import Conductor
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import StepResult
from socflow.storage.tables_playbooks import PlaybookRow
from socflow.storage.tables_runs import RunJournalRow, RunRow, StepAttemptRow
from socflow.worker.run_cache import StateCache, graph_for
from socflow.worker.run_store import ACTIVE_RUNS, OPEN, WORK_KINDS, AttemptStatus, Lease, attempt_values
from socflow.worker.run_writes import INSERT_RUN as INSERT_RUN  # re-exported for the engine modules
from socflow.worker.run_writes import Writes as Writes
from socflow.worker.run_writes import give_back as give_back

StoredRow: TypeAlias = Row[Any, *tuple[Any, ...]]  # a row read with Core: fields by name

RUNS: Final = cast(Table, RunRow.__table__)
ATTEMPTS: Final = cast(Table, StepAttemptRow.__table__)
JOURNAL: Final = cast(Table, RunJournalRow.__table__)

_IDS: Final[BindParameter[Any]] = bindparam("ids", expanding=True)
_LAST_SEQ = (
    select(func.coalesce(func.max(JOURNAL.c.seq), 0)).where(JOURNAL.c.run_id == RUNS.c.id).scalar_subquery()
)
_RUN_COLUMNS = (RUNS.c.id, RUNS.c.playbook_id, RUNS.c.version_id, RUNS.c.status, RUNS.c.version)
# SQLite: the writer holds the whole database (BEGIN IMMEDIATE), so one statement reads the runs and
# their last journal seq. PostgreSQL (READ COMMITTED): a statement that waited for a row lock returns the
# row as re-read after the wait, but a subquery in it still sees the statement's older snapshot, so the
# last seq is read by a second statement once the locks are held (issue 4: duplicate run_journal keys).
_LOAD_RUNS = select(*_RUN_COLUMNS, _LAST_SEQ).where(RUNS.c.id.in_(_IDS)).order_by(RUNS.c.id)
_LOCK_ONLY = select(*_RUN_COLUMNS).where(RUNS.c.id.in_(_IDS)).order_by(RUNS.c.id)
_LOCK_RUNS = _LOCK_ONLY.with_for_update(of=RUNS)
_LOCK_FREE_RUNS = _LOCK_ONLY.with_for_update(of=RUNS, skip_locked=True)
_LAST_SEQS = (
    select(JOURNAL.c.run_id, func.max(JOURNAL.c.seq))
    .where(JOURNAL.c.run_id.in_(_IDS))
    .group_by(JOURNAL.c.run_id)
)
_PUBLISHED = select(PlaybookRow.published_version_id).where(PlaybookRow.id == bindparam("playbook_id"))
# JSON read as the stored text and decoded by orjson (`from_json`), not by SQLAlchemy's json.loads.
_LOAD_STATES = select(RUNS.c.id, type_coerce(RUNS.c.state, Text)).where(RUNS.c.id.in_(_IDS))
_ATTEMPT_NAMES = ("id", "run_id", "step_id", "attempt", "kind", "name", "args", "idempotency_key", "status")
_LEASE_NAMES = ("not_before", "leases", "lease_owner", "lease_expires_at", "timeout_seconds")
_ATTEMPT_COLUMNS = tuple(
    type_coerce(ATTEMPTS.c[name], Text).label(name) if name == "args" else ATTEMPTS.c[name]
    for name in (*_ATTEMPT_NAMES, *_LEASE_NAMES)
)
_LOAD_ATTEMPTS = select(*_ATTEMPT_COLUMNS).where(ATTEMPTS.c.id.in_(_IDS)).order_by(ATTEMPTS.c.id)
_LOCK_ATTEMPTS = _LOAD_ATTEMPTS.with_for_update(of=ATTEMPTS)
_LOCK_LEASED = (  # what recording a result checks: no arguments to decode
    select(*(c for c in _ATTEMPT_COLUMNS if c.key != "args"))
    .where(ATTEMPTS.c.id.in_(_IDS))
    .order_by(ATTEMPTS.c.id)
    .with_for_update(of=ATTEMPTS)
)
_OPEN_ATTEMPTS = select(ATTEMPTS.c.idempotency_key, ATTEMPTS.c.attempt, ATTEMPTS.c.step_id).where(
    ATTEMPTS.c.run_id == bindparam("run_id"), ATTEMPTS.c.status.in_(OPEN)
)
# Due attempts, read from the attempts' (status, not_before) index in its order; a correlated check
# of the run's status keeps the planner from scanning every run (a join let SQLite do that).
_ACTIVE_RUN = (
    select(RUNS.c.id)
    .where(RUNS.c.id == ATTEMPTS.c.run_id, or_(*(RUNS.c.status == status for status in ACTIVE_RUNS)))
    .exists()
)
_PENDING_DUE = and_(
    ATTEMPTS.c.status == AttemptStatus.PENDING.value, ATTEMPTS.c.not_before <= bindparam("at")
)
_LEASE_EXPIRED = and_(
    ATTEMPTS.c.status == AttemptStatus.LEASED.value, ATTEMPTS.c.lease_expires_at <= bindparam("at")
)
_READY_COLUMNS = (ATTEMPTS.c.id, ATTEMPTS.c.run_id, ATTEMPTS.c.not_before)
_READY = tuple(
    select(*_READY_COLUMNS)
    .where(due, _ACTIVE_RUN)
    .order_by(ATTEMPTS.c.not_before, ATTEMPTS.c.id)
    .limit(bindparam("limit"))
    for due in (_PENDING_DUE, _LEASE_EXPIRED)
)
_READY_OF_RUN = tuple(query.where(ATTEMPTS.c.run_id == bindparam("run_id")) for query in _READY)
Identity = tuple[str, int]  # (idempotency key, attempt number): one attempt row


def work_steps(state: dict[str, Any]) -> dict[Identity, str]:
    """The attempts a state waits on, with their steps."""
    return {(w["idempotency_key"], w["attempt"]): w["step_id"] for w in state.get("work", {}).values()}


@dataclass
class LiveRun:
    """One run loaded (and locked) in this transaction; its state is this transaction's own copy."""

    id: str
    playbook_id: str
    version_id: str
    status: str
    version: int  # the row's version counter; a save adds one
    next_seq: int
    state: dict[str, Any] | None = None  # None when only leased: leasing needs no state
    open_steps: dict[Identity, str] | None = None  # the attempts open in storage, when known
    conductor: Conductor | None = None
    recorded: set[Identity] = field(default_factory=set)

    def conductor_in(self, session: Session) -> Conductor:
        if self.conductor is None:
            if self.state is None:
                raise ValueError(f"run {self.id!r} was loaded without its state")
            if self.open_steps is None:
                self.open_steps = work_steps(self.state)  # save() keeps open attempts == work items
            self.conductor = Conductor(graph_for(session, self.version_id), self.state)
        return self.conductor


def from_json(value: Any) -> dict[str, Any]:
    """A JSON object column read as text (SQLite) or already decoded by the driver (psycopg)."""
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    return dict(value or {})


def published_version_id(session: Session, playbook_id: str) -> str:
    """The version a new run of the playbook follows (NotFound when there is none)."""
    found = session.connection().execute(_PUBLISHED, {"playbook_id": playbook_id}).first()
    if found is None:
        details = {"object": "playbook", "id": playbook_id}
        raise NotFound(f"playbook {playbook_id!r} does not exist", details=details)
    if found[0] is None:
        raise NotFound(
            f"playbook {playbook_id!r} has no published version",
            details={"object": "playbook_version", "playbook": playbook_id},
        )
    return str(found[0])


def load_runs(
    session: Session,
    run_ids: Iterable[str],
    *,
    lock: bool,
    skip_locked: bool = False,
    states: StateCache | None = None,
) -> dict[str, LiveRun]:
    """The runs by id, locked in id order (PostgreSQL) so that writers never deadlock on them.

    With `states`, each run comes with its state: from the cache when it holds the row's version,
    else read (and decoded) from storage. Without, the runs come without state (enough to lease).
    """
    connection = session.connection()
    ids = sorted(set(run_ids))
    if not lock or connection.dialect.name == "sqlite":
        rows = connection.execute(_LOAD_RUNS, {"ids": ids})
        runs = {row[0]: LiveRun(row[0], row[1], row[2], row[3], row[4], int(row[5]) + 1) for row in rows}
    else:
        rows = connection.execute(_LOCK_FREE_RUNS if skip_locked else _LOCK_RUNS, {"ids": ids})
        runs = {row[0]: LiveRun(row[0], row[1], row[2], row[3], row[4], 1) for row in rows}
        if runs:  # a new statement, so a new snapshot: it sees every entry committed before our locks
            for run_id, last in connection.execute(_LAST_SEQS, {"ids": list(runs)}):
                runs[run_id].next_seq = int(last) + 1
    if states is not None:
        missing = []
        for run in runs.values():
            run.state = states.take(run.id, run.version)
            if run.state is None:
                missing.append(run.id)
        if missing:
            for run_id, state in connection.execute(_LOAD_STATES, {"ids": missing}):
                runs[run_id].state = from_json(state)
    return runs


def load_attempts(
    session: Session, attempt_ids: Iterable[int], *, lock: bool, args: bool = True
) -> dict[int, StoredRow]:
    query = (_LOCK_ATTEMPTS if args else _LOCK_LEASED) if lock else _LOAD_ATTEMPTS
    rows = session.connection().execute(query, {"ids": sorted(set(attempt_ids))})
    return {row.id: row for row in rows}


def open_steps(session: Session, run_id: str) -> dict[Identity, str]:
    """The attempts storage has open for a run (an operator's move re-checks them all)."""
    rows = session.connection().execute(_OPEN_ATTEMPTS, {"run_id": run_id})
    return {(row[0], row[1]): row[2] for row in rows}


def is_due(row: StoredRow, run: LiveRun, at: datetime) -> bool:
    if run.status not in ACTIVE_RUNS:
        return False
    if row.status == AttemptStatus.PENDING:
        return bool(row.not_before <= at)
    expires = row.lease_expires_at
    return bool(row.status == AttemptStatus.LEASED and expires is not None and expires <= at)


def lease(
    writes: Writes, run: LiveRun, row: StoredRow, owner: str, lease_seconds: float, margin: float
) -> Lease:
    """Hand one due attempt to `owner` for its lease time plus the step's own timeout."""
    at = writes.at
    if row.status == AttemptStatus.LEASED:
        writes.entry(run, "lease_expired", step=row.step_id, attempt=row.attempt, owner=row.lease_owner)
    expires = at + timedelta(seconds=lease_seconds + float(row.timeout_seconds or 0.0) + margin)
    writes.leases.append({"b_id": row.id, "b_owner": owner, "b_expires": expires, "b_at": at})
    number = row.leases + 1  # no journal entry: the result's entry names the lease and its owner
    return Lease(
        attempt_id=row.id,
        run_id=row.run_id,
        step_id=row.step_id,
        attempt=row.attempt,
        kind=WORK_KINDS.get(row.kind) or WorkKind(row.kind),
        name=row.name,
        args=from_json(row.args),
        idempotency_key=row.idempotency_key,
        number=number,
        owner=owner,
        timeout=row.timeout_seconds,
    )


def ready_ids(session: Session, at: datetime, limit: int, run_id: str | None) -> Sequence[StoredRow]:
    """(attempt id, run id, not before) of the oldest attempts a worker may take now, read unlocked:
    pending and due, or leased with the lease expired."""
    params: dict[str, Any] = {"at": at, "limit": limit}
    if run_id is not None:
        params["run_id"] = run_id
    connection = session.connection()
    rows = [
        row for query in (_READY_OF_RUN if run_id else _READY) for row in connection.execute(query, params)
    ]
    rows.sort(key=lambda row: (row.not_before, row.id))
    return rows[:limit]


def finish(writes: Writes, run: LiveRun, row: StoredRow, result: StepResult) -> None:
    """Close the leased attempt with its result and tell the conductor (the caller saves the run)."""
    succeeded = result.status.value == AttemptStatus.SUCCEEDED.value
    status = AttemptStatus.SUCCEEDED if succeeded else AttemptStatus.FAILED
    writes.finished.append(
        {
            "b_id": row.id,
            "b_status": status.value,
            "b_output": result.output,
            "b_error": result.error,
            "b_code": result.error_code,
            "b_at": writes.at,
        }
    )
    run.recorded.add((row.idempotency_key, row.attempt))
    kind = "step_succeeded" if succeeded else "step_failed"
    writes.entry(
        run,
        kind,
        step=row.step_id,
        attempt=row.attempt,
        key=row.idempotency_key,
        lease=row.leases,
        owner=row.lease_owner,
        error=result.error,
        code=result.error_code,
    )


def save(writes: Writes, run: LiveRun, conductor: Conductor) -> bool:
    """Store the conductor's state and status and make the open attempts match its work.

    Returns True when the run's status changed (the caller runs its finishing hooks).
    """
    at = writes.at
    state = conductor.state
    work: dict[str, dict[str, Any]] = state.get("work", {})
    live = {(w["idempotency_key"], w["attempt"]): w for w in work.values()}
    known = run.open_steps if run.open_steps is not None else {}
    steps = state.get("steps", {})
    for key, attempt in sorted(known.keys() - live.keys() - run.recorded):
        step_id = known[(key, attempt)]
        # The conductor no longer waits on it: a signal decided it, or the run or branch dropped it.
        outcome = steps.get(step_id, {}).get("status")
        status = (
            AttemptStatus.SUCCEEDED
            if outcome == "succeeded"
            else AttemptStatus.FAILED
            if outcome in ("failed", "rejected", "expired")
            else AttemptStatus.CANCELLED
        )
        writes.closed.append({"b_key": key, "b_attempt": attempt, "b_status": status.value, "b_at": at})
        writes.entry(run, "step_closed", step=step_id, attempt=attempt, status=status.value)
    for identity, item in live.items():
        if identity in known:
            continue
        writes.created.append(attempt_values(run.id, item, at))
        writes.entry(
            run,
            "step_ready",
            step=item["step_id"],
            attempt=item["attempt"],
            kind=item["kind"],
            name=item["name"],
            key=item["idempotency_key"],
        )
    run.open_steps = {identity: item["step_id"] for identity, item in live.items()}
    run.recorded.clear()
    before, run.status = run.status, conductor.status.value
    writes.runs.append({"b_id": run.id, "b_state": state, "b_status": run.status, "b_at": at})
    run.version += 1
    if run.status != before:
        writes.entry(run, "run_status", before=before, after=run.status, outcome=state.get("outcome"))
        return True
    return False
