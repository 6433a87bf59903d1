"""Helpers for the concurrency tests that run the same behaviours on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from socflow.cases.tracker import Tracker
from socflow.storage import audit

THREADS, ROUNDS = 8, 25
ResultT = TypeVar("ResultT")


def at_once(work: Callable[[int], ResultT]) -> list[ResultT]:
    """Run `work(0..THREADS-1)` on THREADS threads released together."""
    barrier = threading.Barrier(THREADS)

    def start(index: int) -> ResultT:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(start, range(THREADS)))


def journal_entries(
    tracker: Tracker, object_type: str, object_id: str, *actions: str
) -> list[dict[str, Any]]:
    """The object's journal entries with one of `actions`, before/after decoded, oldest first."""
    with tracker.database.session(write=False) as session:
        rows = audit.entries_for(session, object_type, object_id)
    return [
        {"action": r.action, "actor": r.actor, "before": json.loads(r.before), "after": json.loads(r.after)}
        for r in rows
        if r.action in actions
    ]


def assert_each_change_built_on_the_last(entries: list[dict[str, Any]], field: str) -> None:
    """A lost update shows as an entry whose `before` is not the previous entry's `after`."""
    for previous, current in itertools.pairwise(entries):
        assert current["before"][field] == previous["after"][field]
