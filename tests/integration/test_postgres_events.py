"""The event store on PostgreSQL: inserts, JSON-path and CIDR filters, text search, pages, retention."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from socflow.ingest.dead_letters import DeadLetter
from socflow.ingest.pipeline import IngestPipeline
from socflow.model.records import RawRecord, Transport
from socflow.storage.db import Database
from socflow.storage.event_retention import event_bytes
from socflow.storage.events import (
    EventQuery,
    EventStore,
    EventValues,
    FieldFilter,
    ProgressMark,
    shown_message,
)

pytestmark = pytest.mark.integration
BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _fill(store: EventStore) -> None:
    texts = [
        json.dumps(
            {
                "@timestamp": (BASE + timedelta(minutes=n)).isoformat(),
                "source": {"ip": ip},
                "process": {"name": f"proc{n}"},
                "message": f"Event {n}",
            }
        )
        for n, ip in enumerate(["203.0.113.5", "203.0.113.77", "2001:db8::1", "10.1.2.3"])
    ]
    records = [RawRecord(text, BASE, Transport.HTTP, "192.0.2.1:1", "http") for text in texts]
    letter = DeadLetter(b"\xff", "invalid UTF-8 at byte 0", Transport.UDP, "192.0.2.1:2", "syslog-udp")
    IngestPipeline(store).process(records, [letter])


def _messages(store: EventStore, query: EventQuery) -> list[str]:
    return [row.message or "" for row in store.search(query).items]


def test_postgres_events_filters_match_sqlite_semantics(database: Database) -> None:
    store = EventStore(database)
    _fill(store)

    assert _messages(store, EventQuery(fields=[FieldFilter.parse("source.ip:203.0.113.0/24")])) == [
        "Event 1",
        "Event 0",
    ]
    assert _messages(store, EventQuery(fields=[FieldFilter.parse("source.ip:2001:db8::/32")])) == ["Event 2"]
    assert _messages(store, EventQuery(fields=[FieldFilter.parse("process.name:proc3")])) == ["Event 3"]
    assert _messages(store, EventQuery(text="event 2")) == ["Event 2"]
    assert store.dead_letters()[0][0].reason == "invalid UTF-8 at byte 0"


def test_postgres_events_pages_and_prune(database: Database) -> None:
    store = EventStore(database)
    _fill(store)

    first = store.search(EventQuery(limit=3))
    second = store.search(EventQuery(limit=3, cursor=first.next))
    removed = store.prune(older_than=BASE + timedelta(minutes=1), max_events=2)

    assert [row.message for row in first.items + second.items] == ["Event 3", "Event 2", "Event 1", "Event 0"]
    assert removed == 2
    assert store.count() == 2


def test_values_built_for_sqlite_are_stored_as_rows_on_postgres(database: Database) -> None:
    """A parallel import's workers send SQLite values; PostgreSQL gets them back as rows."""
    store = EventStore(database)
    text = json.dumps(
        {"@timestamp": "2026-11-01T12:30:00+01:00", "note": 'say "hi"', "user": {"name": "eve"}}
    )
    rows = IngestPipeline(store).rows([RawRecord(text, BASE, Transport.FILE, "/x.json", "file")])
    values = EventValues.of(rows)
    assert values is not None

    store.insert_with_progress(values, ProgressMark("/x.json", 1, 1, 1, 1, 1, True))

    row = store.search(EventQuery(text='"hi"')).items[0]
    assert row.timestamp == datetime(2026, 11, 1, 11, 30, tzinfo=UTC)
    assert (row.user_name, row.message) == ("eve", None)
    assert shown_message(row) == text


def test_retention_by_size_on_postgres_follows_the_live_events(database: Database) -> None:
    """PostgreSQL keeps deleted rows' space until a vacuum: the size counts the live events only."""
    store = EventStore(database)
    texts = [
        json.dumps(
            {
                "@timestamp": (BASE + timedelta(seconds=n)).isoformat(),
                "message": f"e{n}",
                "pad": random.Random(n).randbytes(450).hex(),
            }
        )
        for n in range(300)
    ]
    IngestPipeline(store).process([RawRecord(t, BASE, Transport.HTTP, "192.0.2.1:1", "http") for t in texts])
    full = event_bytes(database)
    assert full > 300 * 900

    removed = store.prune(max_bytes=full // 2)

    assert event_bytes(database) <= full // 2
    assert 100 < store.count() < 200
    assert removed + store.count() == 300
    assert store.search(EventQuery(limit=1)).items[0].message == "e299"
