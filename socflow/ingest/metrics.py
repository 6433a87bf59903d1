"""Intake counters per listener (received, stored, dead-lettered, UDP dropped) and their Prometheus view."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

COUNTERS: Final = ("received", "stored", "dead_lettered", "udp_dropped", "parse_failures")
Counts = dict[str, dict[str, int]]  # {listener: {counter: value}}


@dataclass
class ListenerCounts:
    received: int = 0
    stored: int = 0
    dead_lettered: int = 0
    udp_dropped: int = 0
    parse_failures: int = 0


class IntakeStats:
    """Thread-safe counters: receivers count on the event loop, the writer in its thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, ListenerCounts] = {}
        self._queue_depth = 0

    def add(self, listener: str, **increments: int) -> None:
        with self._lock:
            counts = self._counts.get(listener)
            if counts is None:
                counts = self._counts[listener] = ListenerCounts()
            for name, amount in increments.items():
                setattr(counts, name, getattr(counts, name) + amount)

    def set_queue_depth(self, depth: int) -> None:
        self._queue_depth = depth

    @property
    def queue_depth(self) -> int:
        return self._queue_depth

    def total(self, name: str) -> int:
        with self._lock:
            return sum(getattr(counts, name) for counts in self._counts.values())

    def snapshot(self) -> dict[str, dict[str, int]]:
        """{listener: {counter: value}}, a copy."""
        with self._lock:
            return {name: asdict(counts) for name, counts in sorted(self._counts.items())}

    def registry(self) -> CollectorRegistry:
        """A Prometheus registry of its own (not the global one), so each app and test is separate."""
        return counters_registry(self.snapshot, lambda: self.queue_depth)


def counters_registry(snapshot: Callable[[], Counts], queue_depth: Callable[[], int]) -> CollectorRegistry:
    """A registry whose collector asks `snapshot` and `queue_depth` at every scrape."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_StatsCollector(snapshot, queue_depth))
    return registry


class _StatsCollector(Collector):
    def __init__(self, snapshot: Callable[[], Counts], queue_depth: Callable[[], int]) -> None:
        self.snapshot = snapshot
        self.queue_depth = queue_depth

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        snapshot = self.snapshot()
        for name in COUNTERS:
            family = CounterMetricFamily(
                f"socflow_intake_{name}", f"Intake messages {name.replace('_', ' ')}", labels=["listener"]
            )
            for listener, counts in snapshot.items():
                family.add_metric([listener], counts.get(name, 0))
            yield family
        yield GaugeMetricFamily(
            "socflow_intake_queue_depth", "Messages waiting to be stored", value=self.queue_depth()
        )
