"""The intake's fast store path: driver-level SQLite inserts and orjson documents, same data as before."""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, text

from socflow.errors import DuplicateKey, StorageError
from socflow.ingest.pipeline import IngestPipeline, gc_paused
from socflow.ingest.service import GC_YOUNG_THRESHOLD, tune_garbage_collector
from socflow.ingest.store import encode_document
from socflow.model.records import RawRecord, Transport
from socflow.storage.db import Database
from socflow.storage.event_writes import EventValues, sqlite_time
from socflow.storage.events import EventQuery, EventStore, ProgressMark
from socflow.storage.tables_events import EventRow

NOW = datetime(2026, 11, 1, 8, 30, 15, 250_000, tzinfo=UTC)


def _row(index: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "timestamp": NOW - timedelta(seconds=index),
        "ingested_at": NOW,
        "dataset": "system.auth",
        "host_name": f"web{index:02d}",
        "source_ip": "10.0.0.1",
        "source_ip_key": "40a000001",
        "destination_ip": None,
        "destination_ip_key": None,
        "user_name": "alice",
        "event_action": "ssh_login",
        "event_outcome": "success",
        "event_code": None,
        "message": f"line {index} ünïcode",
        "document": json.dumps({"n": index}),
        "origin": "192.0.2.1:514",
    }
    row.update(changes)
    return row


def _stored(database: Database) -> list[tuple[Any, ...]]:
    with database.session(write=False) as session:
        columns = ", ".join(column.name for column in EventRow.__table__.columns if column.name != "id")
        return [tuple(row) for row in session.execute(text(f"SELECT {columns} FROM events ORDER BY id"))]


def test_fast_insert_stores_what_core_stores(database: Database) -> None:
    berlin = timezone(timedelta(hours=1))
    in_berlin = datetime(2026, 11, 1, 9, 0, tzinfo=berlin)
    rows = [_row(1), _row(2, timestamp=in_berlin), _row(3, event_code="4624")]

    EventStore(database).insert(rows)
    fast = _stored(database)
    with database.session() as session:
        session.execute(text("DELETE FROM events"))
        session.connection().execute(insert(EventRow.__table__), rows)
    core = _stored(database)

    assert fast == core
    assert fast[0][0] == "2026-11-01 08:30:14.250000"
    assert fast[1][0] == "2026-11-01 08:00:00.000000"  # converted to UTC, as UTCDateTime does


def test_fast_insert_reads_back_through_the_orm(database: Database) -> None:
    store = EventStore(database)
    store.insert([_row(index) for index in range(5)])

    page = store.search(EventQuery(limit=10))

    assert [item.host_name for item in page.items] == [f"web{index:02d}" for index in range(5)]
    assert page.items[0].timestamp == NOW
    assert page.items[0].message == "line 0 ünïcode"


def test_rows_without_every_column_still_go_through_core(database: Database) -> None:
    partial = {key: value for key, value in _row(1).items() if key not in {"event_code", "user_name"}}

    EventStore(database).insert([partial])

    assert EventStore(database).search(EventQuery()).items[0].user_name is None


def test_naive_times_are_refused_as_before() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_time(datetime(2026, 1, 1))


def test_a_driver_error_is_a_storage_error_so_intake_retries(database: Database) -> None:
    with database.session() as session:
        session.execute(text("DROP TABLE events"))

    with pytest.raises(StorageError, match="no such table"):
        EventStore(database).insert([_row(1)])


def test_a_failed_batch_leaves_nothing_behind(database: Database) -> None:
    store = EventStore(database)
    rows = [_row(1), _row(2, document=None)]  # NOT NULL fails on the second row

    with pytest.raises(DuplicateKey, match="NOT NULL"):  # what Core's IntegrityError became too
        store.insert(rows)

    assert store.count() == 0


@pytest.mark.parametrize(
    "doc",
    [
        {"message": "plain", "n": 1, "f": 1.5, "b": True, "z": None, "l": [1, "two", {"x": []}]},
        {"message": 'ünïcode ✓ \u2028 \x00 "quoted" \\ back'},
        {"event": {"created": datetime(2026, 1, 1, tzinfo=UTC)}},  # default=str, as json did
        {1: "int key", "nested": {2.5: "float key", True: "bool key", None: "none key"}},
        {"small": 1e-3, "big": 123456789.125, "negative": -0.0},
    ],
)
def test_documents_encode_as_json_did(doc: dict[Any, Any]) -> None:
    expected = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str)

    assert encode_document(doc) == expected


@pytest.mark.parametrize(
    "doc",
    [{"lone": "\ud800 surrogate"}, {"huge": 2**70}, {"set": {1}}],
)
def test_what_orjson_refuses_falls_back_to_json(doc: dict[str, Any]) -> None:
    expected = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str)

    assert encode_document(doc) == expected


def test_small_exponents_differ_in_spelling_only() -> None:
    doc = {"small": 1e-7, "big": 1e16}

    assert encode_document(doc) == '{"small":1e-7,"big":1e+16}'
    assert json.loads(encode_document(doc)) == doc


def test_not_a_number_is_stored_as_null() -> None:
    assert json.loads(encode_document({"x": float("nan"), "y": float("inf")})) == {"x": None, "y": None}


def test_gc_tuning_raises_the_young_threshold_and_freezes_what_exists() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        tune_garbage_collector()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)
        assert gc.get_freeze_count() > 0
        gc.set_threshold(50_000, 10, 10)
        tune_garbage_collector()  # a higher threshold someone chose is kept
        assert gc.get_threshold()[0] == 50_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_gc_is_paused_for_a_batch_and_left_as_it_was() -> None:
    assert gc.isenabled()
    with gc_paused(True):
        inside = gc.isenabled()
    assert (inside, gc.isenabled()) == (False, True)
    with gc_paused(False):
        assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused(True):
            pass
        assert not gc.isenabled()  # someone else paused it: theirs to resume
    finally:
        gc.enable()


def test_a_failing_batch_resumes_collection(database: Database) -> None:
    pipeline = IngestPipeline(EventStore(database), normalize=_explode, pause_gc=True)

    with pytest.raises(RuntimeError, match="boom"):
        pipeline.process([RawRecord("x", NOW, Transport.TCP, "192.0.2.1:9", "t")])

    assert gc.isenabled()


def _explode(record: RawRecord) -> dict[str, Any]:
    raise RuntimeError("boom")


def test_event_values_store_what_the_rows_store_and_turn_back_into_the_rows(database: Database) -> None:
    berlin = timezone(timedelta(hours=1))
    rows = [_row(1), _row(2, timestamp=datetime(2026, 11, 1, 9, 0, tzinfo=berlin)), _row(3, message=None)]
    values = EventValues.of(rows)
    assert values is not None
    assert len(values) == 3

    EventStore(database).insert(rows)
    EventStore(database).insert_with_progress(values, ProgressMark("/x.evtx", 1, 1, 1, 9, 3, True))

    stored = _stored(database)
    assert stored[3:] == stored[:3]
    assert values.rows() == [dict(row, timestamp=row["timestamp"].astimezone(UTC)) for row in rows]
    assert EventValues.of([{key: v for key, v in _row(4).items() if key != "origin"}]) is None
