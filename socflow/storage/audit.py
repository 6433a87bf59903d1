"""The append-only audit journal: hash-chained inserts under a lock on the head, and verification."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socflow.model.audit import (
    GENESIS_HASH,
    AuditEntry,
    ChainBreak,
    ChainReport,
    canonical_json,
    entry_hash,
)
from socflow.storage.db import Database
from socflow.storage.tables import AuditEntryRow, AuditHeadRow

_HEAD_ID = 1
VERIFY_BATCH = 20_000


@dataclass(frozen=True)
class PendingEntry:
    """A change recorded during a unit of work, chained and written when it commits."""

    actor: str
    object_type: str
    object_id: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    at: datetime


_LOCK_HEAD = select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == _HEAD_ID).with_for_update()
_MOVE_HEAD = update(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID)


def _locked_head(session: Session) -> tuple[int, str]:
    """The head's sequence number and hash, row-locked until the transaction ends (Core: no ORM flush)."""
    connection = session.connection()
    head = connection.execute(_LOCK_HEAD).first()
    if head is None:
        # The first entry ever: concurrent writers may all find no head. Create it in a savepoint;
        # the losers' inserts fail on the key, and they then lock the head the winner created.
        try:
            with session.begin_nested():
                session.add(AuditHeadRow(id=_HEAD_ID, seq=0, hash=GENESIS_HASH))
        except IntegrityError:
            pass
        head = session.connection().execute(_LOCK_HEAD).one()
    return int(head[0]), str(head[1])


def append(session: Session, pending: Sequence[PendingEntry]) -> list[AuditEntry]:
    """Chain `pending` after the current head and insert it; the head row lock serialises writers."""
    if not pending:
        return []
    seq, prev_hash = _locked_head(session)
    written: list[AuditEntry] = []
    rows: list[dict[str, Any]] = []
    for item in pending:
        seq += 1
        entry = AuditEntry(
            seq=seq,
            at=item.at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor=item.actor,
            object_type=item.object_type,
            object_id=item.object_id,
            action=item.action,
            before=canonical_json(item.before),
            after=canonical_json(item.after),
            prev_hash=prev_hash,
        )
        prev_hash = entry.compute_hash()
        rows.append({**entry.__dict__, "hash": prev_hash})
        written.append(entry)
    connection = session.connection()
    connection.execute(insert(AuditEntryRow), rows)
    connection.execute(_MOVE_HEAD, {"seq": seq, "hash": prev_hash})
    return written


def _stream(database: Database, batch: int) -> Iterator[Sequence[Any]]:
    """The journal in order, `batch` rows at a time; a row is the entry's fields in order, then its hash."""
    table = AuditEntryRow.__table__
    columns = [table.c[name] for name in (*AuditEntry.__dataclass_fields__, "hash")]
    last = 0
    with database.read_engine.connect() as connection:
        while True:
            rows = connection.execute(
                select(*columns).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
            ).all()
            if not rows:
                return
            yield rows
            last = rows[-1][0]


def verify(database: Database, *, batch: int = VERIFY_BATCH) -> ChainReport:
    """Walk the journal in order; report the first entry altered, removed or moved, if any."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for rows in _stream(database, batch):
        for row in rows:
            # By position, not by name: the row's fields are in AuditEntry order, then the stored hash
            # (reading them by name, or building an AuditEntry per row, cost more than hashing).
            seq, entry_prev, stored_hash = row[0], row[-2], row[-1]
            count += 1
            if seq != expected_seq:
                reason = f"entry {expected_seq} is missing (next stored entry is {seq})"
                return ChainReport(count, prev_hash, ChainBreak(expected_seq, reason))
            if entry_prev != prev_hash:
                reason = "entry does not follow the one before it (removed, reordered or rewritten)"
                return ChainReport(count, prev_hash, ChainBreak(seq, reason))
            if entry_hash(row[:-1]) != stored_hash:
                return ChainReport(count, prev_hash, ChainBreak(seq, "entry content was altered"))
            prev_hash, expected_seq = stored_hash, expected_seq + 1
    with database.session(write=False) as session:
        head = session.get(AuditHeadRow, _HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        reason = f"journal ends at entry {expected_seq - 1} but its head records entry {head_seq}"
        return ChainReport(count, prev_hash, ChainBreak(min(head_seq, expected_seq), reason))
    return ChainReport(count, prev_hash, None)


def entries_for(session: Session, object_type: str, object_id: str) -> list[AuditEntryRow]:
    """The history of one object, oldest first."""
    stmt = (
        select(AuditEntryRow)
        .where(AuditEntryRow.object_type == object_type, AuditEntryRow.object_id == object_id)
        .order_by(AuditEntryRow.seq)
    )
    return list(session.execute(stmt).scalars())


def entries_for_many(session: Session, refs: Iterable[tuple[str, str]]) -> list[AuditEntryRow]:
    """History of several objects (a case with its tasks, say), merged by sequence."""
    result: list[AuditEntryRow] = []
    for object_type, object_id in refs:
        result.extend(entries_for(session, object_type, object_id))
    return sorted(result, key=lambda row: row.seq)


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntryRow)).scalar_one())
