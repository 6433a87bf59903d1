"""sub_playbook steps: a child run per attempt, its end decides the parent step; cycles and depth refused."""

from __future__ import annotations

import itertools

import pytest
from run_support import Calls, Clock, publish
from sqlalchemy import select

from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.storage.db import Database
from socflow.storage.tables_runs import RunRow
from socflow.worker.actors import run_actor
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service
from socflow.worker.sub_runs import MAX_DEPTH, child_run_id

CHILD = """
id: enrich_ip
name: enrich ip
kind: sequential
inputs:
  - {name: ip, required: true}
steps:
  - id: look
    type: action
    action: test.echo
    args: {verdict: "malicious {{ inputs.ip }}"}
    next: done
  - id: done
    type: end
    outcome: enriched
outputs:
  verdict: "{{ steps.look.result.verdict }}"
"""

PARENT = """
id: triage
name: triage
kind: sequential
steps:
  - id: enrich
    type: sub_playbook
    playbook: enrich_ip
    inputs: {ip: 203.0.113.9}
    next: report
  - id: report
    type: action
    action: test.echo
    args: {text: "{{ steps.enrich.result.outputs.verdict }}"}
    next: done
  - id: done
    type: end
    outcome: triaged
"""

FAILING_CHILD = """
id: broken
name: broken
kind: sequential
steps:
  - id: boom
    type: action
    action: test.fail
    args: {code: upstream_down}
"""

CALLS_BROKEN = """
id: caller
name: caller
kind: sequential
steps:
  - id: call
    type: sub_playbook
    playbook: broken
    on_failure: fallback
    next: done
  - id: fallback
    type: action
    action: test.echo
    args: {text: fell back}
    next: done
  - id: done
    type: end
    outcome: over
"""

WAITS = """
id: waits
name: waits
kind: sequential
steps:
  - id: hold
    type: human_task
    instructions: look at it
"""


