"""Executor conformance: the inline WorkerLoop and Celery leave every run as the plain `drain` does.

Each scenario runs once on the reference (`RunService.drain` in the test's thread) and once on the
executor under test, each on its own SQLite file; the final run status, outcome, attempts, the
journal's entry kinds (counted, since parallel work may interleave) and the actions' executions per
step must match, and each scenario also checks the facts it is about against the reference.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionContext, ActionSpec
from socflow.playbooks.work import Event
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.loop import WorkerLoop
from socflow.worker.runs import Lease, Outcome, RunService

DEADLINE = 30.0  # seconds an executor gets to reach a state it normally reaches in milliseconds
BROKER_URL = os.environ.get("SOCFLOW_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
LEASE_SECONDS = 60  # a lease runs out after this, the step's timeout and a 30 s margin


class ShiftedClock:
    """Real time plus an offset a scenario moves forward, so backoffs, timers and leases pass at once."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class Calls:
    """The shipped test actions, wrapped to count executions per step and per idempotency key."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: Counter[str] = Counter()
        self.keys: Counter[str] = Counter()
        self.registry: Registry[ActionSpec] = Registry("action")
        for spec in SPECS:
            self.registry.register(dataclasses.replace(spec, handler=self._wrap(spec)))

    def _wrap(self, spec: ActionSpec) -> Any:
        def handler(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
            with self.lock:
                self.steps[context.step_id] += 1
                self.keys[context.idempotency_key] += 1
            return spec.handler(args, context)

        return handler


class SimulatedCrash(Exception):
    """The worker "dies" between executing a step and recording it."""


class CrashingService(RunService):
    """Loses the first result of each step named in `crash_steps`, as a worker killed mid-step would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash_steps: set[str] = set()
        self.crashed = threading.Event()

    def execute(self, lease: Lease) -> Outcome:
        outcome = super().execute(lease)  # the action runs ...
        if lease.step_id in self.crash_steps:  # ... and the worker dies before recording it
            self.crash_steps.discard(lease.step_id)
            self.crashed.set()
            raise SimulatedCrash(f"worker died after executing {lease.step_id}")
        return outcome


class Harness(Protocol):
    service: CrashingService

    def settle(self, until: Callable[[], bool], what: str) -> None: ...

    def nudge(self) -> None: ...

    def close(self) -> None: ...


class DrainHarness:
    """The reference: drain in this thread until nothing is due; a crash is a worker replaced."""

    def __init__(self, service: CrashingService) -> None:
        self.service = service

    def settle(self, until: Callable[[], bool], what: str) -> None:
        while True:
            try:
                if self.service.drain() == 0:
                    break
            except SimulatedCrash:
                continue
        assert until(), f"drain left the run before {what}"

    def nudge(self) -> None:
        pass

    def close(self) -> None:
        pass


