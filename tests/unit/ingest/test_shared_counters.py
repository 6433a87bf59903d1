"""Intake counters shared by every process: published as increments, summed over processes, retired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest

from socflow.errors import StorageError
from socflow.ingest.metrics import IntakeStats
from socflow.ingest.shared_counters import SharedCounters
from socflow.storage.db import Database
from socflow.storage.ingest_counters import RETIRED, IngestCounterStore, ProcessIdentity

STARTED = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _process(database: Database, pid: int) -> SharedCounters:
    return SharedCounters(IntakeStats(), database, identity=ProcessIdentity("sensor-1", pid, STARTED))


def test_each_process_sees_the_others_published_counts_plus_its_own_live_ones(database: Database) -> None:
    serve, api = _process(database, 100), _process(database, 200)
    serve.stats.add("syslog-tcp", received=5, stored=4, parse_failures=1)
    serve.stats.add("syslog-udp", received=3, udp_dropped=2)
    api.stats.add("http", received=7, stored=7)

    before = api.snapshot()
    serve.publish()
    after = api.snapshot()

    assert set(before) == {"http"}  # nothing published yet by the other process
    assert after["syslog-tcp"] == {
        "received": 5, "stored": 4, "dead_lettered": 0, "udp_dropped": 0, "parse_failures": 1,
    }  # fmt: skip
    assert after["syslog-udp"]["udp_dropped"] == 2
    assert after["http"]["stored"] == 7  # live, though the API never published


def test_publishing_adds_only_what_changed_so_nothing_is_counted_twice(database: Database) -> None:
    serve, api = _process(database, 100), _process(database, 200)
    serve.stats.add("syslog-tcp", received=5)
    serve.publish()
    serve.publish()  # nothing new: the rows keep their values
    serve.stats.add("syslog-tcp", received=2)
    serve.publish()
    api.publish()

    assert api.snapshot()["syslog-tcp"]["received"] == 7
    assert serve.snapshot()["syslog-tcp"]["received"] == 7  # its own rows are replaced by live counts
    assert IngestCounterStore(database).totals() == {
        "syslog-tcp": {"received": 7, "stored": 0, "dead_lettered": 0, "udp_dropped": 0, "parse_failures": 0}
    }


def test_a_failed_publish_loses_nothing(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    serve, api = _process(database, 100), _process(database, 200)
    serve.stats.add("syslog-tcp", received=3)
    original = serve.store.add

    def down(*args: object, **kwargs: object) -> None:
        raise StorageError("database is locked")

    monkeypatch.setattr(serve.store, "add", down)
    with pytest.raises(StorageError):
        serve.publish()
    monkeypatch.setattr(serve.store, "add", original)
    serve.stats.add("syslog-tcp", received=1)
    serve.publish()

    assert api.snapshot()["syslog-tcp"]["received"] == 4


def test_stop_publishes_a_last_time(database: Database) -> None:
    importer, api = _process(database, 100), _process(database, 200)
    importer.interval = 3600.0  # the thread never gets to publish on its own
    importer.start()
    importer.stats.add("file", received=9, stored=8, dead_lettered=1)

    importer.stop()

    assert api.snapshot()["file"]["dead_lettered"] == 1


def test_retiring_stale_processes_keeps_the_sums(database: Database) -> None:
    store = IngestCounterStore(database)
    old, fresh = ProcessIdentity("a", 1, STARTED), ProcessIdentity("b", 2, STARTED)
    store.add(old, {"syslog-tcp": {"received": 10}}, 0, now=STARTED)
    store.add(old, {}, 0, now=STARTED)
    store.add(fresh, {"syslog-tcp": {"received": 5}}, 0, now=STARTED + timedelta(days=2))
    before = store.totals()

    folded = store.retire(STARTED + timedelta(days=1))
    again = store.retire(STARTED + timedelta(days=1))

    assert (folded, again) == (1, 0)
    assert store.totals() == before
    assert [summary.process for summary in store.processes()] == [fresh.key]
    store.add(ProcessIdentity("c", 3, STARTED), {"syslog-tcp": {"received": 1}}, 0, now=STARTED)
    assert store.retire(STARTED + timedelta(days=1)) == 1  # folded into the existing retired row
    assert store.totals()["syslog-tcp"]["received"] == 16
    assert RETIRED not in {summary.process for summary in store.processes()}


def test_queue_depth_counts_live_processes_only(database: Database) -> None:
    store = IngestCounterStore(database)
    api = _process(database, 200)
    api.stats.set_queue_depth(2)
    now = datetime.now(UTC)
    store.add(ProcessIdentity("a", 1, STARTED), {"syslog-tcp": {}}, 40, now=now)
    store.add(ProcessIdentity("b", 2, STARTED), {"syslog-tcp": {}}, 500, now=now - timedelta(hours=1))

    assert api.queue_depth() == 42


def test_prometheus_exposition_shows_the_sums(database: Database) -> None:
    serve, api = _process(database, 100), _process(database, 200)
    serve.stats.add("syslog-udp", received=12, udp_dropped=3)
    serve.publish()
    api.stats.add("syslog-udp", received=1)

    text = generate_latest(api.registry()).decode()

    assert 'socflow_intake_received_total{listener="syslog-udp"} 13.0' in text
    assert 'socflow_intake_udp_dropped_total{listener="syslog-udp"} 3.0' in text


def test_an_interval_must_be_positive(database: Database) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        SharedCounters(IntakeStats(), database, interval=0)
