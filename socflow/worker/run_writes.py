"""The rows a run transaction writes: the hot insert and update statements, gathered and executed in bulk."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import Connection, Table, bindparam, func, update
from sqlalchemy.orm import Session

from socflow.storage.tables import UTCDateTime
from socflow.storage.tables_runs import RunJournalRow, RunRow, StepAttemptRow
from socflow.worker.run_rows import write_many
from socflow.worker.run_store import OPEN, AttemptStatus, Lease

if TYPE_CHECKING:
    from socflow.worker.run_batch import LiveRun

RUNS: Final = cast(Table, RunRow.__table__)
ATTEMPTS: Final = cast(Table, StepAttemptRow.__table__)
JOURNAL: Final = cast(Table, RunJournalRow.__table__)

_INSERT_ATTEMPTS = ATTEMPTS.insert()
_INSERT_JOURNAL = JOURNAL.insert()
INSERT_RUN: Final = RUNS.insert()
_LEASE = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("b_id"))
    .values(
        status=AttemptStatus.LEASED.value,
        leases=ATTEMPTS.c.leases + 1,
        lease_owner=bindparam("b_owner"),
        lease_expires_at=bindparam("b_expires"),
        started_at=func.coalesce(ATTEMPTS.c.started_at, bindparam("b_at", type_=UTCDateTime())),
    )
)
_FINISH = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        output=bindparam("b_output"),
        error=bindparam("b_error"),
        error_code=bindparam("b_code"),
        finished_at=bindparam("b_at"),
        lease_expires_at=None,
    )
)
_PARK = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("b_id"))
    .values(
        status=AttemptStatus.WAITING.value,
        output=bindparam("b_output"),
        lease_owner=None,
        lease_expires_at=None,
    )
)
_RETURN = (  # a lease given back unexecuted: the attempt is due again at once
    update(ATTEMPTS)
    .where(
        ATTEMPTS.c.id == bindparam("b_id"),
        ATTEMPTS.c.status == AttemptStatus.LEASED.value,
        ATTEMPTS.c.lease_owner == bindparam("b_owner"),
        ATTEMPTS.c.leases == bindparam("b_number"),
    )
    .values(status=AttemptStatus.PENDING.value, lease_owner=None, lease_expires_at=None)
)
_CLOSE = (
    update(ATTEMPTS)
    .where(
        ATTEMPTS.c.idempotency_key == bindparam("b_key"),
        ATTEMPTS.c.attempt == bindparam("b_attempt"),
        ATTEMPTS.c.status.in_(OPEN),
    )
    .values(
        status=bindparam("b_status"), finished_at=bindparam("b_at"), lease_owner=None, lease_expires_at=None
    )
)
_SAVE_RUN = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        status=bindparam("b_status"),
        updated_at=bindparam("b_at"),
        version=RUNS.c.version + 1,
    )
)


class Writes:
    """The rows one transaction changes, written with one executemany per kind of statement."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.journal: list[dict[str, Any]] = []
        self.leases: list[dict[str, Any]] = []
        self.finished: list[dict[str, Any]] = []
        self.parked: list[dict[str, Any]] = []
        self.returned: list[dict[str, Any]] = []
        self.closed: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []

    def entry(self, run: LiveRun, kind: str, actor: str | None = None, /, **data: Any) -> None:
        self.journal.append(
            {"run_id": run.id, "seq": run.next_seq, "at": self.at, "kind": kind, "actor": actor, "data": data}
        )
        run.next_seq += 1

    def flush(self, session: Session) -> None:
        connection: Connection = session.connection()
        for statement, params in (
            (_LEASE, self.leases),
            (_FINISH, self.finished),
            (_PARK, self.parked),
            (_RETURN, self.returned),
            (_CLOSE, self.closed),
            (_SAVE_RUN, self.runs),
        ):
            write_many(connection, statement, params)
        for columns in {frozenset(values) for values in self.created}:
            same = [values for values in self.created if frozenset(values) == columns]
            write_many(connection, _INSERT_ATTEMPTS, same)
        write_many(connection, _INSERT_JOURNAL, self.journal)
        for batch in (
            self.leases,
            self.finished,
            self.parked,
            self.returned,
            self.closed,
            self.created,
            self.runs,
            self.journal,
        ):
            batch.clear()


def give_back(writes: Writes, lease: Lease) -> None:
    """Return a lease not executed (its wave ran long): the attempt is pending again, if still ours."""
    writes.returned.append({"b_id": lease.attempt_id, "b_owner": lease.owner, "b_number": lease.number})
