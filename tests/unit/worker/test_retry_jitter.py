"""Stored retries: each run's retry waits its own jittered backoff, within the documented bounds."""

from __future__ import annotations

import pytest
from run_support import Calls, Clock, publish

from socflow.playbooks.work import RetryPolicy, backoff_delay
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService

ALWAYS_FAILING = """
id: always_failing
name: always failing
kind: sequential
steps:
  - id: fail
    type: action
    action: test.fail
    args: {code: upstream_down}
    retry: {count: 1, backoff_base: 10m, backoff_max: 10m}
    next: done
  - id: done
    type: end
"""
POLICY = RetryPolicy(count=1, backoff_base=600.0, backoff_max=600.0)


@pytest.fixture
def service(database: Database) -> RunService:
    return RunService(database, PlaybookCatalogue(database), Calls().registry, clock=Clock(), owner="w1")


def first_backoff(service: RunService, playbook_id: str) -> tuple[float, str]:
    """Start a run, let its first attempt fail: the retry's wait in seconds and the step's key."""
    run_id = service.start("alice", playbook_id)
    service.step(run_id)
    failed, retry = service.attempts(run_id)
    assert (failed.status, retry.status, retry.attempt) == ("failed", "pending", 2)
    assert failed.finished_at is not None
    assert retry.idempotency_key == failed.idempotency_key
    return (retry.not_before - failed.finished_at).total_seconds(), retry.idempotency_key


def test_each_runs_retry_waits_a_different_jittered_backoff(service: RunService) -> None:
    playbook_id = publish(service.catalogue, ALWAYS_FAILING)

    waits = [first_backoff(service, playbook_id) for _ in range(20)]

    seconds = [wait for wait, _ in waits]
    assert all(300.0 <= wait <= 600.0 for wait in seconds)  # 10m with jitter in [50%, 100%]
    assert len(set(seconds)) >= 10
    # The worker waits exactly what the conductor derived from the step's key.
    for wait, key in waits:
        assert wait == pytest.approx(backoff_delay(POLICY, key, 2), abs=0.001)
