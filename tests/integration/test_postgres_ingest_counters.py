"""Shared intake counters on PostgreSQL: concurrent publishers and retirers never lose or double a count."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from socflow.ingest.metrics import IntakeStats
from socflow.ingest.shared_counters import SharedCounters
from socflow.storage.db import Database
from socflow.storage.ingest_counters import IngestCounterStore, ProcessIdentity

STARTED = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_concurrent_processes_publish_exact_sums(database: Database) -> None:
    processes = [
        SharedCounters(IntakeStats(), database, identity=ProcessIdentity("node", pid, STARTED))
        for pid in range(4)
    ]

    def count_and_publish(process: SharedCounters) -> None:
        for _ in range(25):
            process.stats.add("syslog-tcp", received=3, stored=2)
            process.stats.add("file", received=1)
            process.publish()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(count_and_publish, processes))

    totals = IngestCounterStore(database).totals()
    assert totals["syslog-tcp"]["received"] == 4 * 25 * 3
    assert totals["syslog-tcp"]["stored"] == 4 * 25 * 2
    assert totals["file"]["received"] == 4 * 25


def test_concurrent_retiring_folds_each_row_once(database: Database) -> None:
    store = IngestCounterStore(database)
    for pid in range(20):
        store.add(ProcessIdentity("old", pid, STARTED), {"syslog-udp": {"received": 5}}, 0, now=STARTED)
    cutoff = STARTED + timedelta(days=1)

    with ThreadPoolExecutor(max_workers=3) as pool:
        folded = list(pool.map(lambda _: store.retire(cutoff), range(3)))

    assert sum(folded) == 20
    assert store.totals()["syslog-udp"]["received"] == 100
    assert store.processes() == []
