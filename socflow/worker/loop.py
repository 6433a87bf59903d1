"""The in-process worker: threads doing due work as soon as it is committed, and periodic jobs on a tick."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import structlog

from socflow.storage.db import Database
from socflow.worker.runs import RunService
from socflow.worker.wakeup import Bell, watch_runs

# Does a little work (executes a few due attempts, or publishes due ones) and says how much; more
# than 0 and the thread goes on at once, 0 and it sleeps until a ring or the poll.
Work = Callable[[], int]
# A periodic job returns how much it did (timers fired, triggers dispatched); more than 0 wakes the
# workers, since what it did usually made new work due.
PeriodicJob = Callable[[], int]

DEFAULT_THREADS: Final = 2
DEFAULT_POLL_SECONDS: Final = 1.0
DEFAULT_TICK_SECONDS: Final = 1.0
DEFAULT_STOP_SECONDS: Final = 30.0
DEFAULT_WAVE: Final = 32
# Waves one thread executes per unit: `drain` records a wave's results and leases the next wave in one
# transaction, so two waves per unit take three commits; few, so that a stop is not kept waiting long.
WAVES_PER_UNIT: Final = 2

log = structlog.get_logger("socflow.worker.loop")


@dataclass(frozen=True)
class Periodic:
    """A named periodic job (the name is what the log says when it fails)."""

    name: str
    job: PeriodicJob


@dataclass
class LoopStats:
    """What the loop has done since it started (read by tests and health checks)."""

    units: int = 0
    errors: int = 0
    ticks: int = 0
    periodic_done: int = 0
    periodic_errors: int = 0


class WorkerLoop:
    """`threads` threads call `work` until it does nothing, then sleep until a ring or `poll_seconds`.

    A ring comes from `nudge()` or, once `watch(database)` was called, from any commit on that database
    that wrote a run or an attempt. One more thread calls the periodic jobs every `tick_seconds`. An
    exception is logged and counted; it never ends a thread. `stop()` lets each thread finish the unit
    it is in; a unit still running when the grace time ends is abandoned, and its lease expires.
    """

    def __init__(
        self,
        work: Work,
        *,
        threads: int = DEFAULT_THREADS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
        periodic: Iterable[Periodic] = (),
        name: str = "socflow-worker",
    ) -> None:
        if threads < 0:
            raise ValueError(f"threads must be 0 or more, not {threads}")
        if poll_seconds <= 0 or tick_seconds <= 0:
            raise ValueError("poll_seconds and tick_seconds must be more than 0")
        self.work = work
        self.threads = threads
        self.poll_seconds = poll_seconds
        self.tick_seconds = tick_seconds
        self.periodic: list[Periodic] = list(periodic)
        self.name = name
        self.bell = Bell()
        self.stats = LoopStats()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unwatch: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._stats_lock = threading.Lock()

    @classmethod
    def inline(
        cls,
        service: RunService,
        *,
        threads: int = DEFAULT_THREADS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
        periodic: Iterable[Periodic] = (),
        name: str = "socflow-worker",
        wave: int = DEFAULT_WAVE,
    ) -> WorkerLoop:
        """A loop executing the service's due attempts in this process (the embedded executor).

        Each thread leases up to `wave` due attempts in one transaction, executes them one after
        another, and records their results (and leases the next wave) in one more. A crash loses at
        most the unrecorded results of the waves in flight: those attempts run again, under their
        idempotency keys, once their leases expire; recorded steps never run again.
        """
        if wave < 1:
            raise ValueError(f"wave must be at least 1, not {wave}")

        def step() -> int:
            return service.drain(max_steps=wave * WAVES_PER_UNIT, wave=wave)

        loop = cls(
            step,
            threads=threads,
            poll_seconds=poll_seconds,
            tick_seconds=tick_seconds,
            periodic=periodic,
            name=name,
        )
        loop.watch(service.database)
        return loop

    # -- wiring -----------------------------------------------------------------------------------

    def add_periodic(self, name: str, job: PeriodicJob) -> None:
        if self.running:
            raise RuntimeError("add periodic jobs before starting the loop")
        self.periodic.append(Periodic(name, job))

    def watch(self, database: Database) -> None:
        """Wake the threads after every commit on `database` that changed a run or an attempt."""
        self._unwatch.append(watch_runs(database, self.nudge))

    def nudge(self) -> None:
        """New work may be due: wake every idle thread now."""
        self.bell.ring()

    # -- life cycle -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        with self._lock:
            if self._threads:
                raise RuntimeError(f"{self.name} is already started")
            self._stopping.clear()
            for index in range(self.threads):
                self._spawn(f"{self.name}-{index}", self._work_forever)
            if self.periodic:
                self._spawn(f"{self.name}-tick", self._tick_forever)
        log.info(
            "worker loop started",
            loop=self.name,
            threads=self.threads,
            periodic=[job.name for job in self.periodic],
        )

    def stop(self, timeout: float = DEFAULT_STOP_SECONDS) -> bool:
        """Stop taking work and wait up to `timeout` seconds in all; True when every thread ended."""
        with self._lock:
            self._stopping.set()
            self.bell.ring()
            deadline = time.monotonic() + timeout
            for thread in self._threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            left = [thread.name for thread in self._threads if thread.is_alive()]
            self._threads = []
            for unwatch in self._unwatch:
                unwatch()
            self._unwatch = []
        if left:
            log.warning("worker loop stopped with work in flight; its leases will expire", threads=left)
        else:
            log.info("worker loop stopped", loop=self.name, units=self.stats.units)
        return not left

    def wait(self) -> None:
        """Block until `stop()` is called from another thread or a signal handler."""
        while not self._stopping.wait(3600):
            pass

    def _count(self, field: str, amount: int = 1) -> None:
        with self._stats_lock:
            setattr(self.stats, field, getattr(self.stats, field) + amount)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        # Daemon threads: a unit still running when the process exits is abandoned, not awaited.
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    # -- the threads ------------------------------------------------------------------------------

    def _work_forever(self) -> None:
        while not self._stopping.is_set():
            seen = self.bell.rings
            try:
                did = self.work()
            except Exception:
                self._count("errors")
                log.exception("worker unit failed; trying again", loop=self.name)
                # Not woken by rings: a failing database would otherwise make every commit spin us.
                self._stopping.wait(self.poll_seconds)
                continue
            if did > 0:
                self._count("units", did)
                continue
            self.bell.wait(seen, self.poll_seconds)

    def _tick_forever(self) -> None:
        while not self._stopping.is_set():
            self.tick()
            self._stopping.wait(self.tick_seconds)

    def tick(self) -> int:
        """Run every periodic job once; returns the total they report doing."""
        self._count("ticks")
        total = 0
        for periodic in self.periodic:
            try:
                done = periodic.job()
            except Exception:
                self._count("periodic_errors")
                log.exception("periodic job failed", loop=self.name, job=periodic.name)
                continue
            if done > 0:
                total += done
                log.debug("periodic job did work", loop=self.name, job=periodic.name, done=done)
        if total:
            self._count("periodic_done", total)
            self.nudge()
        return total
