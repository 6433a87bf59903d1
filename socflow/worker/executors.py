"""The executor the settings name (inline threads, Celery, or none), built for `serve` and `worker`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

import structlog

from socflow.config import Settings
from socflow.storage.db import Database
from socflow.worker.celery_executor import CeleryExecutor
from socflow.worker.loop import Periodic, WorkerLoop
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service
from socflow.worker.timekeeper import Timekeeper
from socflow.worker.trigger_loop import TriggerLoop

ExecutorKind = Literal["inline", "celery", "none"]
KINDS: Final = ("inline", "celery", "none")

log = structlog.get_logger("socflow.worker.executors")


def run_service(settings: Settings, database: Database) -> RunService:
    """The fully wired RunService every executor uses, with the configured lease time."""
    return build_run_service(database, lease_seconds=float(settings.worker_lease_seconds))


def periodic_jobs(service: RunService, settings: Settings) -> list[Periodic]:
    """The jobs the executor's loop ticks: due times (step timeouts, run deadlines).

    This is the one place periodic jobs are registered; each must be safe to run in several
    processes at once (they claim their work in the database). Triggers and schedules have their
    own loop (`TriggerLoop`), woken by each journal entry, which the executor starts beside it.
    """
    return [Periodic("timekeeper", Timekeeper.from_settings(service, settings).fire_due)]


class Companion(Protocol):
    """A loop that starts and stops with the executor (the trigger loop)."""

    def start(self) -> None: ...

    def stop(self, timeout: float = ...) -> bool: ...


@dataclass
class Executor:
    """What a process runs: a loop executing or publishing due steps, or nothing (an API-only node)."""

    kind: ExecutorKind
    loop: WorkerLoop | None = None
    celery: CeleryExecutor | None = None
    companions: list[Companion] = field(default_factory=list)
    stop_seconds: float = 30.0
    _started: bool = field(default=False, repr=False)

    def start(self) -> None:
        if self.loop is not None and not self._started:
            self.loop.start()
            for companion in self.companions:
                companion.start()
            self._started = True
        log.info("executor ready", executor=self.kind)

    def stop(self) -> bool:
        """Stop the loop (in-flight steps get `stop_seconds` to finish); True if nothing was abandoned."""
        clean = True
        if self.loop is not None and self._started:
            for companion in self.companions:
                clean = companion.stop(self.stop_seconds) and clean
            clean = self.loop.stop(self.stop_seconds) and clean
            self._started = False
        if self.celery is not None:
            self.celery.close()
        return clean


def celery_executor(settings: Settings, factory: Callable[[], RunService]) -> CeleryExecutor:
    return CeleryExecutor(
        factory,
        settings.celery_broker_url,
        queue=settings.celery_queue,
        republish_seconds=float(settings.worker_lease_seconds),
    )


def build_executor(
    settings: Settings,
    database: Database,
    kind: ExecutorKind | None = None,
    *,
    service: RunService | None = None,
) -> Executor:
    """The executor `kind` (default: the settings' one) on `database`, not yet started.

    `inline` runs the steps in this process's threads. `celery` publishes due steps for Celery
    workers (`socflow worker --executor celery`) to execute. Both tick the periodic jobs and run
    the trigger loop (triggers on journal entries, cron schedules) in this process.
    """
    chosen: ExecutorKind = kind or settings.executor
    if chosen == "none":
        return Executor("none")
    active = service if service is not None else run_service(settings, database)
    poll = settings.worker_poll_ms / 1000
    tick = settings.worker_tick_ms / 1000
    stop = float(settings.worker_stop_seconds)
    triggers = TriggerLoop(database, active, poll_seconds=poll, tick_seconds=tick)
    if chosen == "inline":
        loop = WorkerLoop.inline(
            active,
            threads=settings.worker_threads,
            poll_seconds=poll,
            tick_seconds=tick,
            periodic=periodic_jobs(active, settings),
            wave=settings.worker_wave,
        )
        return Executor("inline", loop=loop, companions=[triggers], stop_seconds=stop)
    celery = celery_executor(settings, lambda: active)
    loop = celery.dispatcher(poll_seconds=poll, tick_seconds=tick, periodic=periodic_jobs(active, settings))
    return Executor("celery", loop=loop, celery=celery, companions=[triggers], stop_seconds=stop)
