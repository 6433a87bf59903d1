"""Retention by stored size and in chunks: the oldest events go first, short transactions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from socflow.errors import ValidationFailed
from socflow.ingest.pipeline import IngestPipeline
from socflow.model.records import RawRecord, Transport
from socflow.storage import event_retention
from socflow.storage.db import Database
from socflow.storage.event_retention import event_bytes, prune_events
from socflow.storage.events import EventQuery, EventStore

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _fill(database: Database, count: int, padding: int = 3_000) -> None:
    """`count` events of about `padding` bytes each, numbered in the order they are stored."""
    texts = [
        json.dumps(
            {
                "@timestamp": (BASE + timedelta(seconds=n)).isoformat(),
                "message": f"e{n}",
                "pad": "x" * padding,
            }
        )
        for n in range(count)
    ]
    IngestPipeline(EventStore(database)).process(
        [RawRecord(t, BASE, Transport.HTTP, "192.0.2.1:1", "http") for t in texts]
    )


def _messages(database: Database) -> list[str]:
    return [row.message or "" for row in EventStore(database).search(EventQuery(limit=500)).items]


def test_prune_by_size_removes_the_oldest_until_the_events_fit(database: Database) -> None:
    _fill(database, 400)
    full = event_bytes(database)
    limit = full // 2

    removed = prune_events(database, max_bytes=limit)

    assert event_bytes(database) <= limit
    left = _messages(database)
    assert removed + len(left) == 400
    assert 100 < len(left) < 300  # about half of the events went, not all of them
    assert left == [f"e{n}" for n in range(399, 399 - len(left), -1)]  # the newest stay
    assert prune_events(database, max_bytes=limit) == 0  # under the limit: nothing more goes


def test_prune_by_size_and_count_go_a_chunk_at_a_time(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(database, 25, padding=10)
    monkeypatch.setattr(event_retention, "PRUNE_CHUNK", 4)

    assert prune_events(database, max_events=10) == 15
    assert _messages(database)[-1] == "e15"
    assert prune_events(database, max_bytes=0) == 10  # nothing fits: every event goes
    assert prune_events(database, max_bytes=0) == 0


def test_prune_refuses_negative_limits(database: Database) -> None:
    with pytest.raises(ValidationFailed, match="max_bytes: must not be negative"):
        prune_events(database, max_bytes=-1)
