"""The intake pipeline: batches from the queue, back-pressure, counted UDP drops, enrichment, failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from socflow.errors import StorageError
from socflow.ingest.dead_letters import DeadLetter
from socflow.ingest.metrics import IntakeStats
from socflow.ingest.pipeline import IngestPipeline, stop_task
from socflow.model.records import RawRecord, Transport
from socflow.normalize.ecs import ECSDocument
from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _record(index: int, listener: str = "syslog-tcp") -> RawRecord:
    return RawRecord(
        f"<13>Nov  1 00:00:00 host{index} app: line {index}", NOW, Transport.TCP, "192.0.2.1:9", listener
    )


class CountingStore(EventStore):
    """The real store, remembering the size of each committed batch."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.batches: list[int] = []

    def insert(self, events: Any, dead_letters: Any = ()) -> None:
        super().insert(events, dead_letters)
        self.batches.append(len(events) + len(dead_letters))


def test_pipeline_writes_queued_records_in_batches(database: Database) -> None:
    store = CountingStore(database)

    async def scenario() -> bool:
        pipeline = IngestPipeline(store, batch_size=40, batch_wait=0.2)
        for index in range(100):
            await pipeline.submit(_record(index))
        writer = asyncio.create_task(pipeline.run())
        done = await pipeline.wait_stored(100, timeout=10)
        await stop_task(writer)
        return done

    assert asyncio.run(scenario())
    assert store.batches == [40, 40, 20]
    assert store.count() == 100


def test_pipeline_submit_waits_while_the_queue_is_full(database: Database) -> None:
    async def scenario() -> tuple[bool, int]:
        pipeline = IngestPipeline(EventStore(database), queue_size=2)
        await pipeline.submit(_record(1))
        await pipeline.submit(_record(2))
        blocked = asyncio.create_task(pipeline.submit(_record(3)))
        await asyncio.sleep(0.05)
        was_blocked = not blocked.done()
        writer = asyncio.create_task(pipeline.run())
        await blocked
        await pipeline.drain()
        await stop_task(writer)
        return was_blocked, pipeline.stats.total("stored")

    assert asyncio.run(scenario()) == (True, 3)


def test_pipeline_submit_many_counts_once_and_waits_while_the_queue_is_full(database: Database) -> None:
    async def scenario() -> tuple[bool, int, int, list[str]]:
        pipeline = IngestPipeline(EventStore(database), queue_size=2)
        blocked = asyncio.create_task(pipeline.submit_many([_record(index) for index in range(5)]))
        await asyncio.sleep(0.05)
        was_blocked = not blocked.done()
        received = pipeline.stats.total("received")
        writer = asyncio.create_task(pipeline.run())
        await blocked
        await pipeline.drain()
        await stop_task(writer)
        page = pipeline.store.search(EventQuery(limit=10))
        return (
            was_blocked,
            received,
            pipeline.stats.total("stored"),
            sorted(row.host_name or "" for row in page.items),
        )

    was_blocked, received, stored, hosts = asyncio.run(scenario())
    assert (was_blocked, received, stored) == (True, 5, 5)
    assert hosts == [f"host{index}" for index in range(5)]


def test_pipeline_offer_counts_a_drop_when_full(database: Database) -> None:
    async def scenario() -> tuple[list[bool], dict[str, dict[str, int]]]:
        pipeline = IngestPipeline(EventStore(database), queue_size=1)
        results = [pipeline.offer(_record(1, "syslog-udp")), pipeline.offer(_record(2, "syslog-udp"))]
        return results, pipeline.stats.snapshot()

    results, snapshot = asyncio.run(scenario())

    assert results == [True, False]
    assert snapshot["syslog-udp"]["udp_dropped"] == 1
    assert snapshot["syslog-udp"]["received"] == 2


def test_pipeline_enrich_hook_changes_documents_in_place(database: Database) -> None:
    store = EventStore(database)
    seen: list[int] = []

    def enrich(docs: list[ECSDocument]) -> None:
        seen.append(len(docs))
        for doc in docs:
            doc.setdefault("labels", {})["enriched"] = "yes"

    IngestPipeline(store, enrich=enrich).process([_record(1), _record(2)])

    assert seen == [2]
    assert all('"enriched":"yes"' in row.document for row in store.search(EventQuery()).items)


def test_pipeline_counts_unparsed_lines_as_stored_events(database: Database) -> None:
    store = EventStore(database)
    stats = IntakeStats()
    failing = RawRecord("\x01\x02 not syslog", NOW, Transport.UDP, "192.0.2.1:9", "syslog-udp", "syslog")

    IngestPipeline(store, stats).process([failing])

    assert store.count() == 1
    assert stats.snapshot()["syslog-udp"]["parse_failures"] == 1
    assert stats.snapshot()["syslog-udp"]["stored"] == 1


def test_pipeline_retries_a_failed_write_until_it_commits(database: Database) -> None:
    class FlakyStore(EventStore):
        failures = 2

        def insert(self, events: Any, dead_letters: Any = ()) -> None:
            if self.failures:
                self.failures -= 1
                raise StorageError("database is locked")
            super().insert(events, dead_letters)

    store = FlakyStore(database)

    async def scenario() -> bool:
        pipeline = IngestPipeline(store, batch_wait=0.01)
        await pipeline.submit(_record(1))
        writer = asyncio.create_task(pipeline.run())
        done = await pipeline.wait_stored(1, timeout=10)
        await stop_task(writer)
        return done

    assert asyncio.run(scenario())
    assert store.failures == 0
    assert store.count() == 1


def test_pipeline_keeps_a_batch_as_dead_letters_when_a_stage_crashes(database: Database) -> None:
    store = EventStore(database)

    def broken(docs: list[ECSDocument]) -> None:
        raise KeyError("inventory")

    async def scenario() -> bool:
        pipeline = IngestPipeline(store, enrich=broken, batch_wait=0.01)
        await pipeline.submit(_record(1))
        await pipeline.submit(
            DeadLetter(b"\xff", "invalid UTF-8 at byte 0", Transport.TCP, "x:1", "syslog-tcp")
        )
        writer = asyncio.create_task(pipeline.run())
        done = await pipeline.wait_stored(2, timeout=10)
        await stop_task(writer)
        return done

    assert asyncio.run(scenario())
    letters, _ = store.dead_letters()
    assert sorted(letter.reason for letter in letters)[0].startswith("could not normalize or store: KeyError")
    assert len(letters) == 2


def test_pipeline_wait_stored_times_out(database: Database) -> None:
    pipeline = IngestPipeline(EventStore(database))

    assert asyncio.run(pipeline.wait_stored(1, timeout=0.05)) is False


@pytest.mark.parametrize("name", ["received", "stored"])
def test_intake_stats_prometheus_registry_exposes_counters(name: str) -> None:
    from prometheus_client import generate_latest

    stats = IntakeStats()
    stats.add("syslog-udp", **{name: 3})

    text = generate_latest(stats.registry()).decode()

    assert f'socflow_intake_{name}_total{{listener="syslog-udp"}} 3.0' in text
