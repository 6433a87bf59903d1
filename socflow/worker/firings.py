"""Trigger firings: claimed before the run starts, so an event never starts a playbook twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import structlog
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from socflow.errors import SocflowError
from socflow.storage.db import Database
from socflow.storage.tables_runs import RunRow
from socflow.storage.tables_triggers import TriggerFiringRow
from socflow.worker.runs import RunService

log = structlog.get_logger("socflow.triggers")

CAP_WINDOW: Final = timedelta(hours=1)
MAX_DETAIL: Final = 2000


class FiringStatus(StrEnum):
    CLAIMED = "claimed"  # the run is being started
    STARTED = "started"
    SUPPRESSED_LOOP = "suppressed_loop"
    SUPPRESSED_CAP = "suppressed_cap"
    FILTER_ERROR = "filter_error"
    FAILED = "failed"


COUNTED: Final = (FiringStatus.CLAIMED.value, FiringStatus.STARTED.value)


@dataclass
class Firing:
    """A decision to start (or a record of not starting) one playbook for one event."""

    playbook_id: str
    source: str
    kind: str
    subject: str | None
    trigger: dict[str, Any]
    status: FiringStatus = FiringStatus.CLAIMED
    detail: str | None = None
    cap: int | None = None
    case_id: str | None = None
    run_id: str | None = field(default=None)
    new_subject: bool = False  # the event created the subject (no earlier firing can count against it)

    @property
    def key(self) -> tuple[str, str]:
        return self.playbook_id, self.source


def recent_runs(session: Session, playbook_id: str, subject: str, since: datetime) -> int:
    """Runs of the playbook started (or being started) by triggers for this subject since `since`."""
    query = (
        select(func.count())
        .select_from(TriggerFiringRow)
        .where(
            TriggerFiringRow.playbook_id == playbook_id,
            TriggerFiringRow.subject == subject,
            TriggerFiringRow.fired_at >= since,
            TriggerFiringRow.status.in_(COUNTED),
        )
    )
    return int(session.scalar(query) or 0)


def claim(
    session: Session, firings: Sequence[Firing], at: datetime, *, unclaimed: bool = False
) -> list[Firing]:
    """Insert the firings not recorded before (applying each playbook's per-case cap); the new ones.

    Runs inside the caller's write transaction, so the records land together with its cursor move.
    `unclaimed`: the caller knows none of them can be recorded yet (no look-up needed).
    """
    if not firings:
        return []
    existing: set[tuple[str, str]] = set()
    if not unclaimed:
        keys = {f.key for f in firings}
        query = select(TriggerFiringRow.playbook_id, TriggerFiringRow.source).where(
            TriggerFiringRow.playbook_id.in_({k[0] for k in keys}),
            TriggerFiringRow.source.in_({k[1] for k in keys}),
        )
        existing = {(row[0], row[1]) for row in session.execute(query)}
    fresh: list[Firing] = []
    rows: list[dict[str, Any]] = []
    counts: dict[tuple[str, str], int] = {}
    for firing in firings:
        if firing.key in existing:
            continue
        existing.add(firing.key)
        if firing.status is FiringStatus.CLAIMED and firing.subject and firing.cap is not None:
            if firing.new_subject:  # created by this very event: nothing can have fired for it before
                counts.setdefault((firing.playbook_id, firing.subject), 0)
            pair = (firing.playbook_id, firing.subject)
            if pair not in counts:
                counts[pair] = recent_runs(session, firing.playbook_id, firing.subject, at - CAP_WINDOW)
            if counts[pair] >= firing.cap:
                firing.status = FiringStatus.SUPPRESSED_CAP
                firing.detail = f"more than {firing.cap} runs for {firing.subject} within an hour"
            else:
                counts[pair] += 1
        rows.append(
            {
                "playbook_id": firing.playbook_id,
                "source": firing.source,
                "kind": firing.kind,
                "subject": firing.subject,
                "status": firing.status.value,
                "run_id": None,
                "detail": firing.detail,
                "data": firing.trigger if firing.status is FiringStatus.CLAIMED else None,
                "fired_at": at,
            }
        )
        if firing.status is not FiringStatus.CLAIMED:
            log.warning(
                "trigger suppressed",
                playbook=firing.playbook_id,
                source=firing.source,
                status=firing.status.value,
                detail=firing.detail,
            )
        fresh.append(firing)
    if rows:
        session.execute(insert(TriggerFiringRow), rows)  # Core: one statement, no ORM bookkeeping
    return fresh


def start(runs: RunService, firing: Firing) -> None:
    """Start the claimed firing's run; a refusal (missing input, unpublished meanwhile) fails it."""
    try:
        firing.run_id = runs.start(
            f"trigger:{firing.kind}", firing.playbook_id, {}, firing.trigger, firing.case_id
        )
        firing.status = FiringStatus.STARTED
    except SocflowError as exc:
        firing.status, firing.detail = FiringStatus.FAILED, exc.message[:MAX_DETAIL]
        log.warning(
            "trigger could not start a run",
            playbook=firing.playbook_id,
            source=firing.source,
            error=exc.message,
        )


def record_outcomes(session: Session, firings: Iterable[Firing]) -> None:
    """Write how each started firing ended (its run id, or why it failed) in the caller's transaction."""
    for firing in firings:
        if firing.status in (FiringStatus.STARTED, FiringStatus.FAILED):
            session.execute(
                update(TriggerFiringRow)
                .where(
                    TriggerFiringRow.playbook_id == firing.playbook_id,
                    TriggerFiringRow.source == firing.source,
                )
                .values(status=firing.status.value, run_id=firing.run_id, detail=firing.detail, data=None)
                .execution_options(synchronize_session=False)
            )


def settle(database: Database, firings: Iterable[Firing]) -> None:
    """`record_outcomes` in a transaction of its own."""
    done = list(firings)
    if done:
        with database.session() as session:
            record_outcomes(session, done)


def recover(database: Database, runs: RunService, older_than: datetime) -> int:
    """Finish firings left claimed by a crash: find the run they started, else start it now."""
    with database.session(write=False) as session:
        stale = list(
            session.scalars(
                select(TriggerFiringRow).where(
                    TriggerFiringRow.status == FiringStatus.CLAIMED.value,
                    TriggerFiringRow.fired_at < older_than,
                )
            )
        )
        found: dict[tuple[str, str], str] = {}
        for row in stale:
            candidates = session.scalars(
                select(RunRow).where(
                    RunRow.playbook_id == row.playbook_id,
                    RunRow.created_at >= row.fired_at - timedelta(seconds=5),
                )
            )
            for run in candidates:
                if run.trigger.get("source") == row.source:
                    found[(row.playbook_id, row.source)] = run.id
                    break
    firings: list[Firing] = []
    started = 0
    for row in stale:
        firing = Firing(row.playbook_id, row.source, row.kind, row.subject, {})
        run_id = found.get(firing.key)
        if run_id is not None:
            firing.status, firing.run_id = FiringStatus.STARTED, run_id
        else:
            firing.trigger, firing.case_id = _rebuilt_trigger(row), _case_of(row.subject)
            start(runs, firing)
            started += firing.status is FiringStatus.STARTED
        firings.append(firing)
    settle(database, firings)
    return started


def _case_of(subject: str | None) -> str | None:
    return subject.removeprefix("case:") if subject and subject.startswith("case:") else None


def _rebuilt_trigger(row: TriggerFiringRow) -> dict[str, Any]:
    """The trigger data kept with the claim (older claims: their origin only), noted as recovered."""
    data = dict(row.data) if row.data else {"kind": row.kind, "source": row.source}
    return {**data, "recovered": True}
