"""The Celery executor: RabbitMQ delivers "this attempt is due"; the database decides and records.

Celery only carries attempt ids. A task leases through RunService like any other worker, so a message
delivered twice, late, or for an attempt someone else already took does nothing, and a worker that
dies mid-step leaves a lease that expires and is published again by the dispatcher's sweep.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

import structlog
from celery import Celery
from kombu import Connection
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from socflow.errors import StorageError
from socflow.storage.tables_runs import RunRow, StepAttemptRow
from socflow.worker.loop import DEFAULT_POLL_SECONDS, DEFAULT_TICK_SECONDS, Periodic, WorkerLoop
from socflow.worker.run_store import ACTIVE_RUNS, AttemptStatus
from socflow.worker.runs import RunService

TASK_NAME: Final = "socflow.execute_attempt"
DEFAULT_QUEUE: Final = "socflow.steps"
SWEEP_LIMIT: Final = 500  # due attempts published per sweep; the next sweep takes the rest

log = structlog.get_logger("socflow.worker.celery")


class BrokerUnavailable(StorageError):
    """The Celery broker (RabbitMQ or Redis) cannot be reached."""

    code = "broker_unavailable"


def shown_broker(url: str) -> str:
    """The broker URL with any password masked, safe to print and log."""
    return str(Connection(url).as_uri())


def due_attempts(
    session: Session, at: datetime, run_id: str | None = None, limit: int = SWEEP_LIMIT
) -> list[tuple[int, int]]:
    """(attempt id, leases so far) of attempts a worker may take now, oldest first.

    The same rule as `run_store.next_ready`: pending and due, or leased with the lease expired, in a
    run that is running or waiting.
    """
    query = (
        select(StepAttemptRow.id, StepAttemptRow.leases)
        .join(RunRow, RunRow.id == StepAttemptRow.run_id)
        .where(
            RunRow.status.in_(ACTIVE_RUNS),
            or_(
                and_(
                    StepAttemptRow.status == AttemptStatus.PENDING.value,
                    StepAttemptRow.not_before <= at,
                ),
                and_(
                    StepAttemptRow.status == AttemptStatus.LEASED.value,
                    StepAttemptRow.lease_expires_at <= at,
                ),
            ),
        )
        .order_by(StepAttemptRow.not_before, StepAttemptRow.id)
        .limit(limit)
    )
    if run_id is not None:
        query = query.where(StepAttemptRow.run_id == run_id)
    return [(int(row[0]), int(row[1])) for row in session.execute(query)]


class CeleryExecutor:
    """A Celery app with one task, `execute_attempt(attempt_id)`, and the publisher of due attempts.

    `service_factory` builds the RunService on first use, in the process that uses it (an API node
    publishing, or a `socflow worker --executor celery` consuming). Results are not kept by Celery:
    the run's rows are the result.
    """

    def __init__(
        self,
        service_factory: Callable[[], RunService],
        broker_url: str,
        *,
        queue: str = DEFAULT_QUEUE,
        republish_seconds: float = 60.0,
    ) -> None:
        self.queue = queue
        self.republish_seconds = republish_seconds
        self._factory = service_factory
        self._service: RunService | None = None
        self._service_lock = threading.Lock()
        self._published: dict[tuple[int, int], float] = {}
        self._publish_lock = threading.Lock()
        self.app = Celery("socflow", broker=broker_url, set_as_current=False)
        self.app.conf.update(
            task_acks_late=True,  # a worker that dies mid-task leaves the message for another
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,  # steps can be long: do not hoard messages
            task_ignore_result=True,
            task_serializer="json",
            accept_content=["json"],
            task_default_queue=queue,
            broker_connection_retry_on_startup=True,
            worker_hijack_root_logger=False,  # socflow's structlog set-up stays in charge
            worker_send_task_events=False,
        )

        def execute_attempt(attempt_id: int) -> str:
            return self._execute_attempt(attempt_id)

        # Not shared: a shared task would be registered in every Celery app created after this one.
        self.execute_attempt = self.app.task(name=TASK_NAME, ignore_result=True, shared=False)(
            execute_attempt
        )

    @property
    def service(self) -> RunService:
        with self._service_lock:
            if self._service is None:
                self._service = self._factory()
            return self._service

    def check_broker(self, timeout: int = 5) -> None:
        """Connect to the broker once, or raise BrokerUnavailable naming it (password masked)."""
        url = str(self.app.conf.broker_url)
        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=timeout)
        except Exception as exc:
            raise BrokerUnavailable(
                f"cannot reach the Celery broker {shown_broker(url)}: {exc}; "
                "check SOCFLOW_CELERY_BROKER_URL and that RabbitMQ is running"
            ) from None

    # -- consuming --------------------------------------------------------------------------------

    def _execute_attempt(self, attempt_id: Any) -> str:
        """Lease a due attempt of that attempt's run (normally that very one), execute and record it."""
        if isinstance(attempt_id, bool) or not isinstance(attempt_id, int):
            log.warning("ignoring a malformed step message", attempt_id=repr(attempt_id)[:80])
            return "malformed"
        service = self.service
        with service.database.session(write=False) as session:
            run_id = session.scalar(select(StepAttemptRow.run_id).where(StepAttemptRow.id == attempt_id))
        if run_id is None:
            return "gone"
        lease = service.lease(run_id)
        if lease is None:
            return "not_due"  # done, taken by another worker, not due yet, or the run was paused
        try:
            kept = service.complete(lease, service.execute(lease))
        except Exception:
            # The lease stays ours until it expires; then the sweep publishes the attempt again.
            log.exception("step attempt failed in the worker", attempt_id=lease.attempt_id, run_id=run_id)
            return "error"
        try:
            self.publish_due(run_id)  # the steps this one made ready, without waiting for a sweep
        except Exception:
            log.exception("cannot publish the run's next steps; the sweep will", run_id=run_id)
        return "done" if kept else "discarded"

    def worker(self, *, concurrency: int = 2, loglevel: str = "INFO", hostname: str | None = None) -> Any:
        """A Celery worker consuming the queue with `concurrency` threads; `.start()` blocks until stopped."""
        return self.app.Worker(
            hostname=hostname or f"socflow@{socket.gethostname()}",
            pool_cls="threads",
            concurrency=concurrency,
            queues=[self.queue],
            loglevel=loglevel,
            without_gossip=True,
            without_mingle=True,
            optimization="fair",
        )

    # -- publishing -------------------------------------------------------------------------------

    def publish_due(self, run_id: str | None = None) -> int:
        """Publish a message for each due attempt not published lately; returns how many were sent.

        An attempt is published again only after `republish_seconds` (a message lost with a broker,
        or a worker that took it and died) or once its lease count changed (an expired lease).
        """
        service = self.service
        with service.database.session(write=False) as session:
            due = due_attempts(session, service.clock(), run_id)
        sent = 0
        with self._publish_lock:
            now = time.monotonic()
            seen: dict[tuple[int, int], float] = {}
            for key in due:
                last = self._published.get(key)
                if last is not None and now - last < self.republish_seconds:
                    seen[key] = last
                    continue
                self.execute_attempt.apply_async((key[0],), queue=self.queue)
                seen[key] = now
                sent += 1
            if run_id is None and len(due) < SWEEP_LIMIT:
                self._published = seen  # a full sweep: forget attempts no longer due
            else:
                self._published.update(seen)
        if sent:
            log.debug("published due steps", count=sent, run_id=run_id)
        return sent

    def dispatcher(
        self,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
        periodic: Iterable[Periodic] = (),
    ) -> WorkerLoop:
        """A one-thread loop publishing due attempts on every run change here and every poll."""

        loop = WorkerLoop(
            self.publish_due,
            threads=1,
            poll_seconds=poll_seconds,
            tick_seconds=tick_seconds,
            periodic=periodic,
            name="socflow-dispatcher",
        )
        loop.watch(self.service.database)
        return loop

    def purge(self) -> int:
        """Drop every message waiting in the queue (tests, or after restoring a database backup)."""
        return int(self.app.control.purge() or 0)

    def close(self) -> None:
        self.app.close()
