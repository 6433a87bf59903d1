"""Runs on PostgreSQL: a chain of steps, an approval, a crash retried under its key, concurrent workers."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from run_support import Calls, Clock, case_ops, chain, publish

from socflow.actions.registry import ActionContext, ActionSpec
from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.playbooks.work import Event
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service

APPROVAL = """
id: pg_approval
name: approval
kind: sequential
steps:
  - id: approve
    type: approval
    role: soc_lead
    authorizes: block
    next: block
  - id: block
    type: action
    action: test.echo
    args: {text: blocked}
    next: done
  - id: done
    type: end
    outcome: blocked
"""

SUB = """
id: pg_parent
name: parent
kind: sequential
steps:
  - id: call
    type: sub_playbook
    playbook: pg_child
    next: done
  - id: done
    type: end
    outcome: called
"""


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


def test_postgres_runs_ten_steps_succeed_in_order(database: Database, catalogue: PlaybookCatalogue) -> None:
    service = build_run_service(database, catalogue, Calls().registry, clock=Clock(), owner="pg-1")
    run_id = service.start("alice", publish(catalogue, chain("pg_ten", 10)))

    assert service.drain() == 10

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "finished")
    assert [a.step_id for a in service.attempts(run_id)] == [f"s{n}" for n in range(10)]
    journal = service.journal(run_id)
    assert [entry.seq for entry in journal] == list(range(1, len(journal) + 1))


def test_postgres_runs_approval_signal_lets_the_action_run(
    database: Database, catalogue: PlaybookCatalogue
) -> None:
    calls = Calls()
    service = build_run_service(database, catalogue, calls.registry, clock=Clock(), owner="pg-1")
    run_id = service.start("bob", publish(catalogue, APPROVAL))
    assert service.drain() == 0
    assert service.get(run_id).status == "waiting"

    service.signal("alice", run_id, Event("approved", step_id="approve", roles=("soc_lead",)))
    service.drain()

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "blocked")
    assert calls.steps == Counter({"block": 1})
    assert run.state["steps"]["approve"]["result"] == {"approved_by": ["alice"]}


def test_postgres_runs_crash_mid_step_retries_under_the_same_key(
    database: Database, catalogue: PlaybookCatalogue
) -> None:
    calls, clock = Calls(), Clock()
    first = build_run_service(
        database, catalogue, calls.registry, clock=clock, owner="pg-1", lease_seconds=60
    )
    run_id = first.start("alice", publish(catalogue, chain("pg_three", 3)))
    first.step()
    lease = first.lease()
    assert lease is not None
    first.execute(lease)  # the action ran; the worker dies before recording it

    second = build_run_service(
        database, catalogue, calls.registry, clock=clock, owner="pg-2", lease_seconds=60
    )
    assert second.drain() == 0
    clock.advance(600)
    assert second.drain() == 2

    assert second.get(run_id).status == "succeeded"
    [s1] = [a for a in second.attempts(run_id) if a.step_id == "s1"]
    assert (s1.attempt, s1.leases, s1.lease_owner) == (1, 2, "pg-2")
    assert calls.keys[("test.noop", s1.idempotency_key)] == 2


def test_postgres_runs_case_operation_and_sub_playbook_in_one_transaction_each(
    database: Database, catalogue: PlaybookCatalogue, tmp_path: Path
) -> None:
    tracker = Tracker.open(database, tmp_path / "evidence")
    case_id = tracker.cases.create("alice", CaseInput(title="pg case")).id
    publish(
        catalogue, case_ops("pg_child", [("comment", "{text: from the child}"), ("add_tag", "{tag: pg}")])
    )
    service = build_run_service(database, catalogue, Calls().registry, clock=Clock(), owner="pg-1")
    run_id = service.start("alice", publish(catalogue, SUB), case_id=case_id)

    service.drain()

    assert service.get(run_id).status == "succeeded"
    [comment] = tracker.notes.comments(case_id)
    assert comment.author.startswith("playbook:pg_child/run:")
    assert [tag.tag for tag in tracker.cases.get(case_id).tag_rows] == ["pg"]


def test_postgres_runs_concurrent_workers_never_run_an_attempt_twice(
    database: Database, catalogue: PlaybookCatalogue
) -> None:
    lock = threading.Lock()
    executed: Counter[str] = Counter()
    registry: Registry[ActionSpec] = Registry("action")

    def counted(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        with lock:
            executed[context.idempotency_key] += 1
        return {"ok": True}

    registry.register(ActionSpec("test.noop", frozenset(), frozenset({"note"}), counted))
    playbook = publish(catalogue, chain("pg_many", 5))
    starter = build_run_service(database, catalogue, registry, owner="starter")
    run_ids = [starter.start("alice", playbook) for _ in range(12)]
    workers = [build_run_service(database, catalogue, registry, owner=f"pg-w{n}") for n in range(4)]

    def work(service: RunService) -> int:
        total = 0
        while (ran := service.drain(max_steps=10)) > 0:
            total += ran
        return total

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        totals = list(pool.map(work, workers))

    # A worker may end while others still hold the last steps; finish what they left, if anything.
    totals.append(work(starter))
    assert sum(totals) == 12 * 5
    assert len(executed) == 12 * 5
    assert set(executed.values()) == {1}
    assert {starter.get(run_id).status for run_id in run_ids} == {"succeeded"}
