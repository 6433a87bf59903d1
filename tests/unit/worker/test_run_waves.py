"""Waves: many attempts leased in one transaction and recorded in one more, with every guarantee kept."""

from __future__ import annotations

from collections import Counter

import pytest
from run_support import Calls, Clock, chain, publish
from sqlalchemy.orm import Session

from socflow.errors import NotFound
from socflow.playbooks.work import Event, ResultStatus
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.tables_runs import RunRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.run_start import StartRequest
from socflow.worker.runs import RunService

APPROVED = """
id: approved_wave
name: approved
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

FORK = """
id: fork_wave
name: fork
kind: sequential
steps:
  - {id: fork, type: parallel, branches: [a, b], join: all, next: after}
  - {id: a, type: action, action: test.echo, args: {text: a}}
  - {id: b, type: action, action: test.echo, args: {text: b}}
  - {id: after, type: action, action: test.noop, next: done}
  - {id: done, type: end, outcome: joined}
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


def _assert_gapless(service: RunService, run_id: str) -> list[str]:
    entries = service.journal(run_id)
    assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
    return [entry.kind for entry in entries]


def test_run_wave_takes_one_step_of_every_due_run(service: RunService, catalogue: PlaybookCatalogue) -> None:
    playbook = publish(catalogue, chain("three", 3))
    run_ids = [service.start("alice", playbook) for _ in range(5)]

    assert service.run_wave(64) == 5

    for run_id in run_ids:
        attempts = service.attempts(run_id)
        assert [(a.step_id, a.status) for a in attempts] == [("s0", "succeeded"), ("s1", "pending")]
    assert service.run_wave(64) == 5
    assert service.run_wave(64) == 5
    assert service.run_wave(64) == 0
    assert {service.get(run_id).status for run_id in run_ids} == {"succeeded"}