def _caller(playbook_id: str, callee: str) -> str:
    return (
        f"id: {playbook_id}\nname: {playbook_id}\nkind: sequential\nsteps:\n"
        f"  - id: call\n    type: sub_playbook\n    playbook: {callee}\n"
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def service(database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock) -> RunService:
    return build_run_service(database, catalogue, calls.registry, clock=clock, owner="worker-1")


def _children(database: Database, parent_id: str) -> list[RunRow]:
    with database.session(write=False) as session:
        return list(session.scalars(select(RunRow).where(RunRow.parent_run_id == parent_id)))


def test_sub_runs_child_outputs_become_the_parent_steps_result(
    service: RunService, catalogue: PlaybookCatalogue, database: Database, tracker: Tracker
) -> None:
    case_id = tracker.cases.create("alice", CaseInput(title="c")).id
    publish(catalogue, CHILD)
    run_id = service.start("alice", publish(catalogue, PARENT), case_id=case_id)

    service.drain()

    parent = service.get(run_id)
    [child] = _children(database, run_id)
    assert (parent.status, parent.state["outcome"]) == ("succeeded", "triaged")
    assert (child.status, child.case_id, child.parent_step_id) == ("succeeded", case_id, "enrich")
    assert child.trigger == {"parent": {"run": run_id, "step": "enrich", "playbook": "triage"}}
    assert child.created_by == run_actor("triage", run_id)
    assert child.state["ctx"]["inputs"] == {"ip": "203.0.113.9"}
    enrich = parent.state["steps"]["enrich"]["result"]
    assert enrich["outputs"] == {"verdict": "malicious 203.0.113.9"}
    assert enrich["run_id"] == child.id
    report = next(a for a in service.attempts(run_id) if a.step_id == "report")
    assert report.output == {"text": "malicious 203.0.113.9"}
    kinds = [entry.kind for entry in service.journal(run_id)]
    assert "sub_playbook_started" in kinds
    assert "sub_playbook_finished" in kinds


def test_sub_runs_a_failed_child_fails_the_step_with_its_code(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    publish(catalogue, FAILING_CHILD)
    run_id = service.start("alice", publish(catalogue, CALLS_BROKEN))

    service.drain()

    parent = service.get(run_id)
    assert (parent.status, parent.state["outcome"]) == ("succeeded", "over")
    call = parent.state["steps"]["call"]
    assert call["status"] == "failed"
    assert call["error"]["code"] == "sub_playbook_failed"
    [child] = _children(database, run_id)
    assert f"sub-playbook run {child.id} failed" in call["error"]["message"]
    assert parent.state["steps"]["fallback"]["status"] == "succeeded"


def test_sub_runs_a_retried_attempt_finds_its_child_instead_of_starting_another(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    first = build_run_service(database, catalogue, calls.registry, clock=clock, owner="w1", lease_seconds=60)
    publish(catalogue, CHILD)
    run_id = first.start("alice", publish(catalogue, PARENT))
    lease = first.lease()
    assert lease is not None
    first.execute(lease)  # the child is started; the worker dies before parking the step

    second = build_run_service(database, catalogue, calls.registry, clock=clock, owner="w2", lease_seconds=60)
    clock.advance(600)
    second.drain()

    [child] = _children(database, run_id)
    assert child.id == child_run_id(lease.idempotency_key, lease.attempt)
    assert second.get(run_id).status == "succeeded"
    assert calls.steps["look"] == 1


def test_sub_runs_a_playbook_calling_itself_fails_with_a_cycle(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    run_id = service.start("alice", publish(catalogue, _caller("loop_a", "loop_a")))

    service.drain()

    [attempt] = service.attempts(run_id)
    assert attempt.error_code == "sub_playbook_cycle"
    assert "loop_a -> loop_a" in (attempt.error or "")
    assert _children(database, run_id) == []


def test_sub_runs_an_indirect_cycle_is_refused_where_it_closes(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    publish(catalogue, _caller("ping", "pong"))
    publish(catalogue, _caller("pong", "ping"))
    run_id = service.start("alice", "ping")

    service.drain()

    [child] = _children(database, run_id)
    [inner] = service.attempts(child.id)
    assert inner.error_code == "sub_playbook_cycle"
    assert "ping -> pong -> ping" in (inner.error or "")
    parent = service.get(run_id)
    assert parent.status == "failed"
    assert parent.state["steps"]["call"]["error"]["code"] == "sub_playbook_failed"


def test_sub_runs_nest_at_most_the_depth_limit(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    names = [f"level{n}" for n in range(MAX_DEPTH + 1)]
    for name, callee in itertools.pairwise(names):
        publish(catalogue, _caller(name, callee))
    publish(catalogue, WAITS.replace("id: waits", f"id: {names[-1]}"))
    run_id = service.start("alice", names[0])

    service.drain()

    run, depth = run_id, 1
    while children := _children(database, run):
        run, depth = children[0].id, depth + 1
    assert depth == MAX_DEPTH
    deepest = service.attempts(run)
    assert deepest[0].error_code == "sub_playbook_depth"
    assert service.get(run_id).status == "failed"


def test_sub_runs_an_unpublished_playbook_fails_the_step(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = service.start("alice", publish(catalogue, _caller("calls_ghost", "ghost")))

    service.drain()

    [attempt] = service.attempts(run_id)
    assert attempt.error_code == "not_found"
    assert "ghost" in (attempt.error or "")


def test_sub_runs_cancelling_the_parent_cancels_the_child(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    publish(catalogue, WAITS)
    run_id = service.start("alice", publish(catalogue, _caller("outer", "waits")))
    service.drain()
    [child] = _children(database, run_id)
    assert service.get(child.id).status == "waiting"

    service.cancel("alice", run_id, "false alarm")

    assert service.get(run_id).status == "cancelled"
    cancelled = service.get(child.id)
    assert (cancelled.status, cancelled.state["outcome"]) == ("cancelled", "parent cancelled")
    assert "parent_not_waiting" in [e.kind for e in service.journal(child.id)]


def test_sub_runs_a_cancelled_child_fails_the_parent_step(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    publish(catalogue, WAITS)
    run_id = service.start("alice", publish(catalogue, _caller("outer2", "waits")))
    service.drain()
    [child] = _children(database, run_id)

    service.cancel("bob", child.id)

    parent = service.get(run_id)
    assert parent.status == "failed"
    assert parent.state["steps"]["call"]["error"]["code"] == "sub_playbook_failed"
    assert "cancelled" in parent.state["steps"]["call"]["error"]["message"]


FAN_OUT = """
id: fan_out
name: fan out
kind: sequential
steps:
  - id: each
    type: for_each
    items: "{{ inputs.ips }}"
    concurrency: 2
    do:
      id: enrich
      type: sub_playbook
      playbook: enrich_ip
      inputs: {ip: "{{ item }}"}
    next: done
  - id: done
    type: end
    outcome: fanned
inputs:
  - {name: ips, type: list, required: true}
"""


def test_sub_runs_for_each_item_gets_its_own_child(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    publish(catalogue, CHILD)
    run_id = service.start("alice", publish(catalogue, FAN_OUT), {"ips": ["192.0.2.1", "192.0.2.2"]})

    service.drain()

    parent = service.get(run_id)
    children = _children(database, run_id)
    assert parent.status == "succeeded"
    assert sorted(child.parent_step_id or "" for child in children) == ["enrich[0]", "enrich[1]"]
    results = parent.state["steps"]["each"]["result"]
    assert [r["outputs"]["verdict"] for r in results] == ["malicious 192.0.2.1", "malicious 192.0.2.2"]


INSTANT = """
id: instant
name: instant
kind: sequential
steps:
  - {id: note, type: set, vars: {answer: 42}, next: done}
  - {id: done, type: end, outcome: instant}
outputs:
  answer: "{{ vars.answer }}"
"""


def test_sub_runs_a_child_that_finishes_at_once_decides_the_step_before_it_is_parked(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    publish(catalogue, INSTANT)
    run_id = service.start("alice", publish(catalogue, _caller("calls_instant", "instant")))

    service.drain()

    parent = service.get(run_id)
    [child] = _children(database, run_id)
    assert child.status == "succeeded"
    assert parent.status == "succeeded"
    assert parent.state["steps"]["call"]["result"]["outputs"] == {"answer": 42}
    assert "result_discarded" in [e.kind for e in service.journal(run_id)]
