"""Durable runs: each move persisted, steps leased and recorded, crashes resumed without repeating work."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import run_support
from run_support import Clock

from socflow.actions.registry import ActionContext, ActionFailed, ActionSpec
from socflow.errors import Forbidden, InvalidTransition, NotFound
from socflow.playbooks.work import Event
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService


class Calls(run_support.Calls):
    """The counted test actions, plus `test.flaky`, which fails until called with `ok`."""

    def __init__(self) -> None:
        super().__init__()
        self.registry.register(ActionSpec("test.flaky", frozenset(), frozenset({"ok"}), self._flaky))

    def _flaky(self, args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        self.steps[context.step_id] += 1
        if not args.get("ok"):
            raise ActionFailed("not ok", reason="flaky")
        return {"ok": True}


_chain = run_support.chain


RETRYING = """
id: retrying
name: retrying
kind: sequential
steps:
  - id: flaky
    type: action
    action: test.fail
    args: {code: upstream_down}
    retry: {count: 2, backoff_base: 1s, backoff_max: 1s}
    on_failure: recover
    next: done
  - id: recover
    type: action
    action: test.echo
    args: {text: recovered}
    next: recovered
  - id: recovered
    type: end
    outcome: recovered
  - id: done
    type: end
    outcome: done
"""

APPROVED = """
id: approved_block
name: approved block
kind: sequential
steps:
  - id: approve
    type: approval
    role: soc_lead
    prompt: block it?
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

FLAKY = """
id: flaky_once
name: flaky
kind: sequential
steps:
  - id: call
    type: action
    action: test.flaky
    args: {ok: false}
    next: done
  - id: done
    type: end
    outcome: called
"""

TIMER = """
id: timed
name: timed
kind: sequential
steps:
  - id: pause_a_bit
    type: wait
    duration: 10m
    next: after
  - id: after
    type: action
    action: test.noop
    next: done
  - id: done
    type: end
    outcome: waited
"""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


@pytest.fixture
def service(database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock) -> RunService:
    return RunService(database, catalogue, calls.registry, clock=clock, owner="worker-1")


_publish = run_support.publish


def test_runs_ten_step_playbook_of_noops_succeeds(service: RunService, catalogue: PlaybookCatalogue) -> None:
    run_id = service.start("alice", _publish(catalogue, _chain("ten", 10)))

    ran = service.drain()

    run = service.get(run_id)
    assert ran == 10
    assert (run.status, run.state["outcome"]) == ("succeeded", "finished")
    assert [a.step_id for a in service.attempts(run_id)] == [f"s{n}" for n in range(10)]
    assert {a.status for a in service.attempts(run_id)} == {"succeeded"}
    kinds = [entry.kind for entry in service.journal(run_id)]
    assert kinds[0] == "run_started"
    assert kinds[-1] == "run_status"
    assert [entry.seq for entry in service.journal(run_id)] == list(range(1, len(kinds) + 1))


def test_runs_start_persists_the_first_attempt_and_an_audit_entry(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    run_id = service.start("alice", _publish(catalogue, _chain("two", 2)))

    attempts = service.attempts(run_id)
    assert [(a.step_id, a.status, a.attempt) for a in attempts] == [("s0", "pending", 1)]
    assert len(attempts[0].idempotency_key) == 64
    with database.session(write=False) as session:
        entries = audit.entries_for(session, "run", run_id)
    assert [(e.action, e.actor) for e in entries] == [("started", "alice")]


def test_runs_failing_step_retries_then_takes_the_on_failure_path(
    service: RunService, catalogue: PlaybookCatalogue, calls: Calls
) -> None:
    run_id = service.start("alice", _publish(catalogue, RETRYING))

    service.drain()

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "recovered")
    tries = [a for a in service.attempts(run_id) if a.step_id == "flaky"]
    assert [(a.attempt, a.status, a.error_code) for a in tries] == [
        (1, "failed", "upstream_down"),
        (2, "failed", "upstream_down"),
        (3, "failed", "upstream_down"),
    ]
    assert len({a.idempotency_key for a in tries}) == 1
    assert calls.steps == Counter({"flaky": 3, "recover": 1})


def test_runs_retry_waits_for_its_backoff(
    service: RunService, catalogue: PlaybookCatalogue, clock: Clock
) -> None:
    slow = RETRYING.replace("backoff_base: 1s, backoff_max: 1s", "backoff_base: 10m, backoff_max: 10m")
    run_id = service.start("alice", _publish(catalogue, slow))

    service.step()
    pending = [a for a in service.attempts(run_id) if a.status == "pending"]

    first_finished = service.attempts(run_id)[0].finished_at
    assert [(a.step_id, a.attempt) for a in pending] == [("flaky", 2)]
    assert first_finished is not None
    assert pending[0].not_before > first_finished
    assert service.step() is None  # not due yet: the backoff is at least 5 minutes
    clock.advance(600)
    assert service.step() is not None


