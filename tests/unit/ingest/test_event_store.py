"""The event store: rows from documents, search by time, field, JSON path, CIDR, text; pages; retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from socflow.errors import ValidationFailed
from socflow.ingest.pipeline import IngestPipeline
from socflow.model.records import RawRecord, Transport
from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore, FieldFilter, ip_key_of, shown_message

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _record(text: str, origin: str = "192.0.2.1:514") -> RawRecord:
    return RawRecord(text, BASE, Transport.UDP, origin, "syslog-udp")


def _json_event(minute: int, source_ip: str, **extra: object) -> str:
    doc = {
        "@timestamp": (BASE + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z"),
        "source": {"ip": source_ip},
        "message": f"event {minute} from {source_ip}",
        **extra,
    }
    return json.dumps(doc)


@pytest.fixture
def store(database: Database) -> EventStore:
    return EventStore(database)


@pytest.fixture
def pipeline(store: EventStore) -> IngestPipeline:
    return IngestPipeline(store)


def _fill(pipeline: IngestPipeline) -> None:
    texts = [
        _json_event(0, "203.0.113.5"),
        _json_event(1, "203.0.113.77"),
        _json_event(2, "198.51.100.9", user={"name": "alice"}),
        _json_event(3, "2001:db8::1"),
        _json_event(4, "10.1.2.3", process={"name": "sshd"}),
    ]
    pipeline.process([_record(text) for text in texts])


def _messages(store: EventStore, query: EventQuery) -> list[str]:
    return [row.message or "" for row in store.search(query).items]


def test_store_keeps_original_origin_and_ingest_time(store: EventStore, pipeline: IngestPipeline) -> None:
    text = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"

    pipeline.process([_record(text, "192.0.2.10:40000")])

    row = store.search(EventQuery()).items[0]
    doc = json.loads(row.document)
    assert doc["event"]["original"] == text
    assert doc["log"]["source"]["address"] == "192.0.2.10:40000"
    assert "ingested" in doc["event"]
    assert row.host_name == "mymachine"
    assert row.origin == "192.0.2.10:40000"


def test_store_search_by_indexed_field_equals(store: EventStore, pipeline: IngestPipeline) -> None:
    _fill(pipeline)

    found = _messages(store, EventQuery(fields=[FieldFilter.parse("source.ip:203.0.113.5")]))

    assert found == ["event 0 from 203.0.113.5"]


def test_store_search_by_cidr_covers_the_range_only(store: EventStore, pipeline: IngestPipeline) -> None:
    _fill(pipeline)

    v4 = _messages(store, EventQuery(fields=[FieldFilter.parse("source.ip:203.0.113.0/24")]))
    v6 = _messages(store, EventQuery(fields=[FieldFilter.parse("source.ip:2001:db8::/32")]))

    assert v4 == ["event 1 from 203.0.113.77", "event 0 from 203.0.113.5"]
    assert v6 == ["event 3 from 2001:db8::1"]


def test_store_search_by_json_path_fallback(store: EventStore, pipeline: IngestPipeline) -> None:
    _fill(pipeline)

    found = _messages(store, EventQuery(fields=[FieldFilter.parse("process.name:sshd")]))
    by_user = _messages(store, EventQuery(fields=[FieldFilter.parse("user.name:alice")]))
    nested = _messages(store, EventQuery(fields=[FieldFilter.parse("event.dataset:json")]))

    assert found == ["event 4 from 10.1.2.3"]
    assert by_user == ["event 2 from 198.51.100.9"]
    assert len(nested) == 5


def test_store_search_by_time_range_is_half_open(store: EventStore, pipeline: IngestPipeline) -> None:
    _fill(pipeline)

    found = _messages(store, EventQuery(start=BASE + timedelta(minutes=1), end=BASE + timedelta(minutes=3)))

    assert found == ["event 2 from 198.51.100.9", "event 1 from 203.0.113.77"]


def test_store_search_free_text_is_case_insensitive(store: EventStore, pipeline: IngestPipeline) -> None:
    _fill(pipeline)

    assert _messages(store, EventQuery(text="FROM 10.1")) == ["event 4 from 10.1.2.3"]
    assert _messages(store, EventQuery(text="100%_")) == []


def test_store_pages_walk_every_event_once(store: EventStore, pipeline: IngestPipeline) -> None:
    _fill(pipeline)
    seen: list[str] = []
    cursor = None

    while True:
        page = store.search(EventQuery(limit=2, cursor=cursor))
        seen.extend(row.message or "" for row in page.items)
        cursor = page.next
        if cursor is None:
            break

    assert len(seen) == 5
    assert len(set(seen)) == 5
    assert seen[0] == "event 4 from 10.1.2.3"


def test_store_refuses_a_forged_cursor_and_bad_filters(store: EventStore) -> None:
    with pytest.raises(ValidationFailed, match="cursor"):
        store.search(EventQuery(cursor="not-a-cursor"))
    with pytest.raises(ValidationFailed, match="FIELD:VALUE"):
        FieldFilter.parse("source.ip")
    with pytest.raises(ValidationFailed, match="dotted ECS path"):
        FieldFilter.parse("source ip;drop:1")
    with pytest.raises(ValidationFailed, match="CIDR"):
        store.search(EventQuery(fields=[FieldFilter("source.ip", "10.0.0.0/99")]))
    with pytest.raises(ValidationFailed, match="limit"):
        store.search(EventQuery(limit=0))


def test_store_prune_by_age_and_by_count(store: EventStore, pipeline: IngestPipeline) -> None:
    _fill(pipeline)

    by_age = store.prune(older_than=BASE + timedelta(minutes=2))
    by_count = store.prune(max_events=1)

    assert (by_age, by_count) == (2, 2)
    assert store.count() == 1
    assert _messages(store, EventQuery()) == ["event 4 from 10.1.2.3"]


def test_store_prune_refuses_a_negative_count(store: EventStore) -> None:
    with pytest.raises(ValidationFailed, match="negative"):
        store.prune(max_events=-1)


def test_ip_key_sorts_like_addresses() -> None:
    keys = [ip_key_of(text) for text in ("10.0.0.2", "10.0.0.10", "192.0.2.1")]

    assert keys == sorted(keys)  # type: ignore[type-var]
    assert ip_key_of("not an ip") is None
    assert ip_key_of(None) is None


def test_an_event_without_a_message_shows_its_original_and_is_found_by_quoted_text(
    store: EventStore, pipeline: IngestPipeline
) -> None:
    text = json.dumps({"@timestamp": "2026-11-01T12:00:00Z", "note": 'C:\\Temp\\run.ps1 -Name "x y"'})

    pipeline.process([_record(text)])

    row = store.search(EventQuery()).items[0]
    assert row.message is None  # the column holds the document's own message only
    assert shown_message(row) == text
    for fragment in ('-Name "x y"', "C:\\Temp\\run.ps1", "\\temp\\RUN"):
        assert [found.id for found in store.search(EventQuery(text=fragment)).items] == [row.id], fragment
    assert store.search(EventQuery(text='"x z"')).items == []


def test_shown_message_prefers_the_message_and_tolerates_odd_documents(
    store: EventStore, pipeline: IngestPipeline
) -> None:
    _fill(pipeline)
    row = store.search(EventQuery()).items[0]

    assert shown_message(row) == row.message == "event 4 from 10.1.2.3"
    row.message = None
    assert shown_message(row, {"event": {"original": "x" * 5000}}) == "x" * 1024
    assert shown_message(row, {"event": "not an object"}) is None
    row.document = "not json"
    assert shown_message(row) is None
