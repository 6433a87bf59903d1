"""Runs survive SIGKILL: a worker killed at random points loses no run and repeats no finished step."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from socflow.actions.builtin_test import EXECUTION_LOG_ENV
from socflow.cases.uow import now
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService

RUNS = 12
STEPS = 7  # noop, sleep, noop ... noop: a run not finished always has an action to log ahead
KILLS = 5
KILL_PHASE_SECONDS = 20  # no new worker is started after this (one always is), so a slow machine ends
PROGRESS_TIMEOUT_SECONDS = 30

# The worker: drains forever; its clock runs `offset` minutes ahead so leases of the killed workers
# before it have expired (a real deployment waits out the lease instead).
WORKER = """
import sys, time
from datetime import timedelta
from socflow.cases.uow import now
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
database = Database(sys.argv[1])
offset = timedelta(minutes=float(sys.argv[2]))
service = RunService(database, PlaybookCatalogue(database), clock=lambda: now() + offset, lease_seconds=1)
while True:
    if service.drain(max_steps=100) == 0:
        time.sleep(0.01)
"""


def _playbook() -> str:
    steps = []
    for n in range(STEPS):
        action = "test.noop" if n % 2 == 0 else "test.sleep"
        args = "{note: step}" if n % 2 == 0 else "{seconds: 0.02}"
        following = f"s{n + 1}" if n + 1 < STEPS else "done"
        steps.append(
            f"  - id: s{n}\n    type: action\n    action: {action}\n    args: {args}\n    next: {following}\n"
        )
    head = "id: killed\nname: killed\nkind: sequential\nsteps:\n"
    return head + "".join(steps) + "  - id: done\n    type: end\n    outcome: finished\n"


def _wait_for_progress(log: Path, worker: subprocess.Popen[bytes], seed: int) -> None:
    """Until the worker has executed one more action, so every kill interrupts real work."""
    size = log.stat().st_size
    limit = time.monotonic() + PROGRESS_TIMEOUT_SECONDS
    while log.stat().st_size == size:
        assert worker.poll() is None, f"seed {seed}: the worker exited with {worker.returncode}"
        assert time.monotonic() < limit, f"seed {seed}: the worker executed nothing in 30 s"
        time.sleep(0.005)


def test_runs_sigkill_at_random_points_loses_no_run_and_repeats_no_finished_step(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "executions.log"
    log.touch()
    catalogue = PlaybookCatalogue(database)
    version = catalogue.save_draft("alice", _playbook())
    catalogue.publish("alice", version.playbook_id)
    starter = RunService(database, catalogue)
    run_ids = [starter.start("alice", "killed") for _ in range(RUNS)]
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    env = {**os.environ, EXECUTION_LOG_ENV: str(log)}
    budget = time.monotonic() + KILL_PHASE_SECONDS
    kills = 0

    while kills < KILLS and (kills == 0 or time.monotonic() < budget) and starter.list(status="running"):
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, database.url, str(kills * 10)], env=env, stdout=subprocess.DEVNULL
        )
        _wait_for_progress(log, worker, seed)
        time.sleep(rng.uniform(0.0, 0.3))  # then die anywhere: mid-action, mid-transaction, idle
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
        kills += 1

    recovery = RunService(
        database, catalogue, clock=lambda: now() + timedelta(minutes=kills * 10 + 10), owner="recovery"
    )
    monkeypatch.setenv(EXECUTION_LOG_ENV, str(log))
    recovery.drain(max_steps=RUNS * STEPS * 3)

    assert {recovery.get(run_id).status for run_id in run_ids} == {"succeeded"}, f"seed {seed}"
    executions = Counter(log.read_text().split())
    attempts = [a for run_id in run_ids for a in recovery.attempts(run_id) if a.name == "test.noop"]
    assert {a.status for a in attempts} == {"succeeded"}
    assert {a.idempotency_key for a in attempts} == set(executions), f"seed {seed}"
    for attempt in attempts:
        # An action runs again only when a worker died holding it: never more often than it was leased.
        assert executions[attempt.idempotency_key] <= attempt.leases, f"seed {seed}: {attempt.step_id}"
    repeated = sum(count - 1 for count in executions.values())
    assert repeated <= kills, f"seed {seed}: {repeated} repeated executions for {kills} kills"