class BackgroundHarness:
    """An executor working on its own threads: settling is waiting for the state to arrive."""

    def __init__(self, service: CrashingService, loop: WorkerLoop) -> None:
        self.service = service
        self.loop = loop
        loop.start()

    def settle(self, until: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not until():
            if time.monotonic() > deadline:
                pytest.fail(f"the executor did not reach {what} in {DEADLINE:.0f} s")
            time.sleep(0.02)

    def nudge(self) -> None:
        self.loop.nudge()  # the clock moved: nothing was committed, so nothing rang

    def close(self) -> None:
        assert self.loop.stop(10), "a worker thread was still busy at the end of the scenario"


_BROKER_PROBLEM: dict[str, str | None] = {}


class CeleryHarness(BackgroundHarness):
    """Celery workers in this process (2 threads) on the real RabbitMQ, fed by the dispatcher loop."""

    def __init__(self, service: CrashingService) -> None:
        from celery.contrib.testing.worker import start_worker

        from socflow.worker.celery_executor import BrokerUnavailable, CeleryExecutor

        self.executor = CeleryExecutor(
            lambda: service, BROKER_URL, queue=f"socflow.test.{secrets.token_hex(4)}", republish_seconds=5
        )
        if "broker" not in _BROKER_PROBLEM:  # asked once per session: an absent broker costs one timeout
            try:
                self.executor.check_broker(timeout=3)
                _BROKER_PROBLEM["broker"] = None
            except BrokerUnavailable as exc:
                _BROKER_PROBLEM["broker"] = exc.message
        problem = _BROKER_PROBLEM["broker"]
        if problem is not None:
            self.executor.close()
            if os.environ.get("SOCFLOW_REQUIRE_SERVICES") == "1":
                pytest.fail(f"{problem} (SOCFLOW_REQUIRE_SERVICES=1)", pytrace=False)
            pytest.skip(problem)
        self._worker = start_worker(
            self.executor.app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"
        )
        self._worker.__enter__()
        super().__init__(service, self.executor.dispatcher(poll_seconds=0.05))

    def close(self) -> None:
        try:
            super().close()
        finally:
            # The test worker polls the broker without a timeout: ask it to stop, then wake it with a
            # message it handles as "gone" (no attempt 0), so it notices at once.
            from celery.worker import state

            state.should_terminate = 0
            self.executor.execute_attempt.apply_async((0,), queue=self.executor.queue)
            self._worker.__exit__(None, None, None)
            with self.executor.app.connection_for_write() as connection:
                connection.default_channel.queue_delete(self.executor.queue)
            self.executor.close()


# -- playbooks ------------------------------------------------------------------------------------


def chain(playbook_id: str, count: int) -> str:
    steps = "".join(
        f"  - {{id: s{n}, type: action, action: test.noop, args: {{note: step {n}}}, "
        f"next: {'s' + str(n + 1) if n + 1 < count else 'done'}}}\n"
        for n in range(count)
    )
    head = f"id: {playbook_id}\nname: chain\nkind: sequential\nsteps:\n"
    return head + steps + "  - {id: done, type: end, outcome: finished}\n"


RETRYING = """
id: retrying
name: retrying
kind: sequential
steps:
  - id: flaky
    type: action
    action: test.fail
    args: {code: upstream_down}
    retry: {count: 2, backoff_base: 10m, backoff_max: 10m}
    on_failure: recover
    next: done
  - {id: recover, type: action, action: test.echo, args: {text: recovered}, next: recovered}
  - {id: recovered, type: end, outcome: recovered}
  - {id: done, type: end, outcome: done}
"""

APPROVED = """
id: approved
name: approved block
kind: sequential
steps:
  - {id: approve, type: approval, role: soc_lead, prompt: "block it?", authorizes: block, next: block}
  - {id: block, type: action, action: test.echo, args: {text: blocked}, next: done}
  - {id: done, type: end, outcome: blocked}
"""

PARALLEL = """
id: fanout
name: fan out
kind: sequential
steps:
  - {id: fork, type: parallel, branches: [a, b, c], join: all, next: after}
  - {id: a, type: action, action: test.echo, args: {text: a}}
  - {id: b, type: action, action: test.echo, args: {text: b}}
  - {id: c, type: action, action: test.echo, args: {text: c}}
  - {id: after, type: action, action: test.noop, next: done}
  - {id: done, type: end, outcome: joined}
"""

FOR_EACH = """
id: each
name: for each
kind: sequential
steps:
  - id: each
    type: for_each
    items: '{{ [10, 11, 12, 13, 14, 15] }}'
    concurrency: 2
    do: {id: scan, type: action, action: test.echo, args: {value: '{{ item }}'}}
    next: done
  - {id: done, type: end, outcome: scanned}
"""

TIMER = """
id: timed
name: timed
kind: sequential
steps:
  - {id: pause_a_bit, type: wait, duration: 10m, next: after}
  - {id: after, type: action, action: test.noop, next: done}
  - {id: done, type: end, outcome: waited}
"""


# -- scenarios ------------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    harness: Harness
    service: CrashingService
    catalogue: PlaybookCatalogue
    clock: ShiftedClock
    calls: Calls

    def publish(self, text: str) -> str:
        version = self.catalogue.save_draft("alice", text)
        self.catalogue.publish("alice", version.playbook_id)
        return version.playbook_id

    def status_is(self, run_id: str, *statuses: str) -> Callable[[], bool]:
        return lambda: self.service.get(run_id).status in statuses

    def has_attempt(self, run_id: str, step_id: str, attempt: int, status: str) -> Callable[[], bool]:
        def check() -> bool:
            rows = self.service.attempts(run_id)
            return any((a.step_id, a.attempt, a.status) == (step_id, attempt, status) for a in rows)

        return check

    def later(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.harness.nudge()


def ten_steps(world: World) -> str:
    run_id = world.service.start("alice", world.publish(chain("ten", 10)))
    world.harness.settle(world.status_is(run_id, "succeeded"), "the end of ten steps")
    return run_id


def retry_then_on_failure(world: World) -> str:
    run_id = world.service.start("alice", world.publish(RETRYING))
    world.harness.settle(world.has_attempt(run_id, "flaky", 2, "pending"), "the first retry waiting")
    world.later(700)
    world.harness.settle(world.has_attempt(run_id, "flaky", 3, "pending"), "the second retry waiting")
    world.later(700)
    world.harness.settle(world.status_is(run_id, "succeeded"), "the on_failure path's end")
    return run_id


def approval_then_signal(world: World) -> str:
    run_id = world.service.start("alice", world.publish(APPROVED))
    world.harness.settle(world.has_attempt(run_id, "approve", 1, "waiting"), "the approval waiting")
    assert world.service.get(run_id).status == "waiting"
    world.service.signal("bob", run_id, Event("approved", step_id="approve", roles=("soc_lead",)))
    world.harness.settle(world.status_is(run_id, "succeeded"), "the approved action's end")
    return run_id


def parallel_join(world: World) -> str:
    run_id = world.service.start("alice", world.publish(PARALLEL))
    world.harness.settle(world.status_is(run_id, "succeeded"), "the join")
    return run_id


def for_each_with_concurrency(world: World) -> str:
    run_id = world.service.start("alice", world.publish(FOR_EACH))
    world.harness.settle(world.status_is(run_id, "succeeded"), "every item done")
    return run_id


def crash_mid_step(world: World) -> str:
    world.service.crash_steps.add("s1")
    run_id = world.service.start("alice", world.publish(chain("three", 3)))
    world.harness.settle(world.service.crashed.is_set, "the crash in s1")
    world.harness.settle(world.has_attempt(run_id, "s1", 1, "leased"), "s1 left leased")
    world.later(LEASE_SECONDS + 31)
    world.harness.settle(world.status_is(run_id, "succeeded"), "the run finished by another worker")
    return run_id


def timer_fires(world: World) -> str:
    run_id = world.service.start("alice", world.publish(TIMER))
    world.harness.settle(world.has_attempt(run_id, "pause_a_bit", 1, "pending"), "the timer set")
    world.later(3600)
    world.harness.settle(world.status_is(run_id, "succeeded"), "the step after the timer")
    return run_id


def cancel(world: World) -> str:
    run_id = world.service.start("alice", world.publish(TIMER))
    world.harness.settle(world.has_attempt(run_id, "pause_a_bit", 1, "pending"), "the timer set")
    world.service.cancel("alice", run_id, "false positive")
    world.later(3600)
    # A run started after the cancel finishing shows the executor went through its due work.
    marker = world.service.start("alice", world.publish(chain("marker", 1)))
    world.harness.settle(world.status_is(marker, "succeeded"), "the marker run's end")
    return run_id


Summary = dict[str, Any]


def summary(world: World, run_id: str) -> Summary:
    run = world.service.get(run_id)
    attempts = sorted((a.step_id, a.attempt, a.status, a.error_code) for a in world.service.attempts(run_id))
    outputs = {  # when a timer fired is the one output that differs from run to run
        a.step_id: {k: v for k, v in (a.output or {}).items() if k != "fired_at"}
        for a in world.service.attempts(run_id)
        if a.status == "succeeded"
    }
    return {
        "status": run.status,
        "outcome": run.state.get("outcome"),
        "attempts": attempts,
        "outputs": outputs,
        "journal": Counter(entry.kind for entry in world.service.journal(run_id)),
        "executions": dict(world.calls.steps),
        "keys_run_twice": sorted(n for n in world.calls.keys.values() if n > 1),
    }


def check_ten_steps(s: Summary) -> None:
    assert (s["status"], s["outcome"]) == ("succeeded", "finished")
    assert s["executions"] == {f"s{n}": 1 for n in range(10)}


def check_retry(s: Summary) -> None:
    assert (s["status"], s["outcome"]) == ("succeeded", "recovered")
    flaky = [a for a in s["attempts"] if a[0] == "flaky"]
    assert flaky == [("flaky", n, "failed", "upstream_down") for n in (1, 2, 3)]
    assert s["executions"] == {"flaky": 3, "recover": 1}


def check_approval(s: Summary) -> None:
    assert (s["status"], s["outcome"]) == ("succeeded", "blocked")
    assert s["journal"]["signalled"] == 1
    assert s["executions"] == {"block": 1}


def check_parallel(s: Summary) -> None:
    assert (s["status"], s["outcome"]) == ("succeeded", "joined")
    assert s["executions"] == {"a": 1, "b": 1, "c": 1, "after": 1}


def check_for_each(s: Summary) -> None:
    assert (s["status"], s["outcome"]) == ("succeeded", "scanned")
    assert s["executions"] == {f"scan[{i}]": 1 for i in range(6)}
    assert [s["outputs"][f"scan[{i}]"]["value"] for i in range(6)] == list(range(10, 16))


def check_crash(s: Summary) -> None:
    assert s["status"] == "succeeded"
    assert s["executions"] == {"s0": 1, "s1": 2, "s2": 1}  # only the crashed step ran again
    assert s["keys_run_twice"] == [2]  # ... under its own idempotency key
    assert s["journal"]["lease_expired"] == 1
    assert [a for a in s["attempts"] if a[0] == "s1"] == [("s1", 1, "succeeded", None)]


def check_timer(s: Summary) -> None:
    assert (s["status"], s["outcome"]) == ("succeeded", "waited")
    assert s["executions"] == {"after": 1}


def check_cancel(s: Summary) -> None:
    assert s["status"] == "cancelled"
    assert s["attempts"] == [("pause_a_bit", 1, "cancelled", None)]
    assert s["executions"] == {"s0": 1}  # the marker run's step only; nothing of the cancelled run


SCENARIOS: dict[str, tuple[Callable[[World], str], Callable[[Summary], None]]] = {
    "ten_steps": (ten_steps, check_ten_steps),
    "retry_backoff_on_failure": (retry_then_on_failure, check_retry),
    "approval_signal": (approval_then_signal, check_approval),
    "parallel_join": (parallel_join, check_parallel),
    "for_each_concurrency": (for_each_with_concurrency, check_for_each),
    "crash_mid_step": (crash_mid_step, check_crash),
    "timer_fires": (timer_fires, check_timer),
    "cancel": (cancel, check_cancel),
}


def play(executor: str, scenario: str, path: Path) -> Summary:
    database = Database(f"sqlite:///{path}")
    clock, calls = ShiftedClock(), Calls()
    catalogue = PlaybookCatalogue(database)
    service = CrashingService(
        database,
        catalogue,
        calls.registry,
        clock=clock,
        owner=f"{executor}-worker",
        lease_seconds=LEASE_SECONDS,
    )
    harness: Harness
    try:
        if executor == "drain":
            harness = DrainHarness(service)
        elif executor == "inline":
            harness = BackgroundHarness(service, WorkerLoop.inline(service, threads=2, poll_seconds=0.05))
        else:
            harness = CeleryHarness(service)
    except BaseException:  # a skip for an absent broker, among others
        database.dispose()
        raise
    try:
        world = World(harness, service, catalogue, clock, calls)
        run_id = SCENARIOS[scenario][0](world)
        return summary(world, run_id)
    finally:
        try:
            harness.close()
        finally:
            database.dispose()


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Callable[[str], Summary]:
    """The reference summary of each scenario, played once with `drain` and kept for the module."""
    done: dict[str, Summary] = {}

    def reference(scenario: str) -> Summary:
        if scenario not in done:
            path = tmp_path_factory.mktemp("reference") / "socflow.db"
            shutil.copyfile(template_db, path)
            done[scenario] = play("drain", scenario, path)
            SCENARIOS[scenario][1](done[scenario])
        return done[scenario]

    return reference


EXECUTORS = [
    pytest.param("drain", id="drain"),
    pytest.param("inline", id="inline"),
    pytest.param("celery", id="celery", marks=pytest.mark.integration),
]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("executor", EXECUTORS)
def test_executor_conformance(
    executor: str, scenario: str, references: Callable[[str], Summary], template_db: Path, tmp_path: Path
) -> None:
    expected = references(scenario)
    path = tmp_path / "socflow.db"
    shutil.copyfile(template_db, path)

    got = play(executor, scenario, path)

    SCENARIOS[scenario][1](got)
    assert got == expected
