"""PostgreSQL: the event search's filters on the sparse columns use their partial indexes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore, FieldFilter, ip_key_of

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _row(minute: int, **columns: str | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(
        (
            "host_name",
            "source_ip",
            "destination_ip",
            "user_name",
            "event_action",
            "event_outcome",
            "event_code",
        )
    )
    row.update(
        timestamp=BASE + timedelta(minutes=minute),
        ingested_at=BASE,
        dataset="syslog",
        message=f"event {minute}",
        document="{}",
        origin="test",
    )
    row.update(columns)
    for name in ("source_ip", "destination_ip"):
        row[f"{name}_key"] = ip_key_of(row[name])
    return row


@contextmanager
def _captured(database: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(database.read_engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(database.read_engine, "before_cursor_execute", capture)


@pytest.mark.parametrize(
    ("field", "index", "expected"),
    [
        ("source.ip:203.0.113.0/24", "ix_events_source_ip_key", ["event 301", "event 300"]),
        ("destination.ip:198.51.100.9", "ix_events_destination_ip_key", ["event 301"]),
        ("host.name:web1", "ix_events_host_name", ["event 300"]),
        ("user.name:bob", "ix_events_user_name", ["event 302"]),
    ],
)
def test_postgres_sparse_field_searches_use_the_partial_index(
    database: Database, field: str, index: str, expected: list[str]
) -> None:
    store = EventStore(database)
    store.insert(
        [_row(minute) for minute in range(100)]
        + [
            _row(300, source_ip="203.0.113.5", host_name="web1", user_name="alice"),
            _row(301, source_ip="203.0.113.77", destination_ip="198.51.100.9", host_name="web2"),
            _row(302, source_ip="2001:db8::1", user_name="bob"),
        ]
    )
    with _captured(database) as statements:
        found = [row.message for row in store.search(EventQuery(fields=[FieldFilter.parse(field)])).items]
    [(statement, parameters)] = statements

    with database.read_engine.connect() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the table is tiny
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
        [definition] = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %(name)s", {"name": index}
        ).scalars()

    assert found == expected
    assert index in plan, plan
    assert definition.endswith(f"WHERE ({index.removeprefix('ix_events_')} IS NOT NULL)"), definition
