"""The in-process worker loop: wakes on committed run changes, survives errors, ticks jobs, stops cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import update

from socflow.config import load_settings
from socflow.errors import ConfigError
from socflow.storage.db import Database
from socflow.storage.tables_runs import RunRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.executors import build_executor
from socflow.worker.loop import Periodic, WorkerLoop
from socflow.worker.runs import RunService
from socflow.worker.wakeup import Bell, watch_runs

DEADLINE = 20.0  # seconds a test waits for something that normally takes milliseconds

CHAIN = (
    "id: chain\nname: chain\nkind: sequential\nsteps:\n"
    + "".join(
        f"  - {{id: s{n}, type: action, action: test.noop, next: {'s' + str(n + 1) if n < 4 else 'done'}}}\n"
        for n in range(5)
    )
    + "  - {id: done, type: end, outcome: finished}\n"
)


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def service(database: Database) -> RunService:
    catalogue = PlaybookCatalogue(database)
    catalogue.save_draft("alice", CHAIN)
    catalogue.publish("alice", "chain")
    return RunService(database, catalogue, owner="loop-test")


@pytest.fixture
def loops() -> Iterator[list[WorkerLoop]]:
    started: list[WorkerLoop] = []
    yield started
    for loop in started:
        loop.stop(5)


def test_bell_wait_returns_on_a_ring_after_the_count_seen_and_times_out_otherwise() -> None:
    bell = Bell()
    seen = bell.rings
    assert bell.wait(seen, 0.01) is False
    bell.ring()
    assert bell.wait(seen, 0.01) is True  # the ring came before the wait: not missed
    assert bell.wait(bell.rings, 0.01) is False


def test_loop_executes_a_run_started_after_it_started(service: RunService, loops: list[WorkerLoop]) -> None:
    loop = WorkerLoop.inline(service, threads=2, poll_seconds=0.05)
    loops.append(loop)
    loop.start()

    run_id = service.start("alice", "chain")

    eventually(lambda: service.get(run_id).status == "succeeded", "the run to succeed")
    assert [a.status for a in service.attempts(run_id)] == ["succeeded"] * 5
    assert loop.stats.units == 5
    assert loop.stats.errors == 0


def test_loop_is_woken_by_a_commit_not_by_its_poll(service: RunService, loops: list[WorkerLoop]) -> None:
    # A poll of an hour: only the ring from the committed run start can make it execute in time.
    loop = WorkerLoop.inline(service, threads=1, poll_seconds=3600)
    loops.append(loop)
    loop.start()
    eventually(lambda: loop.running, "the loop to start")
    time.sleep(0.05)  # let the thread find nothing and go to sleep on the bell

    run_id = service.start("alice", "chain")

    eventually(lambda: service.get(run_id).status == "succeeded", "the woken loop to finish the run")


def test_loop_logs_errors_and_keeps_working() -> None:
    outcomes = iter([RuntimeError("database away"), RuntimeError("still away"), 3, 1])
    done = threading.Event()

    def work() -> int:
        outcome = next(outcomes, None)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is None:
            done.set()
            return 0
        return outcome

    loop = WorkerLoop(work, threads=1, poll_seconds=0.01)
    loop.start()
    try:
        assert done.wait(DEADLINE)
        assert (loop.stats.errors, loop.stats.units) == (2, 4)
        assert loop.running
    finally:
        assert loop.stop(5) is True


def test_loop_ticks_periodic_jobs_and_a_failing_one_does_not_stop_the_others() -> None:
    calls: list[str] = []
    ticked = threading.Event()

    def broken() -> int:
        calls.append("broken")
        raise ValueError("bad job")

    def timers() -> int:
        calls.append("timers")
        if calls.count("timers") >= 2:
            ticked.set()
        return 3

    loop = WorkerLoop(lambda: 0, threads=0, tick_seconds=0.01)
    loop.add_periodic("broken", broken)
    loop.add_periodic("timers", timers)
    rings = loop.bell.rings
    loop.start()
    try:
        assert ticked.wait(DEADLINE)
    finally:
        loop.stop(5)
    assert calls[:4] == ["broken", "timers", "broken", "timers"]
    assert loop.stats.periodic_errors >= 2
    assert loop.stats.periodic_done >= 6
    assert loop.bell.rings > rings  # work done by a job wakes the workers


def test_tick_runs_each_job_once_and_returns_what_they_did() -> None:
    loop = WorkerLoop(lambda: 0, periodic=[Periodic("a", lambda: 2), Periodic("b", lambda: 0)])
    assert loop.tick() == 2
    assert loop.stats.ticks == 1


def test_stop_waits_for_the_unit_in_flight_and_reports_one_left_running() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow() -> int:
        entered.set()
        release.wait(DEADLINE)
        return 1

    loop = WorkerLoop(slow, threads=1, poll_seconds=0.01)
    loop.start()
    assert entered.wait(DEADLINE)

    assert loop.stop(0.01) is False  # the unit is still running: abandoned to its lease
    release.set()

    again = WorkerLoop(lambda: 0, threads=2, poll_seconds=3600)
    again.start()
    assert again.stop(5) is True  # idle threads wake for the stop at once, despite the long poll
    assert not again.running


def test_loop_refuses_a_second_start_and_bad_options() -> None:
    loop = WorkerLoop(lambda: 0, threads=1)
    loop.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            loop.start()
        with pytest.raises(RuntimeError, match="before starting"):
            loop.add_periodic("late", lambda: 0)
    finally:
        loop.stop(5)
    with pytest.raises(ValueError, match="poll_seconds"):
        WorkerLoop(lambda: 0, poll_seconds=0)
    with pytest.raises(ValueError, match="threads"):
        WorkerLoop(lambda: 0, threads=-1)


def rolled_back_update(database: Database, run_id: str) -> None:
    with database.session() as session:
        session.execute(update(RunRow).where(RunRow.id == run_id).values(case_id=None))
        raise RuntimeError("rolled back")


def test_watch_runs_rings_after_commits_that_change_runs_only(
    service: RunService, database: Database
) -> None:
    rings: list[int] = []
    stop = watch_runs(database, lambda: rings.append(1))
    try:
        run_id = service.start("alice", "chain")
        assert len(rings) == 1
        with database.session() as session:  # a Core update counts too
            session.execute(update(RunRow).where(RunRow.id == run_id).values(case_id=None))
        assert len(rings) == 2
        with pytest.raises(RuntimeError, match="rolled back"):
            rolled_back_update(database, run_id)
        service.get(run_id)  # reads do not ring
        PlaybookCatalogue(database).save_draft("alice", CHAIN.replace("id: chain", "id: other"))
        assert len(rings) == 2
    finally:
        stop()
    service.start("alice", "chain")
    assert len(rings) == 2  # stopped listening


def test_build_executor_follows_the_settings(database: Database) -> None:
    none = build_executor(load_settings(executor="none"), database)
    assert (none.kind, none.loop) == ("none", None)
    none.start()
    assert none.stop() is True

    inline = build_executor(load_settings(worker_threads=3, worker_poll_ms=20), database)
    assert inline.kind == "inline"
    assert inline.loop is not None
    assert (inline.loop.threads, inline.loop.poll_seconds) == (3, 0.02)
    assert [job.name for job in inline.loop.periodic] == ["timekeeper"]
    inline.start()
    assert inline.loop.running
    assert len(inline.companions) == 1  # the trigger loop starts and stops with it
    assert inline.stop() is True
    assert not inline.loop.running


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("executor", "threads", "SOCFLOW_EXECUTOR"),
        ("worker_threads", 0, "SOCFLOW_WORKER_THREADS"),
        ("worker_poll_ms", 1, "SOCFLOW_WORKER_POLL_MS"),
        ("celery_broker_url", "http://rabbit:5672", "SOCFLOW_CELERY_BROKER_URL"),
        ("celery_queue", "has spaces", "SOCFLOW_CELERY_QUEUE"),
    ],
)
def test_worker_settings_are_checked(setting: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(**{setting: value})


def test_executor_setting_accepts_any_case() -> None:
    assert load_settings(executor="Celery").executor == "celery"
