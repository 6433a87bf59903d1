"""The trigger dispatcher: tails the audit journal from a stored cursor and starts the matching playbooks.

The journal is the outbox: every alert, case and task change lands in it in the change's own
transaction, numbered without gaps in commit order (writers hold its head row until they commit).
So reading entries after a cursor sees every change exactly once, and a crash only re-reads entries
whose firings were already claimed (see firings.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import structlog
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from socflow.cases.uow import now
from socflow.errors import DuplicateKey, NotFound, SocflowError
from socflow.playbooks.expressions import ExpressionError
from socflow.playbooks.spec import TriggerKind
from socflow.playbooks.triggers import CASE_FIELDS
from socflow.storage.db import Database
from socflow.storage.tables import AuditEntryRow, AuditHeadRow
from socflow.storage.tables_runs import RunRow
from socflow.storage.tables_triggers import TriggerCursorRow
from socflow.worker.actors import parse_run_actor
from socflow.worker.event_delivery import alert_events, deliver_all
from socflow.worker.firings import Firing, FiringStatus, claim, record_outcomes, recover, start
from socflow.worker.run_start import StartRequest
from socflow.worker.runs import RunService
from socflow.worker.trigger_data import alert_view, case_view, task_view
from socflow.worker.trigger_index import Armed, TriggerIndex

log = structlog.get_logger("socflow.triggers")

CURSOR_NAME: Final = "audit"
DEFAULT_BATCH: Final = 500
RECOVER_AFTER_SECONDS: Final = 60.0
MAX_CONFLICTS: Final = 3
SETTLE_DELAY_SECONDS: Final = 0.5
MAX_CURSOR_LAG: Final = 1000
WATCHED_OBJECTS: Final = ("alert", "case", "task", "playbook")  # journal entries that may trigger
_CASE_FIELD_SET: Final = frozenset(CASE_FIELDS)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Change:
    """One journal entry, decoded."""

    seq: int
    at: str
    actor: str
    object_type: str
    object_id: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]

    def event(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "action": self.action,
            "before": self.before,
            "after": self.after,
        }


def kind_of(change: Change) -> tuple[TriggerKind, frozenset[str]] | None:
    """The trigger kind a change feeds and what it is (alert event names or changed case fields)."""
    if change.object_type == "alert":
        return TriggerKind.ALERT, frozenset({"created" if change.action == "created" else "updated"})
    if change.object_type == "case":
        if change.action == "created":
            return TriggerKind.CASE_CREATED, frozenset()
        changed = (set(change.after) | set(change.before)) & _CASE_FIELD_SET
        return (TriggerKind.CASE_CHANGED, frozenset(changed)) if changed else None
    if change.object_type == "task" and change.action == "completed":
        return TriggerKind.TASK_COMPLETED, frozenset()
    return None


class TriggerDispatcher:
    """Matches new journal entries against the published triggers; `dispatch_pending` returns runs started.

    Safe to run in several processes: the cursor only moves forward, and a firing's key (playbook,
    journal entry) is claimed before its run starts, so two dispatchers never start the same run.
    """

    def __init__(
        self,
        database: Database,
        runs: RunService,
        *,
        index: TriggerIndex | None = None,
        batch: int = DEFAULT_BATCH,
        clock: Clock = now,
        recover_after: float = RECOVER_AFTER_SECONDS,
        settle_delay: float = SETTLE_DELAY_SECONDS,
    ) -> None:
        self.database = database
        self.runs = runs
        self.index = index if index is not None else TriggerIndex(database)
        self.batch = batch
        self.clock = clock
        self.recover_after = recover_after
        self.settle_delay = settle_delay
        self._recovered = False
        self._seen = 0  # the last entry matched here (the stored cursor may lag behind it)
        self._durable: int | None = None  # the stored cursor, as this dispatcher last read or wrote it
        self._unsettled: list[Firing] = []  # runs started whose firing rows are not updated yet
        self._unsaved: float | None = None  # since when something is waiting to be written

    def dispatch_pending(self) -> int:
        """Match every journal entry after the cursor; start the runs they call for; how many started."""
        started = 0
        if not self._recovered:
            self._recovered = True
            started += recover(self.database, self.runs, self.clock() - timedelta(seconds=self.recover_after))
        conflicts = 0
        while True:
            try:
                count, more = self._one_batch()
            except DuplicateKey:  # two dispatchers made the cursor row at once: the loser reads again
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise
                continue
            started += count
            if not more:
                return started

    def flush(self) -> None:
        """Store the cursor and the outcome of the runs started, now (they are otherwise written a
        moment later, off the path from an event to its run's first step)."""
        if self._unsaved is not None or self._unsettled:
            self._write(self._seen, [])

    def cursor(self) -> int:
        with self.database.session(write=False) as session:
            row = session.get(TriggerCursorRow, CURSOR_NAME)
            return row.seq if row is not None else 0

    def _one_batch(self) -> tuple[int, bool]:
        with self.database.session(write=False) as session:
            if self._durable is None:  # read once; afterwards this dispatcher knows what it stored
                cursor_row = session.get(TriggerCursorRow, CURSOR_NAME)
                self._durable = cursor_row.seq if cursor_row is not None else 0
            durable = self._durable
            cursor = max(durable, self._seen)
            head_row = session.get(AuditHeadRow, 1)
            head = head_row.seq if head_row is not None else 0
            rows: Sequence[Any] = ()
            if head > cursor:
                table = AuditEntryRow.__table__
                columns = [table.c[n] for n in Change.__dataclass_fields__]
                rows = session.execute(
                    select(*columns)
                    .where(
                        table.c.seq > cursor, table.c.seq <= head, table.c.object_type.in_(WATCHED_OBJECTS)
                    )
                    .order_by(table.c.seq)
                    .limit(self.batch)
                ).all()
            more = len(rows) == self.batch
            upto = rows[-1][0] if more else max(head, cursor)
            firings = self._match(session, rows)
            events = alert_events(session, [(r[3], r[4], r[5]) for r in rows])  # for waiting steps
        if events:
            deliver_all(self.runs, events)
        self._seen = max(self._seen, upto)
        if upto > durable and self._unsaved is None:
            self._unsaved = time.monotonic()
        if not firings:
            if upto - durable >= MAX_CURSOR_LAG or self._flush_due():
                self._write(upto, [])
            return 0, more
        claimed = [f for f in self._write(upto, firings) if f.status is FiringStatus.CLAIMED]
        start_all(self.runs, claimed)
        self._unsettled.extend(claimed)
        self._unsaved = time.monotonic()
        if self._flush_due():
            self.flush()
        return sum(f.status is FiringStatus.STARTED for f in claimed), more

    def _flush_due(self) -> bool:
        return self._unsaved is not None and time.monotonic() - self._unsaved >= self.settle_delay

    def _write(self, upto: int, firings: list[Firing]) -> list[Firing]:
        """One transaction: the cursor moved to `upto`, earlier starts settled, `firings` claimed."""
        with self.database.session() as session:
            # The cursor row's lock makes racing dispatchers claim one after the other, so the later
            # one sees the earlier one's claims and skips them instead of failing on their keys.
            first = min((int(f.source.removeprefix("audit:")) for f in firings), default=None)
            unclaimed = _advance(session, upto, self.clock(), first)
            record_outcomes(session, self._unsettled)
            fresh = claim(session, firings, self.clock(), unclaimed=unclaimed)
        self._unsettled, self._unsaved = [], None
        self._durable = max(self._durable or 0, upto)
        return fresh

    def _match(self, session: Session, rows: Sequence[Any]) -> list[Firing]:
        firings: list[Firing] = []
        views: dict[tuple[str, str], dict[str, Any] | None] = {}
        run_subjects: dict[str, str | None] = {}
        for row in rows:
            change = Change(row[0], row[1], row[2], row[3], row[4], row[5], _load(row[6]), _load(row[7]))
            if change.object_type == "playbook":
                if change.action == "published":
                    self.index.refresh()  # what is published from here on is matched from here on
                continue
            found = kind_of(change)
            if found is None:
                continue
            kind, what = found
            candidates = [a for a in self.index.armed(kind) if not a.listens or a.listens & what]
            if not candidates:
                continue
            data = self._data(session, change, kind, views)
            subject = _subject(change, data)
            author = parse_run_actor(change.actor)
            for armed in candidates:
                firing = Firing(
                    armed.playbook_id,
                    f"audit:{change.seq}",
                    kind.value,
                    subject,
                    {**data, "source": f"audit:{change.seq}"},
                    cap=armed.trigger.max_runs_per_case_per_hour,
                    case_id=_case_id(subject),
                    new_subject=change.action == "created"
                    and subject == f"{change.object_type}:{change.object_id}",
                )
                if not _accepted(armed, data, firing):
                    continue
                own_change = author is not None and author.playbook_id == armed.playbook_id
                if author is not None and own_change and not armed.trigger.allow_retrigger:
                    if author.run_id not in run_subjects:
                        run_subjects[author.run_id] = _run_subject(session, author.run_id)
                    own = run_subjects[author.run_id]
                    if firing.status is FiringStatus.CLAIMED and own in (None, subject):
                        firing.status = FiringStatus.SUPPRESSED_LOOP
                        firing.detail = f"the change was made by run {author.run_id} of this playbook"
                firings.append(firing)
        return firings

    def _data(
        self,
        session: Session,
        change: Change,
        kind: TriggerKind,
        views: dict[tuple[str, str], dict[str, Any] | None],
    ) -> dict[str, Any]:
        def view(object_type: str, object_id: str | None) -> dict[str, Any]:
            if object_id is None:
                return {}
            key = (object_type, object_id)
            if key not in views:
                load = {"alert": alert_view, "case": case_view, "task": task_view}[object_type]
                views[key] = load(session, object_id)
            return views[key] or {"id": object_id}

        data: dict[str, Any] = {"kind": kind.value, "event": change.event()}
        if change.object_type == "alert":
            data["alert"] = view("alert", change.object_id)
            data["case"] = view("case", data["alert"].get("case_id"))
        elif change.object_type == "case":
            # The case as stored, with the fields this change set as the change left them: when
            # several changes are matched together, `case.status == 'closed'` must not fire on the
            # earlier triage move because the case has been closed since.
            touched = {name: value for name, value in change.after.items() if name in _CASE_FIELD_SET}
            data["case"] = {**view("case", change.object_id), **touched}
        else:
            data["task"] = view("task", change.object_id)
            data["case"] = view("case", data["task"].get("case_id"))
        return data


def start_all(runs: RunService, claimed: Sequence[Firing]) -> None:
    """Start the claimed firings' runs, those of one trigger kind (one actor) in one transaction.

    Starting many is all or none, so when one of them is refused (a missing input, a playbook
    unpublished meanwhile) the kind's firings are started one by one and only that one fails.
    """
    by_kind: dict[str, list[Firing]] = {}
    for firing in claimed:
        by_kind.setdefault(firing.kind, []).append(firing)
    for kind, group in by_kind.items():
        requests = [StartRequest(f.playbook_id, {}, f.trigger, f.case_id) for f in group]
        try:
            run_ids = runs.start_many(f"trigger:{kind}", requests) if len(group) > 1 else None
        except SocflowError:
            run_ids = None
        if run_ids is None:
            for firing in group:
                start(runs, firing)
            continue
        for firing, run_id in zip(group, run_ids, strict=True):
            firing.run_id, firing.status = run_id, FiringStatus.STARTED


def _accepted(armed: Armed, data: dict[str, Any], firing: Firing) -> bool:
    """The filter's verdict; a filter that fails is recorded (and logged), not taken as a match."""
    try:
        return armed.accepts({**data, "trigger": data})
    except ExpressionError as exc:
        firing.status, firing.detail = FiringStatus.FILTER_ERROR, exc.message
        log.warning(
            "trigger filter failed", playbook=armed.playbook_id, source=firing.source, error=exc.message
        )
        return True


def _load(text: str) -> dict[str, Any]:
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


def _subject(change: Change, data: dict[str, Any]) -> str:
    case_id = (data.get("case") or {}).get("id")
    if case_id:
        return f"case:{case_id}"
    return f"{change.object_type}:{change.object_id}"


def _case_id(subject: str) -> str | None:
    return subject.removeprefix("case:") if subject.startswith("case:") else None


def _run_subject(session: Session, run_id: str) -> str | None:
    """What a run works on: its case, else the alert that started it; None when neither is known."""
    run = session.get(RunRow, run_id)
    if run is None:
        return None
    if run.case_id:
        return f"case:{run.case_id}"
    alert_id = (run.trigger.get("alert") or {}).get("id")
    return f"alert:{alert_id}" if alert_id else None


def _advance(session: Session, upto: int, at: datetime, first: int | None = None) -> bool:
    """Lock the cursor and move it forward to `upto` (never back: another dispatcher may be ahead).

    True when the stored cursor was below `first`: then no firing of an entry from `first` on can
    exist yet (a claim always lands with a cursor move past its entry), and the claim skips its
    look-up. Either UPDATE touches the row, so it always takes the row's lock.
    """
    column = TriggerCursorRow.seq
    if first is not None:
        fast = session.execute(
            update(TriggerCursorRow)
            .where(TriggerCursorRow.name == CURSOR_NAME, column < first)
            .values(seq=upto, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if getattr(fast, "rowcount", 0) == 1:
            return True
    moved = session.execute(
        update(TriggerCursorRow)
        .where(TriggerCursorRow.name == CURSOR_NAME)
        .values(seq=case((column < upto, upto), else_=column), updated_at=at)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) == 0:
        session.add(TriggerCursorRow(name=CURSOR_NAME, seq=upto, updated_at=at))
        session.flush()
    return False


def manual_trigger(
    database: Database, actor: str, data: dict[str, Any] | None = None, case_id: str | None = None
) -> dict[str, Any]:
    """The trigger data of a run started by hand: the caller's data, `kind: manual`, who, and the case.

    `kind` and `by` are always set here, whatever the caller's data says; a named case must exist and
    its current state becomes `trigger.case` (so `case.*` expressions work as for a case trigger).
    """
    trigger: dict[str, Any] = {**(data or {}), "kind": "manual", "by": actor}
    if case_id is not None:
        with database.session(write=False) as session:
            case = case_view(session, case_id)
        if case is None:
            raise NotFound(f"case {case_id!r} does not exist", details={"object": "case", "id": case_id})
        trigger["case"] = case
    return trigger
