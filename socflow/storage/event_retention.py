"""Event retention: delete by age, by count and by stored size, oldest first, in short transactions."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import CursorResult, delete, func, select, text

from socflow.errors import Issue, ValidationFailed
from socflow.storage.db import Database
from socflow.storage.tables_events import EventRow

PRUNE_CHUNK: Final = 10_000  # rows per delete transaction: intake keeps writing in between
SIZE_SAMPLE: Final = 1_000  # newest events whose average size stands for all (PostgreSQL)
_SIZE_ROUNDS: Final = 8  # a size estimate is refined after each round of deletes


def prune_events(
    database: Database,
    *,
    older_than: datetime | None = None,
    max_events: int | None = None,
    max_bytes: int | None = None,
) -> int:
    """Delete events stamped before `older_than`, then the oldest-ingested beyond `max_events`, then
    the oldest-ingested while the events take more than `max_bytes` (`event_bytes`). How many went."""
    for name, limit in (("max_events", max_events), ("max_bytes", max_bytes)):
        if limit is not None and limit < 0:
            raise ValidationFailed(
                f"{name}: must not be negative", issues=[Issue(name, "must not be negative")]
            )
    removed = 0
    if older_than is not None:
        while (gone := _delete_chunk(database, EventRow.timestamp < older_than)) == PRUNE_CHUNK:
            removed += gone
        removed += gone
    if max_events is not None:
        removed += _delete_oldest(database, count_events(database) - max_events)
    if max_bytes is not None:
        for _ in range(_SIZE_ROUNDS):
            used, events = event_bytes(database), count_events(database)
            if used <= max_bytes or events == 0:
                break
            # The oldest share of the events that brings the size under the limit, if rows are alike;
            # the next round measures again (other tables, uneven rows).
            removed += _delete_oldest(database, max(1, math.ceil(events * (used - max_bytes) / used)))
    return removed


def count_events(database: Database) -> int:
    with database.session(write=False) as session:
        return int(session.execute(select(func.count()).select_from(EventRow)).scalar_one())


def event_bytes(database: Database) -> int:
    """What the events take on disk, as retention by size counts it.

    SQLite: the database's pages in use (page count less free pages, times the page size), read
    from its header at once; deleted rows free their pages at once, and events are nearly all of
    it. PostgreSQL keeps deleted rows' space until a vacuum and never gives it back to the file
    system, so table sizes do not fall as events go: there, the average stored size of the newest
    events (`pg_column_size`, compressed as stored) times their count, plus the indexes' share."""
    with database.session(write=False) as session:
        if session.get_bind().dialect.name == "sqlite":
            pages = session.execute(text("PRAGMA page_count")).scalar_one()
            free = session.execute(text("PRAGMA freelist_count")).scalar_one()
            size = session.execute(text("PRAGMA page_size")).scalar_one()
            return int((pages - free) * size)
        sample = text(
            "SELECT count(*), coalesce(avg(pg_column_size(newest.*)), 0) FROM "
            "(SELECT * FROM events ORDER BY id DESC LIMIT :sample) AS newest"
        )
        _, average = session.execute(sample, {"sample": SIZE_SAMPLE}).one()
        total = int(session.execute(select(func.count()).select_from(EventRow)).scalar_one())
        ratio = session.execute(
            text("SELECT pg_indexes_size('events')::float8 / greatest(pg_relation_size('events'), 1)")
        ).scalar_one()
        return int(float(average) * total * (1 + float(ratio)))


def _delete_oldest(database: Database, count: int) -> int:
    """Delete the `count` oldest-ingested events (lowest ids), a chunk per transaction."""
    removed = 0
    while count > removed:
        chunk = min(PRUNE_CHUNK, count - removed)
        with database.session() as session:
            ids = select(EventRow.id).order_by(EventRow.id.asc()).limit(chunk)
            gone = _deleted(session.execute(delete(EventRow).where(EventRow.id.in_(ids))))
        removed += gone
        if gone < chunk:
            break
    return removed


def _delete_chunk(database: Database, condition: Any) -> int:
    with database.session() as session:
        ids = select(EventRow.id).where(condition).limit(PRUNE_CHUNK)
        return _deleted(session.execute(delete(EventRow).where(EventRow.id.in_(ids))))


def _deleted(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)
