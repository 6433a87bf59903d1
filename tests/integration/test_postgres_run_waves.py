"""Waves on PostgreSQL: concurrent workers share due attempts (SKIP LOCKED) and never run one twice."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from run_support import chain, publish

from socflow.actions.registry import ActionContext, ActionSpec
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.run_start import StartRequest
from socflow.worker.runs import RunService

RUNS = 24
STEPS = 5
WORKERS = 4


class Counted:
    """test.noop counted per idempotency key, safely across threads."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.registry: Registry[ActionSpec] = Registry("action")
        self.registry.register(ActionSpec("test.noop", frozenset(), frozenset({"note"}), self._noop))

    def _noop(self, args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        with self._lock:
            self.keys[context.idempotency_key] += 1
        return {}


def test_concurrent_workers_in_waves_finish_every_run_and_run_each_step_once(database: Database) -> None:
    catalogue = PlaybookCatalogue(database)
    playbook = publish(catalogue, chain("pg_waves", STEPS))
    counted = Counted()
    starter = RunService(database, catalogue, counted.registry, owner="starter")
    run_ids = starter.start_many("alice", [StartRequest(playbook)] * RUNS)
    workers = [RunService(database, catalogue, counted.registry, owner=f"worker-{n}") for n in range(WORKERS)]

    def work(service: RunService) -> int:
        done = 0
        for _ in range(200):  # until the others have finished too
            ran = service.drain(max_steps=RUNS * STEPS, wave=8)
            done += ran
            if ran == 0 and not service.list(status="running", limit=1):
                break
        return done

    with ThreadPoolExecutor(WORKERS) as pool:
        done = sum(pool.map(work, workers))

    assert done == RUNS * STEPS
    assert {starter.get(run_id).status for run_id in run_ids} == {"succeeded"}
    assert len(counted.keys) == RUNS * STEPS
    assert set(counted.keys.values()) == {1}
    for run_id in run_ids:
        seqs = [entry.seq for entry in starter.journal(run_id)]
        assert seqs == list(range(1, len(seqs) + 1))
