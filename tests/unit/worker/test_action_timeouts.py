"""Step timeouts during an action: the worker stops waiting at the deadline, cooperative actions see it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionContext, ActionFailed, ActionSpec
from socflow.playbooks.work import ResultStatus
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.worker.action_runner import abandoned_actions, run_action
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService

CONTEXT = ActionContext("run-1", "step-1", 1, "k" * 64)


class Gate:
    """Handlers that block until the test lets them go, and record the context they were given."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.contexts: list[ActionContext] = []
        self.threads: list[str] = []

    def blocking(self, args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        self.contexts.append(context)
        self.threads.append(threading.current_thread().name)
        self.release.wait(10)
        return {"late": True}

    def quick(self, args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        self.contexts.append(context)
        self.threads.append(threading.current_thread().name)
        return {"remaining": context.remaining()}


@pytest.fixture
def gate() -> Iterator[Gate]:
    found = Gate()
    yield found
    found.release.set()  # let abandoned handlers finish


@pytest.fixture
def registry(gate: Gate) -> Registry[ActionSpec]:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        registry.register(spec)
    registry.register(ActionSpec("test.block", frozenset(), frozenset(), gate.blocking))
    registry.register(ActionSpec("test.quick", frozenset(), frozenset(), gate.quick))

    def raises(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        if args.get("kind") == "builtin":
            raise TimeoutError("read timed out")
        if args.get("kind") == "failed":
            raise ActionFailed("upstream took too long", reason="timeout")
        raise RuntimeError("bug")

    registry.register(ActionSpec("test.raises", frozenset(), frozenset({"kind"}), raises))
    return registry


def test_action_past_its_timeout_is_timed_out_and_abandoned(
    registry: Registry[ActionSpec], gate: Gate
) -> None:
    before = abandoned_actions()

    status, output, error, code = run_action(registry, "test.block", {}, CONTEXT, 0.05)

    assert (status, output, code) == (ResultStatus.TIMED_OUT, {}, "timeout")
    assert error == "test.block did not finish within 0.05s"
    assert abandoned_actions() == before + 1
    gate.release.set()
    for _ in range(200):
        if abandoned_actions() == before:
            break
        threading.Event().wait(0.01)
    assert abandoned_actions() == before


def test_handler_gets_the_deadline_and_runs_in_its_own_thread(
    registry: Registry[ActionSpec], gate: Gate
) -> None:
    started = datetime.now(UTC)
    status, output, _, _ = run_action(registry, "test.quick", {}, CONTEXT, 30.0)

    assert status is ResultStatus.SUCCEEDED
    [context] = gate.contexts
    assert context.deadline is not None
    assert started + timedelta(seconds=29) < context.deadline <= datetime.now(UTC) + timedelta(seconds=30)
    assert 0 < output["remaining"] <= 30
    assert gate.threads[0].startswith("socflow-action:test.quick:step-1")


def test_without_timeout_the_handler_runs_inline_with_no_deadline(
    registry: Registry[ActionSpec], gate: Gate
) -> None:
    status, output, _, _ = run_action(registry, "test.quick", {}, CONTEXT, None)
    assert (status, output) == (ResultStatus.SUCCEEDED, {"remaining": None})
    assert gate.threads == [threading.current_thread().name]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("builtin", ResultStatus.TIMED_OUT, "timeout"),
        ("failed", ResultStatus.TIMED_OUT, "timeout"),
        ("bug", ResultStatus.FAILED, "action_error"),
    ],
)
def test_handler_errors_map_to_results(
    registry: Registry[ActionSpec], kind: str, status: ResultStatus, code: str
) -> None:
    for timeout in (None, 5.0):
        got = run_action(registry, "test.raises", {"kind": kind}, CONTEXT, timeout)
        assert (got[0], got[3]) == (status, code)


def test_unknown_action_fails_with_a_code(registry: Registry[ActionSpec]) -> None:
    status, _, error, code = run_action(registry, "test.nope", {}, CONTEXT, 1.0)
    assert (status, code) == (ResultStatus.FAILED, "not_found")
    assert error is not None
    assert "test.nope" in error


def test_context_remaining_counts_down_and_never_goes_negative() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    context = ActionContext("r", "s", 1, "k", deadline=now + timedelta(seconds=5))
    assert context.remaining(now) == 5
    assert context.remaining(now + timedelta(seconds=9)) == 0
    assert CONTEXT.remaining() is None


def test_test_sleep_honours_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    import socflow.actions.builtin_test as builtin

    slept: list[float] = []
    monkeypatch.setattr(builtin, "pause", slept.append)
    sleep = next(spec for spec in SPECS if spec.name == "test.sleep")
    soon = ActionContext("r", "s", 1, "k", deadline=datetime.now(UTC) + timedelta(seconds=1))

    with pytest.raises(ActionFailed) as failed:
        sleep.handler({"seconds": 4}, soon)

    assert failed.value.reason == "timeout"
    assert len(slept) == 1
    assert 0 < slept[0] <= 1
    assert sleep.handler({"seconds": 0.5}, CONTEXT) == {"slept": 0.5}


TIMED = """
id: timed_action
name: timed action
kind: sequential
steps:
  - id: call
    type: action
    action: test.block
    timeout: 50ms
    retry: {count: 1, backoff_base: 1ms, backoff_max: 1ms}
    retry_on: [timeout]
    on_failure: fallback
    next: done
  - {id: fallback, type: end, outcome: gave_up}
  - {id: done, type: end, outcome: done}
"""


def test_run_step_timeout_retries_then_takes_on_failure(
    database: Database, registry: Registry[ActionSpec], gate: Gate
) -> None:
    catalogue = PlaybookCatalogue(database)
    version = catalogue.save_draft("alice", TIMED)
    catalogue.publish("alice", version.playbook_id)
    service = RunService(database, catalogue, registry, owner="worker-1")
    run_id = service.start("alice", version.playbook_id)

    for _ in range(20):
        service.drain()
        if service.get(run_id).status == "succeeded":
            break
        threading.Event().wait(0.01)  # the retry's 1ms backoff

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "gave_up")
    assert run.state["steps"]["call"]["status"] == "timed_out"
    tries = service.attempts(run_id)
    assert [(a.attempt, a.status, a.error_code, a.timeout_seconds) for a in tries] == [
        (1, "failed", "timeout", 0.05),
        (2, "failed", "timeout", 0.05),
    ]
    assert len(gate.contexts) == 2
