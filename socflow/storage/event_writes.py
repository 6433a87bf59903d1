"""Writing event rows: on SQLite value tuples through one prepared INSERT, elsewhere Core executemany."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from socflow.errors import DuplicateKey, StorageError
from socflow.storage.tables_events import DeadLetterRow, EventRow

_EVENTS: Table = EventRow.__table__  # type: ignore[assignment]  # a declarative class's table is a Table
_DEAD_LETTERS: Table = DeadLetterRow.__table__  # type: ignore[assignment]


# The SQLite fast path: the event columns in table order (without the rowid), one prepared INSERT.
_EVENT_COLUMNS: Final = tuple(column.name for column in _EVENTS.columns if column.name != "id")
_EVENT_VALUES: Final = operator.itemgetter(*_EVENT_COLUMNS)
_TIME_COLUMNS: Final = tuple(
    index for index, name in enumerate(_EVENT_COLUMNS) if name in ("timestamp", "ingested_at")
)
_SQLITE_INSERT_EVENTS: Final = str(
    insert(_EVENTS)
    .values({name: bindparam(name) for name in _EVENT_COLUMNS})
    .compile(dialect=sqlite_dialect.dialect())
)


def sqlite_time(moment: datetime) -> str:
    """The text SQLAlchemy stores for a UTCDateTime on SQLite: naive UTC with six fraction digits."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are refused: give a time zone")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_params(events: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]] | None:
    """Each row as a parameter tuple in column order; None when a row lacks a column (Core decides)."""
    values = _EVENT_VALUES
    first, second = _TIME_COLUMNS
    texts: dict[datetime, str] = {}  # a batch shares its ingest time, and events share seconds
    params = []
    try:
        for row in events:
            item = list(values(row))
            for index in (first, second):
                moment = item[index]
                text = texts.get(moment)
                if text is None:
                    text = texts[moment] = sqlite_time(moment)
                item[index] = text
            params.append(tuple(item))
    except (KeyError, AttributeError, TypeError):
        return None
    return params


@dataclass(frozen=True)
class EventValues:
    """Event rows as SQLite stores them: a tuple per row in table column order, times as text.

    Built where the rows are built (a parallel import's worker process), they travel pickled at
    less cost than dicts and go to the driver as they are. Another database gets them back as dicts."""

    values: list[tuple[Any, ...]]

    @classmethod
    def of(cls, events: Sequence[dict[str, Any]]) -> EventValues | None:
        """The rows' values; None when a row lacks a column (they must stay dicts)."""
        params = _sqlite_params(events)
        return None if params is None else cls(params)

    def __len__(self) -> int:
        return len(self.values)

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for values in self.values:
            row = dict(zip(_EVENT_COLUMNS, values, strict=True))
            for index in _TIME_COLUMNS:
                name = _EVENT_COLUMNS[index]
                row[name] = datetime.fromisoformat(row[name]).replace(tzinfo=UTC)
            rows.append(row)
        return rows


def write_rows(
    session: Session,
    events: Sequence[dict[str, Any]] | EventValues,
    dead_letters: Sequence[dict[str, Any]],
) -> None:
    """Plain Core executemany on the tables (the ORM-enabled insert costs about 3x per row).

    On SQLite events go straight to the driver: one prepared INSERT run by `executemany` with
    plain tuples, the same stored text as Core's, at a fraction of Core's per-row parameter work."""
    connection = session.connection()
    if events:
        params: list[tuple[Any, ...]] | None
        if connection.dialect.name != "sqlite":
            params, events = None, events.rows() if isinstance(events, EventValues) else events
        else:
            params = events.values if isinstance(events, EventValues) else _sqlite_params(events)
        if params is None:
            assert not isinstance(events, EventValues)  # values always have their parameters
            connection.execute(insert(_EVENTS), list(events))
        else:
            driver = connection.connection.driver_connection
            assert driver is not None  # a checked-out connection always has its driver connection
            try:
                driver.executemany(_SQLITE_INSERT_EVENTS, params)
            except sqlite3.IntegrityError as exc:
                raise DuplicateKey(f"the change conflicts with stored data: {exc}") from None
            except sqlite3.Error as exc:
                raise StorageError(f"database error: {exc}") from None
    if dead_letters:
        connection.execute(insert(_DEAD_LETTERS), list(dead_letters))
