"""Intake counters shared by every process: each one publishes its own to the database; readers sum all."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Final

from prometheus_client import CollectorRegistry

from socflow.errors import SocflowError
from socflow.ingest.metrics import COUNTERS, Counts, IntakeStats, counters_registry
from socflow.logging import get_logger
from socflow.storage.db import Database
from socflow.storage.ingest_counters import IngestCounterStore, ProcessIdentity

DEFAULT_INTERVAL_SECONDS: Final = 5.0
RETIRE_AFTER: Final = timedelta(days=1)  # a process silent that long is gone: its rows are folded
ALIVE_AFTER_INTERVALS: Final = 3  # a process whose heartbeat is older than this many intervals is gone

log = get_logger("socflow.ingest")


def _merge(into: Counts, counts: Counts) -> Counts:
    for listener, values in counts.items():
        target = into.setdefault(listener, dict.fromkeys(COUNTERS, 0))
        for counter in COUNTERS:
            target[counter] += values.get(counter, 0)
    return into


class SharedCounters:
    """One process's IntakeStats, published every `interval` seconds (what changed since the last
    write is added to its rows), and the sums over every process for /metrics and the stats route.

    `start` runs the publishing thread; `stop` ends it after a last publish, so a short-lived
    process (a file import) leaves its counts behind too. This process's own counts are always
    read live, never from its (possibly seconds old) rows."""

    def __init__(
        self,
        stats: IntakeStats,
        database: Database,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        identity: ProcessIdentity | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"the publishing interval must be positive, not {interval}")
        self.stats = stats
        self.store = IngestCounterStore(database)
        self.interval = interval
        self.identity = identity or ProcessIdentity.current()
        self._published: Counts = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- writing ---------------------------------------------------------------------------------

    def publish(self) -> None:
        """Add what was counted since the last successful publish (and refresh the heartbeat).

        A failed write raises and loses nothing: the next publish adds the larger difference."""
        with self._lock:
            current = self.stats.snapshot()
            increments: Counts = {}
            for listener, counts in current.items():
                before = self._published.get(listener, {})
                delta = {counter: counts[counter] - before.get(counter, 0) for counter in COUNTERS}
                if any(delta.values()) or listener not in self._published:
                    increments[listener] = delta
            self.store.add(self.identity, increments, self.stats.queue_depth)
            self._published = current

    def start(self) -> None:
        """Publish from a daemon thread until `stop`; stale processes' rows are retired once first."""
        if self._thread is not None:
            return
        try:
            self.store.retire(datetime.now(UTC) - RETIRE_AFTER)
        except SocflowError as exc:
            log.warning("intake_counters_retire_failed", error=exc.message)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="socflow-intake-counters", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and publish a last time (errors are logged: stopping must not fail)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self._publish_logged()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._publish_logged()

    def _publish_logged(self) -> None:
        try:
            self.publish()
        except SocflowError as exc:
            log.warning("intake_counters_publish_failed", error=exc.message)

    # -- reading ---------------------------------------------------------------------------------

    def snapshot(self) -> Counts:
        """{listener: {counter: sum}} over every process: the others' rows plus this one's live counts."""
        others = self.store.totals(exclude=self.identity.key)
        return dict(sorted(_merge(others, self.stats.snapshot()).items()))

    def queue_depth(self) -> int:
        """Messages waiting in this process plus those last reported by processes still alive."""
        alive_since = datetime.now(UTC) - timedelta(seconds=self.interval * ALIVE_AFTER_INTERVALS)
        others = self.store.processes(seen_since=alive_since)
        return self.stats.queue_depth + sum(
            summary.queue_depth for summary in others if summary.process != self.identity.key
        )

    def registry(self) -> CollectorRegistry:
        return counters_registry(self.snapshot, self.queue_depth)
