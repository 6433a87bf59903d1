"""A while loop through the durable RunService: every iteration persisted as its own attempt, then done."""

from __future__ import annotations

import pytest
import run_support
from run_support import Clock

from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService

POLLING = """
id: polling
name: polling
kind: sequential
steps:
  - id: loop
    type: while
    condition: "'poll' not in steps or steps.poll.result.value < 3"
    do: poll
    max_iterations: 10
    next: done
  - id: poll
    type: action
    action: test.echo
    args: {value: "{{ steps.loop.result.iterations }}"}
  - id: done
    type: end
    outcome: polled
"""


@pytest.fixture
def calls() -> run_support.Calls:
    return run_support.Calls()


@pytest.fixture
def service(database: Database, calls: run_support.Calls) -> RunService:
    return RunService(database, PlaybookCatalogue(database), calls.registry, clock=Clock(), owner="worker-1")


def test_run_while_loop_persists_each_iteration_and_finishes(
    service: RunService, database: Database, calls: run_support.Calls
) -> None:
    run_id = service.start("alice", run_support.publish(PlaybookCatalogue(database), POLLING))

    ran = service.drain()

    run = service.get(run_id)
    assert (run.status, run.state["outcome"], ran) == ("succeeded", "polled", 3)
    polls = [a for a in service.attempts(run_id) if a.step_id == "poll"]
    assert [a.status for a in polls] == ["succeeded"] * 3
    assert len({a.idempotency_key for a in polls}) == 3
    assert run.state["steps"]["poll"]["result"] == {"value": 3}
    assert run.state["steps"]["loop"]["result"] == {"iterations": 3}
    assert calls.steps["poll"] == 3
