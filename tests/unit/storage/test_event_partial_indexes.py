"""Partial indexes on the sparse event columns: NULLs get no entry, and searches still use the indexes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore, FieldFilter, ip_key_of
from socflow.storage.tables_events import SPARSE_SEARCH_COLUMNS

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _row(minute: int, **columns: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "timestamp": BASE + timedelta(minutes=minute),
        "ingested_at": BASE,
        "dataset": "syslog",
        "host_name": None,
        "source_ip": None,
        "source_ip_key": None,
        "destination_ip": None,
        "destination_ip_key": None,
        "user_name": None,
        "event_action": None,
        "event_outcome": None,
        "event_code": None,
        "message": f"event {minute}",
        "document": "{}",
        "origin": "test",
    }
    row.update(columns)
    for name in ("source_ip", "destination_ip"):
        row[f"{name}_key"] = ip_key_of(row[name])
    return row


@pytest.fixture
def store(database: Database) -> EventStore:
    store = EventStore(database)
    rows = [_row(minute) for minute in range(200)]  # the usual event: none of the sparse columns
    rows += [
        _row(300, source_ip="203.0.113.5", host_name="web1", user_name="alice"),
        _row(301, source_ip="203.0.113.77", destination_ip="198.51.100.9", host_name="web2"),
        _row(302, source_ip="2001:db8::1", user_name="bob"),
    ]
    store.insert(rows)
    return store


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


def _plan(database: Database, store: EventStore, query: EventQuery) -> tuple[list[str | None], str]:
    with _captured(database) as statements:
        messages = [row.message for row in store.search(query).items]
    [(statement, parameters)] = statements
    with database.engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        plan = driver.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    return messages, " | ".join(str(step[-1]) for step in plan)


def test_the_sparse_indexes_are_partial_and_skip_nulls(database: Database, store: EventStore) -> None:
    with database.engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        for column in SPARSE_SEARCH_COLUMNS:
            [(sql,)] = driver.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (f"ix_events_{column}",)
            ).fetchall()
            assert sql.endswith(f"WHERE {column} IS NOT NULL"), sql
            entries = driver.execute(
                f"SELECT count(*) FROM events INDEXED BY ix_events_{column} WHERE {column} IS NOT NULL"
            ).fetchone()[0]
            assert entries == driver.execute(f"SELECT count({column}) FROM events").fetchone()[0] < 4


@pytest.mark.parametrize(
    ("field", "index", "expected"),
    [
        ("source.ip:203.0.113.5", "ix_events_source_ip_key", ["event 300"]),
        ("source.ip:203.0.113.0/24", "ix_events_source_ip_key", ["event 301", "event 300"]),
        ("source.ip:2001:db8::/32", "ix_events_source_ip_key", ["event 302"]),
        ("destination.ip:198.51.100.9", "ix_events_destination_ip_key", ["event 301"]),
        ("host.name:web1", "ix_events_host_name", ["event 300"]),
        ("user.name:bob", "ix_events_user_name", ["event 302"]),
    ],
)
def test_searches_on_sparse_columns_use_their_partial_index(
    database: Database, store: EventStore, field: str, index: str, expected: list[str]
) -> None:
    messages, plan = _plan(database, store, EventQuery(fields=[FieldFilter.parse(field)]))

    assert messages == expected
    assert f"USING INDEX {index} " in plan, plan


def test_a_search_with_a_time_window_and_a_sparse_field_still_finds_the_row(
    database: Database, store: EventStore
) -> None:
    query = EventQuery(
        start=BASE + timedelta(minutes=250), fields=[FieldFilter.parse("user.name:alice")], limit=1
    )

    messages, plan = _plan(database, store, query)

    assert messages == ["event 300"]
    assert "USING INDEX ix_events_" in plan, plan
