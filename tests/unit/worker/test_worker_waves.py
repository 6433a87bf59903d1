"""The inline worker executes waves: SOCFLOW_WORKER_WAVE, and a slow wave gives back what it did not start."""

from __future__ import annotations

import pytest
from run_support import Calls, Clock, chain, publish

from socflow.config import load_settings
from socflow.errors import ConfigError
from socflow.storage.db import Database
from socflow.worker import run_batch as batch
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.executors import build_executor
from socflow.worker.loop import WorkerLoop
from socflow.worker.runs import RunService


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


def _service(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock, **kw: float
) -> RunService:
    return RunService(database, catalogue, calls.registry, clock=clock, owner="worker-1", **kw)


def test_a_wave_past_its_lease_time_gives_back_the_leases_it_did_not_start(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    slow = _service(database, catalogue, calls, clock, lease_seconds=0.0)  # every step "takes too long"
    run_ids = [slow.start("alice", publish(catalogue, chain("one", 1)))]
    run_ids += [slow.start("alice", "one") for _ in range(2)]

    assert slow.run_wave(8) == 1  # the first lease always runs

    statuses = [slow.get(run_id).status for run_id in run_ids]
    assert statuses == ["succeeded", "running", "running"]
    for run_id in run_ids[1:]:
        (attempt,) = slow.attempts(run_id)
        assert (attempt.status, attempt.lease_owner, attempt.leases) == ("pending", None, 1)
    assert sum(calls.keys.values()) == 1
    other = RunService(database, catalogue, calls.registry, clock=clock, owner="worker-2")
    assert other.drain(max_steps=10, wave=8) == 2  # due again at once, without waiting for expiry
    assert set(calls.keys.values()) == {1}
    assert {other.get(run_id).status for run_id in run_ids} == {"succeeded"}


def test_drain_ends_after_a_slow_wave(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    slow = _service(database, catalogue, calls, clock, lease_seconds=0.0)
    playbook = publish(catalogue, chain("two", 2))
    for _ in range(3):
        slow.start("alice", playbook)

    assert slow.drain(max_steps=100, wave=8) == 1


def test_giving_back_leaves_a_lease_another_worker_took_since(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    first = _service(database, catalogue, calls, clock, lease_seconds=1.0)
    run_id = first.start("alice", publish(catalogue, chain("one", 1)))
    (mine,) = first.lease_many(4)
    clock.advance(3600)  # the lease expired
    second = RunService(database, catalogue, calls.registry, clock=clock, owner="worker-2")
    (theirs,) = second.lease_many(4)
    assert theirs.number == mine.number + 1

    with database.session() as session:
        writes = batch.Writes(clock())
        batch.give_back(writes, mine)
        writes.flush(session)

    (attempt,) = first.attempts(run_id)
    assert (attempt.status, attempt.lease_owner, attempt.leases) == ("leased", "worker-2", 2)


def test_the_inline_loop_executes_up_to_two_waves_per_unit(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    service = _service(database, catalogue, calls, clock)
    playbook = publish(catalogue, chain("one", 1))
    run_ids = [service.start("alice", playbook) for _ in range(10)]
    settings = load_settings(worker_wave=3, worker_threads=1)
    executor = build_executor(settings, database, service=service)
    assert executor.loop is not None

    assert executor.loop.work() == 6  # not started: call one unit by hand
    assert executor.loop.work() == 4
    assert executor.loop.work() == 0
    assert {service.get(run_id).status for run_id in run_ids} == {"succeeded"}
    assert set(calls.keys.values()) == {1}


def test_the_wave_setting_and_argument_are_checked(
    database: Database, catalogue: PlaybookCatalogue, calls: Calls, clock: Clock
) -> None:
    with pytest.raises(ConfigError, match="SOCFLOW_WORKER_WAVE"):
        load_settings(worker_wave=0)
    with pytest.raises(ValueError, match="wave must be at least 1"):
        WorkerLoop.inline(_service(database, catalogue, calls, clock), wave=0)
