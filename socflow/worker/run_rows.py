"""The run engine's hot writes on SQLite: one DBAPI executemany of plain tuples, JSON encoded by orjson."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from sqlalchemy import JSON, Connection
from sqlalchemy.sql.dml import UpdateBase

from socflow.storage.tables import UTCDateTime

Convert = Callable[[Any], Any]
_JSON_OPTIONS: Final = orjson.OPT_NON_STR_KEYS


def json_text(value: Any) -> str:
    """A JSON column's value as SQLAlchemy's JSON type stores it on SQLite (None is JSON null), but
    encoded by orjson; values orjson refuses (integers beyond 64 bits) go through the json module."""
    try:
        return orjson.dumps(value, option=_JSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


_last_datetime: tuple[datetime | None, str | None] = (None, None)  # a flush repeats one time in every row


def sqlite_datetime(value: datetime | None) -> str | None:
    """An aware datetime as UTCDateTime stores it on SQLite: naive UTC text with microseconds."""
    global _last_datetime
    if value is None:
        return None
    last = _last_datetime
    if value is last[0]:
        return last[1]
    if value.tzinfo is None:
        raise ValueError("naive datetimes are refused: give a time zone")
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    text = utc.replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_datetime = (value, text)
    return text


@dataclass(frozen=True)
class Plan:
    """A statement compiled for SQLite once: its SQL, and per positional parameter the key a row
    gives it by (or a fixed value), with the conversion its column type needs."""

    sql: str | None  # None: the statement expands a parameter (IN) and takes the ordinary path
    binds: tuple[tuple[str, bool, Any, Convert | None], ...]  # key, from the row?, fixed value, convert

    def rows(self, many: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The parameter tuples for `many` rows, converted column by column."""
        out: list[list[Any]] = []
        for key, given, fixed, _ in self.binds:
            out.append([values[key] for values in many] if given else [fixed] * len(many))
        for column, (_, _, _, convert) in zip(out, self.binds, strict=True):
            if convert is not None:
                column[:] = map(convert, column)
        return list(zip(*out, strict=True))


_plans: dict[tuple[int, frozenset[str]], Plan] = {}
_lock = threading.Lock()


def _plan(connection: Connection, statement: UpdateBase, keys: frozenset[str]) -> Plan:
    cache_key = (id(statement), keys)
    plan = _plans.get(cache_key)
    if plan is not None:
        return plan
    dialect = connection.dialect
    is_insert = getattr(statement, "is_insert", False)
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys) if is_insert else None)
    names = compiled.positiontup
    if names is None:
        raise ValueError(f"{dialect.name} does not compile to positional parameters")
    if compiled.literal_execute_params or compiled.post_compile_params:
        names = []
    binds = []
    for name in names:
        bind = compiled.binds[name]
        key = bind.key
        given = key in keys
        convert: Convert | None
        if isinstance(bind.type, UTCDateTime):
            convert = sqlite_datetime
        elif isinstance(bind.type, JSON):
            convert = json_text
        else:
            convert = bind.type._cached_bind_processor(dialect)
        if not given and (bind.required or is_insert):
            raise KeyError(f"no value for {key!r} in {statement}")
        binds.append((key, given, None if given else bind.effective_value, convert))
    plan = Plan(str(compiled) if names else None, tuple(binds))
    with _lock:
        _plans[cache_key] = plan
    return plan


def write_many(connection: Connection, statement: UpdateBase, rows: Sequence[dict[str, Any]]) -> None:
    """Execute an insert or update once per row in one executemany, inside the connection's transaction.

    On SQLite the rows go to the DBAPI cursor as tuples, skipping SQLAlchemy's per-row parameter
    processing (the engine's largest cost after the actions); listeners of `after_execute` (the
    workers' wake-up bell) still hear of the statement. Other databases take the ordinary path.
    """
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(statement, list(rows))
        return
    plan = _plan(connection, statement, frozenset(rows[0]))
    if plan.sql is None:
        connection.execute(statement, list(rows))
        return
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(plan.sql, plan.rows(rows))
    finally:
        cursor.close()
    connection.dispatch.after_execute(connection, statement, list(rows), {}, {}, None)