def test_run_wave_takes_at_most_max_attempts_oldest_first(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    playbook = publish(catalogue, chain("one", 1))
    run_ids = [service.start("alice", playbook) for _ in range(4)]

    assert service.run_wave(2) == 2

    assert [service.get(run_id).status for run_id in run_ids] == [
        "succeeded",
        "succeeded",
        "running",
        "running",
    ]


def test_drain_in_waves_finishes_every_run_with_gapless_journals(
    service: RunService, catalogue: PlaybookCatalogue, calls: Calls
) -> None:
    playbook = publish(catalogue, chain("ten", 10))
    run_ids = [service.start("alice", playbook) for _ in range(12)]

    assert service.drain(max_steps=10_000, wave=8) == 120

    for run_id in run_ids:
        kinds = _assert_gapless(service, run_id)
        assert (kinds[0], kinds[-1]) == ("run_started", "run_status")
        assert Counter(kinds)["step_succeeded"] == 10
        assert service.get(run_id).status == "succeeded"
    assert set(calls.keys.values()) == {1}
    assert len(calls.keys) == 120


def test_drain_stops_at_max_steps_without_holding_leases(
    service: RunService, catalogue: PlaybookCatalogue, database: Database, clock: Clock
) -> None:
    run_id = service.start("alice", publish(catalogue, chain("four", 4)))

    assert service.drain(max_steps=2, wave=4) == 2

    attempts = service.attempts(run_id)
    assert [(a.step_id, a.status) for a in attempts][-1] == ("s2", "pending")
    other = RunService(database, catalogue, clock=clock, owner="worker-2")
    assert other.lease() is not None  # nobody holds s2: another worker takes it at once


def test_drain_refuses_a_wave_below_one(service: RunService) -> None:
    with pytest.raises(ValueError, match="wave"):
        service.drain(wave=0)


def test_result_entries_name_the_lease_and_no_entry_is_written_per_lease(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = service.start("alice", publish(catalogue, chain("two", 2)))

    service.drain()

    entries = service.journal(run_id)
    assert "step_leased" not in [entry.kind for entry in entries]
    done = [entry.data for entry in entries if entry.kind == "step_succeeded"]
    assert [(data["step"], data["lease"], data["owner"]) for data in done] == [
        ("s0", 1, "worker-1"),
        ("s1", 1, "worker-1"),
    ]


def test_crash_mid_wave_reruns_only_the_unrecorded_attempts(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    playbook = publish(catalogue, chain("two", 2))
    first = RunService(database, catalogue, calls.registry, clock=clock, owner="worker-1")
    run_ids = [first.start("alice", playbook) for _ in range(3)]
    assert first.run_wave(64) == 3  # s0 of every run recorded
    leases = first.lease_many(64)
    for lease in leases:
        first.execute(lease)  # s1 ran everywhere; the worker dies before recording the wave
    del first

    second = RunService(database, catalogue, calls.registry, clock=clock, owner="worker-2")
    assert second.drain(wave=64) == 0  # the dead worker's leases have not expired
    clock.advance(600)
    assert second.drain(wave=64) == 3

    assert {second.get(run_id).status for run_id in run_ids} == {"succeeded"}
    assert calls.steps == Counter({"s0": 3, "s1": 6})
    for run_id in run_ids:
        s1 = [a for a in second.attempts(run_id) if a.step_id == "s1"]
        assert [(a.attempt, a.leases, a.lease_owner) for a in s1] == [(1, 2, "worker-2")]
        assert "lease_expired" in _assert_gapless(second, run_id)


def test_complete_many_keeps_live_leases_and_discards_expired_ones(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    playbook = publish(catalogue, chain("one", 1))
    slow = RunService(database, catalogue, calls.registry, clock=clock, owner="slow", lease_seconds=10)
    early, late = slow.start("alice", playbook), slow.start("alice", playbook)
    stale = slow.lease_many(1)
    clock.advance(600)
    fresh = slow.lease_many(2)  # the expired lease is taken again, and the other run's attempt
    assert {lease.run_id for lease in fresh} == {early, late}

    outcome = (ResultStatus.SUCCEEDED, {}, None, None)
    kept = slow.complete_many([(stale[0], outcome), *((lease, outcome) for lease in fresh)])

    assert kept == [False, True, True]
    assert slow.journal(stale[0].run_id)[-1].kind == "run_status"
    assert "result_discarded" in _assert_gapless(slow, stale[0].run_id)
    assert {slow.get(run_id).status for run_id in (early, late)} == {"succeeded"}


def test_two_branches_of_one_run_are_recorded_in_the_same_wave(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = service.start("alice", publish(catalogue, FORK))

    assert service.run_wave(64) == 2
    assert [(a.step_id, a.status) for a in service.attempts(run_id)] == [
        ("a", "succeeded"),
        ("b", "succeeded"),
        ("after", "pending"),
    ]
    assert service.run_wave(64) == 1

    assert (service.get(run_id).status, service.get(run_id).state["outcome"]) == ("succeeded", "joined")
    _assert_gapless(service, run_id)


def test_a_state_cached_by_one_service_is_not_used_after_another_changed_the_run(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    worker = RunService(database, catalogue, calls.registry, clock=clock, owner="worker-1")
    operator = RunService(database, catalogue, calls.registry, clock=clock, owner="api")
    run_id = worker.start("alice", publish(catalogue, APPROVED))
    assert len(worker.states) == 1  # the worker's cache holds the state it wrote

    operator.signal("bob", run_id, Event("approved", step_id="approve", roles=("soc_lead",)))

    assert worker.drain(wave=8) == 1  # the block step the approval released, seen through the cache
    run = worker.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "blocked")
    assert worker.states.misses >= 1
    _assert_gapless(worker, run_id)


def test_finishing_hooks_run_once_per_run_finished_in_a_wave(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    finished: list[tuple[str, str]] = []

    def hook(session: Session, run: RunRow) -> None:
        finished.append((run.id, run.status))

    service.on_finished.append(hook)
    playbook = publish(catalogue, chain("one", 1))
    run_ids = [service.start("alice", playbook) for _ in range(3)]

    assert service.run_wave(64) == 3

    assert sorted(finished) == sorted((run_id, "succeeded") for run_id in run_ids)


def test_start_many_starts_every_run_in_one_transaction_with_an_audit_entry_each(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    three, one = publish(catalogue, chain("three", 3)), publish(catalogue, chain("one", 1))

    run_ids = service.start_many(
        "alice",
        [StartRequest(three), StartRequest(one, trigger={"alert": {"id": "a1"}}), StartRequest(three)],
    )

    assert len(set(run_ids)) == 3
    assert [service.get(run_id).playbook_id for run_id in run_ids] == [three, one, three]
    assert service.get(run_ids[1]).trigger == {"alert": {"id": "a1"}}
    with database.session(write=False) as session:
        actions = [[(e.action, e.actor) for e in audit.entries_for(session, "run", r)] for r in run_ids]
    assert actions == [[("started", "alice")]] * 3
    assert service.drain(wave=8) == 7


def test_start_many_starts_none_when_one_request_is_bad(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    playbook = publish(catalogue, chain("two", 2))

    with pytest.raises(NotFound, match="no_such_playbook"):
        service.start_many("alice", [StartRequest(playbook), StartRequest("no_such_playbook")])

    assert service.list() == []
    assert service.start_many("alice", []) == []
