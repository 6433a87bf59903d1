"""Triggers on PostgreSQL: dispatchers and schedulers racing each other start every run exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import select

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.cases.alerts import AlertInput
from socflow.cases.tracker import Tracker
from socflow.model.severity import Severity
from socflow.plugins import Registry
from socflow.storage.tables_runs import RunRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
from socflow.worker.scheduler import Scheduler
from socflow.worker.triggers import TriggerDispatcher

ON_ALERT = """
id: on_alert
name: on alert
kind: sequential
trigger: {kind: alert}
steps:
  - {id: say, type: action, action: test.noop}
"""
NIGHTLY = """
id: nightly
name: nightly
kind: sequential
trigger: {kind: schedule, cron: "*/5 * * * *"}
steps:
  - {id: say, type: action, action: test.noop}
"""


def _runs(tracker: Tracker) -> RunService:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        registry.register(spec)
    catalogue = PlaybookCatalogue(tracker.database)
    for text in (ON_ALERT, NIGHTLY):
        version = catalogue.save_draft("cli:admin", text)
        catalogue.publish("cli:admin", version.playbook_id, version.number)
    return RunService(tracker.database, catalogue, registry)


def _race(jobs: list[Callable[[], int]]) -> list[int]:
    barrier = threading.Barrier(len(jobs))
    results = [0] * len(jobs)

    def go(index: int) -> None:
        barrier.wait()
        results[index] = jobs[index]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_dispatchers_start_each_alerts_run_once(tracker: Tracker) -> None:
    runs = _runs(tracker)
    alerts = [
        tracker.alerts.ingest("api:edr", AlertInput("edr", f"r{n}", f"alert {n}", Severity.HIGH))[0].id
        for n in range(30)
    ]
    dispatchers = [TriggerDispatcher(tracker.database, runs, batch=7) for _ in range(3)]

    started = _race([d.dispatch_pending for d in dispatchers])

    with tracker.database.session(write=False) as session:
        rows = list(session.scalars(select(RunRow).where(RunRow.playbook_id == "on_alert")))
    per_alert = Counter(row.trigger["alert"]["id"] for row in rows)
    assert sum(started) == 30
    assert per_alert == Counter(alerts)
    assert dispatchers[0].cursor() >= max(row.trigger["event"]["seq"] for row in rows)


def test_racing_schedulers_fire_a_slot_once(tracker: Tracker) -> None:
    runs = _runs(tracker)
    start = datetime(2026, 12, 3, 10, 2, tzinfo=UTC)
    Scheduler(tracker.database, runs).fire_due(start)
    schedulers = [Scheduler(tracker.database, runs) for _ in range(3)]

    fired = _race([partial(s.fire_due, start + timedelta(minutes=4)) for s in schedulers])

    assert sorted(fired) == [0, 0, 1]
