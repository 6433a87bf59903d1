"""socflow's side of the engine comparison: 10-step no-op runs, one after another, on SQLite on disk."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procstat import REPO, cpu_seconds
from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionContext, ActionSpec
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.migrate import upgrade
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService

STEPS = 10
ACTOR = "bench"


def ten_noops(playbook_id: str = "bench_ten_noops") -> str:
    """The same playbook as tests/unit/worker/test_runs.py `_chain`: STEPS test.noop actions, then an end."""
    steps = [
        f"  - id: s{n}\n    type: action\n    action: test.noop\n    args: {{note: step {n}}}\n"
        f"    next: {'s' + str(n + 1) if n + 1 < STEPS else 'done'}\n"
        for n in range(STEPS)
    ]
    head = f"id: {playbook_id}\nname: ten no-op steps\nkind: sequential\nsteps:\n"
    return head + "".join(steps) + "  - id: done\n    type: end\n    outcome: finished\n"


@dataclass
class EngineRun:
    """What one engine did with `runs` sequential runs of the ten-step workflow."""

    engine: str
    runs: int
    succeeded: int
    stored: int  # runs the engine's store holds as complete afterwards
    seconds: float  # wall, from the first trigger until the last run is complete and stored
    cpu_seconds: float  # all processes the engine used
    first_step_s: list[float] = field(default_factory=list)
    idle_cpu_per_s: float | None = None  # the engine's processes at rest, CPU seconds per second
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.stored / self.seconds if self.seconds > 0 else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.stored / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


def _registry(entered: list[float]) -> Registry[ActionSpec]:
    """The shipped test actions; test.noop also notes when a run's first step began."""
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        if spec.name != "test.noop":
            registry.register(spec)
            continue
        original = spec.handler

        def noop(args: dict[str, Any], context: ActionContext, original: Any = original) -> dict[str, Any]:
            if context.step_id == "s0":
                entered.append(time.perf_counter())
            result: dict[str, Any] = original(args, context)
            return result

        registry.register(
            ActionSpec(spec.name, spec.required_args, spec.optional_args, noop, idempotent=True)
        )
    return registry


def measure(runs: int, warmup: int = 5) -> EngineRun:
    """Start each run and drain it in this process (embedded mode), on a fresh SQLite file."""
    work = REPO / "bench" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="engine-socflow-", dir=work) as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'socflow.db'}")
        try:
            upgrade(database)
            return _measure(database, runs, warmup)
        finally:
            database.dispose()


def _runqueue_wait_s() -> float:
    """Seconds this process's threads have waited for a CPU while runnable (Linux schedstat)."""
    try:
        return int(Path("/proc/self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _measure(database: Database, runs: int, warmup: int) -> EngineRun:
    entered: list[float] = []
    catalogue = PlaybookCatalogue(database)
    playbook_id = catalogue.save_draft(ACTOR, ten_noops()).playbook_id
    catalogue.publish(ACTOR, playbook_id)
    service = RunService(database, catalogue, _registry(entered), owner="bench-worker")
    for _ in range(warmup):
        service.start(ACTOR, playbook_id)
        service.drain()
    entered.clear()
    latencies: list[float] = []
    cpu_before, waited_before, began = cpu_seconds(), _runqueue_wait_s(), time.perf_counter()
    for _ in range(runs):
        start = time.perf_counter()
        service.start(ACTOR, playbook_id)
        service.drain()
        latencies.append(entered[-1] - start)
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu_before
    waited = _runqueue_wait_s() - waited_before
    succeeded = len(service.list(status="succeeded", limit=runs + warmup + 1)) - warmup
    steps = sum(len(service.attempts(run.id)) for run in service.list(limit=runs))
    note = f"{waited:,.1f} s of the wall time waiting for a CPU (busy machine)"
    if steps != runs * STEPS:
        note += f"; {steps} step attempts stored, expected {runs * STEPS}"
    return EngineRun(
        "socflow (embedded, SQLite WAL)", runs, succeeded, succeeded, seconds, cpu, latencies, None, note
    )
