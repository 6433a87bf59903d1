"""The timekeeper on PostgreSQL: two workers' timekeepers racing apply each due time exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.tables import AlertRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
from socflow.worker.timekeeper import Timekeeper

PLAYBOOK = """
id: race
name: race
kind: sequential
steps:
  - {id: reply, type: wait_event, event: mail.reply, timeout: 1h, on_timeout: late, next: got}
  - {id: got, type: end, outcome: replied}
  - {id: late, type: end, outcome: late}
"""
TASK = """
id: slow_task
name: slow task
kind: sequential
steps:
  - {id: look, type: human_task, instructions: look, role: tier2}
"""


def _service(database: Database, at: list[datetime], owner: str) -> RunService:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        registry.register(spec)
    return RunService(database, PlaybookCatalogue(database), registry, clock=lambda: at[0], owner=owner)


def _race(keepers: list[Timekeeper]) -> list[int]:
    barrier = threading.Barrier(len(keepers))
    results: list[int] = [0] * len(keepers)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = keepers[index].fire_due()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(keepers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_racing_timekeepers_time_a_wait_out_once(database: Database) -> None:
    at = [datetime(2026, 12, 3, 12, tzinfo=UTC)]
    service = _service(database, at, "worker-1")
    catalogue = PlaybookCatalogue(database)
    version = catalogue.save_draft("alice", PLAYBOOK)
    catalogue.publish("alice", version.playbook_id)
    runs = [service.start("alice", version.playbook_id) for _ in range(10)]
    at[0] += timedelta(hours=2)
    keepers = [Timekeeper(_service(database, at, f"worker-{n}"), stuck_after=86400) for n in range(3)]

    results = _race(keepers)

    assert sum(results) == 10
    for run_id in runs:
        run = service.get(run_id)
        assert (run.status, run.state["outcome"]) == ("succeeded", "late")
        kinds = [entry.kind for entry in service.journal(run_id)]
        assert kinds.count("step_timed_out") == 1
        assert [entry.seq for entry in service.journal(run_id)] == list(range(1, len(kinds) + 1))


def test_racing_timekeepers_flag_a_stuck_run_once(database: Database) -> None:
    at = [datetime(2026, 12, 3, 12, tzinfo=UTC)]
    service = _service(database, at, "worker-1")
    catalogue = PlaybookCatalogue(database)
    version = catalogue.save_draft("alice", TASK)
    catalogue.publish("alice", version.playbook_id)
    run_id = service.start("alice", version.playbook_id)
    at[0] += timedelta(hours=30)
    keepers = [Timekeeper(_service(database, at, f"worker-{n}")) for n in range(3)]

    _race(keepers)

    kinds = [entry.kind for entry in service.journal(run_id)]
    assert kinds.count("run_stuck") == 1
    with database.session(write=False) as session:
        alerts = list(session.scalars(select(AlertRow).where(AlertRow.source == "socflow")))
    assert [a.source_ref for a in alerts] == [f"run-stuck:{run_id}"]
    assert service.get(run_id).stuck_at == at[0]
