"""The Celery executor without a broker: what the task does with a message, and what gets published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from run_support import StillClock

from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.celery_executor import TASK_NAME, CeleryExecutor, due_attempts, shown_broker
from socflow.worker.runs import RunService

PLAYBOOK = """
id: fork
name: fork
kind: sequential
steps:
  - {id: split, type: parallel, branches: [a, b], join: all, next: done}
  - {id: a, type: action, action: test.noop}
  - {id: b, type: action, action: test.noop}
  - {id: done, type: end, outcome: ok}
"""


@pytest.fixture
def clock() -> StillClock:
    return StillClock()


@pytest.fixture
def service(database: Database, clock: StillClock) -> RunService:
    catalogue = PlaybookCatalogue(database)
    catalogue.save_draft("alice", PLAYBOOK)
    catalogue.publish("alice", "fork")
    return RunService(database, catalogue, clock=clock, owner="celery-test", lease_seconds=60)


@pytest.fixture
def executor(service: RunService, monkeypatch: pytest.MonkeyPatch) -> tuple[CeleryExecutor, list[int]]:
    """An executor whose publishing is recorded instead of sent (no broker is contacted)."""
    celery = CeleryExecutor(lambda: service, "amqp://guest:guest@127.0.0.1:1//", republish_seconds=3600)
    sent: list[int] = []

    def apply_async(args: tuple[Any, ...], **options: Any) -> None:
        assert options["queue"] == "socflow.steps"
        sent.append(args[0])

    monkeypatch.setattr(celery.execute_attempt, "apply_async", apply_async)
    return celery, sent


def test_celery_app_is_configured_for_late_acks_and_no_results(
    executor: tuple[CeleryExecutor, list[int]],
) -> None:
    celery, _ = executor
    conf = celery.app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert conf.task_ignore_result is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"]
    assert TASK_NAME in celery.app.tasks


def test_publish_due_sends_each_due_attempt_once(
    executor: tuple[CeleryExecutor, list[int]], service: RunService
) -> None:
    celery, sent = executor
    run_id = service.start("alice", "fork")
    ids = [a.id for a in service.attempts(run_id)]

    assert celery.publish_due() == 2
    assert celery.publish_due() == 0  # already published, and not yet a lease time ago
    assert sorted(sent) == sorted(ids)


def test_publish_due_sends_again_once_a_lease_expired(
    executor: tuple[CeleryExecutor, list[int]], service: RunService, clock: StillClock
) -> None:
    celery, sent = executor
    run_id = service.start("alice", "fork")
    assert celery.publish_due() == 2
    lease = service.lease(run_id)  # a worker takes one, then dies
    assert lease is not None
    assert celery.publish_due() == 0

    clock.at += timedelta(seconds=600)

    assert celery.publish_due() == 1  # the expired lease makes it due under a new lease count
    assert sent[-1] == lease.attempt_id


def test_task_executes_the_attempt_and_publishes_what_became_due(
    executor: tuple[CeleryExecutor, list[int]], service: RunService
) -> None:
    celery, sent = executor
    run_id = service.start("alice", "fork")
    first, second = (a.id for a in service.attempts(run_id))

    assert celery.execute_attempt(first) == "done"
    assert sent == [second]  # the run's other due attempt, published right after
    assert celery.execute_attempt(second) == "done"
    assert celery.execute_attempt(second) == "not_due"  # a duplicate delivery does nothing

    assert service.get(run_id).status == "succeeded"
    assert [a.leases for a in service.attempts(run_id)] == [1, 1]


@pytest.mark.parametrize(("message", "result"), [(999_999, "gone"), ("12", "malformed"), (True, "malformed")])
def test_task_ignores_unknown_and_malformed_messages(
    executor: tuple[CeleryExecutor, list[int]], message: object, result: str
) -> None:
    celery, _ = executor
    assert celery.execute_attempt(message) == result


def test_due_attempts_skips_paused_runs(service: RunService, database: Database, clock: StillClock) -> None:
    run_id = service.start("alice", "fork")
    service.pause("alice", run_id)
    with database.session(write=False) as session:
        assert due_attempts(session, clock()) == []
    service.resume("alice", run_id)
    with database.session(write=False) as session:
        assert len(due_attempts(session, clock(), run_id)) == 2


def test_shown_broker_masks_the_password() -> None:
    assert shown_broker("amqp://socflow:s3cret@rabbit:5672//") == "amqp://socflow:**@rabbit:5672//"