def test_runs_crash_mid_step_retries_it_under_the_same_key_and_skips_completed_steps(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    first = RunService(database, catalogue, calls.registry, clock=clock, owner="worker-1", lease_seconds=60)
    run_id = first.start("alice", _publish(catalogue, _chain("three", 3)))
    first.step()
    lease = first.lease()
    assert lease is not None
    assert lease.step_id == "s1"
    first.execute(lease)  # the action ran; the worker dies before recording it
    del first

    second = RunService(database, catalogue, calls.registry, clock=clock, owner="worker-2", lease_seconds=60)
    assert second.drain() == 0  # the dead worker's lease has not expired yet
    clock.advance(600)
    assert second.drain() == 2

    run = second.get(run_id)
    assert run.status == "succeeded"
    assert calls.steps == Counter({"s0": 1, "s1": 2, "s2": 1})
    s1 = [a for a in second.attempts(run_id) if a.step_id == "s1"]
    assert [(a.attempt, a.leases, a.lease_owner, a.status) for a in s1] == [(1, 2, "worker-2", "succeeded")]
    assert calls.keys[("test.noop", s1[0].idempotency_key)] == 2
    assert "lease_expired" in [entry.kind for entry in second.journal(run_id)]


def test_runs_late_result_of_an_expired_lease_is_discarded(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    slow = RunService(database, catalogue, calls.registry, clock=clock, owner="slow", lease_seconds=10)
    run_id = slow.start("alice", _publish(catalogue, _chain("one", 1)))
    lease = slow.lease()
    assert lease is not None
    clock.advance(600)
    fast = RunService(database, catalogue, calls.registry, clock=clock, owner="fast")
    assert fast.drain() == 1

    kept = slow.complete(lease, slow.execute(lease))

    assert kept is False
    assert fast.get(run_id).status == "succeeded"
    assert [a.status for a in fast.attempts(run_id)] == ["succeeded"]
    assert fast.journal(run_id)[-1].kind == "result_discarded"


def test_runs_approval_waits_until_another_person_signals(
    service: RunService, catalogue: PlaybookCatalogue, calls: Calls
) -> None:
    run_id = service.start("alice", _publish(catalogue, APPROVED))

    assert service.drain() == 0
    assert service.get(run_id).status == "waiting"
    assert [(a.step_id, a.status) for a in service.attempts(run_id)] == [("approve", "waiting")]
    with pytest.raises(Forbidden):
        service.signal("alice", run_id, Event("approved", step_id="approve", roles=("soc_lead",)))

    with pytest.raises(Forbidden):
        service.signal("carol", run_id, Event("approved", step_id="approve"))
    service.signal("bob", run_id, Event("approved", step_id="approve", roles=("soc_lead",)))
    service.drain()

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "blocked")
    assert [(a.step_id, a.status) for a in service.attempts(run_id)] == [
        ("approve", "succeeded"),
        ("block", "succeeded"),
    ]
    signalled = [e for e in service.journal(run_id) if e.kind == "signalled"]
    assert [(e.actor, e.data["event"]) for e in signalled] == [("bob", "approved")]


def test_runs_pause_holds_work_and_resume_continues(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = service.start("alice", _publish(catalogue, _chain("four", 4)))
    service.step()

    assert service.pause("alice", run_id).status == "paused"
    assert service.drain() == 0
    assert service.resume("alice", run_id).status == "running"
    assert service.drain() == 3
    assert service.get(run_id).status == "succeeded"


def test_runs_cancel_closes_open_attempts_and_refuses_resume(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = service.start("alice", _publish(catalogue, _chain("five", 5)))

    assert service.cancel("alice", run_id).status == "cancelled"

    assert service.drain() == 0
    assert [a.status for a in service.attempts(run_id)] == ["cancelled"]
    with pytest.raises(InvalidTransition):
        service.resume("alice", run_id)


def test_runs_retry_from_the_failed_step_with_new_args_succeeds(
    service: RunService, catalogue: PlaybookCatalogue, calls: Calls
) -> None:
    run_id = service.start("alice", _publish(catalogue, FLAKY))
    service.drain()
    assert service.get(run_id).status == "failed"

    service.retry_from("alice", run_id, "call", {"ok": True})
    service.drain()

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "called")
    tries = [a for a in service.attempts(run_id) if a.step_id == "call"]
    assert [(a.status, a.args) for a in tries] == [("failed", {"ok": False}), ("succeeded", {"ok": True})]
    assert tries[0].idempotency_key != tries[1].idempotency_key
    assert calls.steps["call"] == 2


def test_runs_timer_fires_when_due_even_if_late(
    service: RunService, catalogue: PlaybookCatalogue, clock: Clock
) -> None:
    run_id = service.start("alice", _publish(catalogue, TIMER))

    assert service.drain() == 0
    clock.advance(3600)  # the worker was down past the due time
    assert service.drain() == 2

    assert service.get(run_id).status == "succeeded"


def test_runs_unknown_action_fails_the_step_with_a_code(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    text = _chain("unknown", 1).replace("test.noop", "test.missing")
    run_id = service.start("alice", _publish(catalogue, text))

    service.drain()

    assert service.get(run_id).status == "failed"
    assert [a.error_code for a in service.attempts(run_id)] == ["not_found"]


def test_runs_start_without_a_published_version_is_not_found(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    catalogue.save_draft("alice", _chain("draft_only", 1))

    with pytest.raises(NotFound):
        service.start("alice", "draft_only")
    assert service.list() == []


def test_runs_list_filters_by_status(service: RunService, catalogue: PlaybookCatalogue) -> None:
    done = service.start("alice", _publish(catalogue, _chain("six", 1)))
    service.drain()
    waiting = service.start("alice", _publish(catalogue, APPROVED))

    assert [r.id for r in service.list(status="succeeded")] == [done]
    assert [r.id for r in service.list(status="waiting")] == [waiting]
    assert {r.id for r in service.list()} == {done, waiting}
