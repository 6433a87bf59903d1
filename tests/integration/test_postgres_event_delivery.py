"""Event delivery on PostgreSQL: racing deliveries of one event complete each waiting step exactly once."""

from __future__ import annotations

import threading

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.event_delivery import deliver
from socflow.worker.runs import RunService

PLAYBOOK = """
id: awaits_scan
name: awaits scan
kind: sequential
steps:
  - {id: scan, type: wait_event, event: scan.done, correlate: {host.ip: 10.2.2.2}, next: done}
  - {id: done, type: end, outcome: scanned}
"""


def _service(database: Database) -> RunService:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        registry.register(spec)
    return RunService(database, PlaybookCatalogue(database), registry)


def test_racing_deliveries_complete_each_wait_once(database: Database) -> None:
    service = _service(database)
    catalogue = PlaybookCatalogue(database)
    version = catalogue.save_draft("alice", PLAYBOOK)
    catalogue.publish("alice", version.playbook_id)
    runs = [service.start("alice", version.playbook_id) for _ in range(5)]
    barrier = threading.Barrier(3)
    failures: list[BaseException] = []

    def send(index: int) -> None:
        barrier.wait()
        try:
            deliver(_service(database), f"scanner{index}", "scan.done", {"host": {"ip": "10.2.2.2"}})
        except BaseException as exc:  # collected and asserted on below
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    for run_id in runs:
        run = service.get(run_id)
        assert (run.status, run.state["outcome"]) == ("succeeded", "scanned")
        kinds = [entry.kind for entry in service.journal(run_id)]
        assert kinds.count("step_closed") == 1
        assert [entry.seq for entry in service.journal(run_id)] == list(range(1, len(kinds) + 1))
