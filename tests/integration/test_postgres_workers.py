"""Two worker processes' loops on one PostgreSQL database: every step runs exactly once, every run ends."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from typing import Any

import pytest

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionContext, ActionSpec
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.loop import WorkerLoop
from socflow.worker.runs import RunService

pytestmark = pytest.mark.integration

RUNS = 20
STEPS = 5
DEADLINE = 60.0

FORK = (
    "id: forked\nname: forked\nkind: sequential\nsteps:\n"
    "  - {id: split, type: parallel, branches: [a, b, c], join: all, next: tail}\n"
    + "".join(f"  - {{id: {name}, type: action, action: test.noop}}\n" for name in "abc")
    + "".join(
        f"  - {{id: {'tail' if n == 0 else f't{n}'}, type: action, action: test.noop, "
        f"next: {'t' + str(n + 1) if n + 1 < STEPS - 3 else 'done'}}}\n"
        for n in range(STEPS - 3)
    )
    + "  - {id: done, type: end, outcome: ok}\n"
)


def counting_registry(keys: Counter[str], lock: threading.Lock) -> Registry[ActionSpec]:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:

        def handler(args: dict[str, Any], context: ActionContext, spec: ActionSpec = spec) -> dict[str, Any]:
            with lock:
                keys[context.idempotency_key] += 1
            return spec.handler(args, context)

        registry.register(dataclasses.replace(spec, handler=handler))
    return registry


def test_two_workers_share_runs_without_executing_a_step_twice(database: Database) -> None:
    keys: Counter[str] = Counter()
    lock = threading.Lock()
    registry = counting_registry(keys, lock)
    catalogue = PlaybookCatalogue(database)
    catalogue.save_draft("alice", FORK)
    catalogue.publish("alice", "forked")
    services = [RunService(database, catalogue, registry, owner=f"worker-{n}") for n in range(2)]
    loops = [WorkerLoop.inline(service, threads=2, poll_seconds=0.05) for service in services]
    for loop in loops:
        loop.start()
    try:
        run_ids = [services[0].start("alice", "forked") for _ in range(RUNS)]
        deadline = time.monotonic() + DEADLINE
        while any(services[0].get(run_id).status != "succeeded" for run_id in run_ids):
            if any(loop.stats.errors for loop in loops):
                pytest.fail("a worker unit failed (see the log); no error is expected")
            if time.monotonic() > deadline:
                pytest.fail("the two workers did not finish every run in time")
            time.sleep(0.1)
    finally:
        for loop in loops:
            assert loop.stop(10)

    assert sum(loop.stats.units for loop in loops) == RUNS * STEPS
    assert len(keys) == RUNS * STEPS
    assert set(keys.values()) == {1}  # no step executed twice
    owners = {a.lease_owner for run_id in run_ids for a in services[0].attempts(run_id)}
    assert owners <= {"worker-0", "worker-1"}
    assert sum(loop.stats.errors for loop in loops) == 0
