"""Durable playbook runs: the conductor decides, this service persists each move and runs the actions."""

from __future__ import annotations

import builtins
import dataclasses
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from socflow.actions.registry import ActionContext, ActionFailed, ActionSpec, actions
from socflow.cases.uow import fetch, now, require_actor, unit_of_work
from socflow.errors import SocflowError
from socflow.playbooks.conductor import Conductor
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import FINISHED, Event, ResultStatus, RunStatus, StepResult
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.tables_runs import RunJournalRow, RunRow, StepAttemptRow
from socflow.worker.catalogue import PlaybookCatalogue, graph_of
from socflow.worker.run_store import (
    AttemptStatus,
    Journal,
    Lease,
    conductor_of,
    is_due,
    next_ready,
    save,
    succeeded_output,
)

OBJECT_TYPE: Final = "run"
DEFAULT_LEASE_SECONDS: Final = 60.0
LEASE_MARGIN_SECONDS: Final = 30.0
LEASE_TRIES: Final = 3  # beyond a step's own timeout, before another worker may take it

Clock = Callable[[], datetime]
# status, output, error, code; a status of None parks the attempt (see `complete`).
Outcome = tuple[ResultStatus | None, dict[str, Any], str | None, str | None]


class RunService:
    """Starts runs, leases and executes their steps, and applies operators' moves, one transaction each.

    Executing an action happens between two transactions (lease, then record), so a crash in between
    leaves a leased attempt whose lease expires; the next worker retries it under the same key.
    """

    def __init__(
        self,
        database: Database,
        catalogue: PlaybookCatalogue,
        registry: Registry[ActionSpec] | None = None,
        *,
        clock: Clock = now,
        owner: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.registry = registry if registry is not None else actions()
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        # Work kinds other than actions and timers (sub-playbooks, case operations) register here.
        self.performers: dict[WorkKind, Callable[[Lease], Outcome]] = {}
        # Called inside the transaction that moves a run to succeeded, failed or cancelled.
        self.on_finished: builtins.list[Callable[[Session, RunRow], None]] = []

    # -- starting and reading ---------------------------------------------------------------------

    def start(
        self,
        actor: str,
        playbook_id: str,
        inputs: dict[str, Any] | None = None,
        trigger: dict[str, Any] | None = None,
        case_id: str | None = None,
    ) -> str:
        """Start a run of the published version; its state and first attempts land in one transaction."""
        actor = require_actor(actor)
        version = self.catalogue.published_version(playbook_id)
        conductor = Conductor(graph_of(version))
        run_id = uuid.uuid4().hex
        at = self.clock()
        trigger = trigger or {}
        conductor.start(trigger, inputs or {}, run_id=run_id, now=at, requested_by=actor)
        with unit_of_work(self.database, actor) as work:
            run = RunRow(
                id=run_id,
                playbook_id=playbook_id,
                version_id=version.id,
                status=RunStatus.RUNNING.value,
                state={},
                trigger=trigger,
                case_id=case_id,
                created_by=work.actor,
                created_at=at,
                updated_at=at,
            )
            work.session.add(run)
            work.session.flush()
            journal = Journal(work.session, run_id, at, work.actor)
            journal.add("run_started", playbook=playbook_id, version=version.id, inputs=inputs or {})
            self._save(work.session, run, conductor, journal, at)
            work.record(
                OBJECT_TYPE, run_id, "started", after={"playbook": playbook_id, "version": version.id}
            )
        return run_id

    def get(self, run_id: str) -> RunRow:
        with self.database.session(write=False) as session:
            row: RunRow = fetch(session, RunRow, run_id, "run")
            return row

    def list(self, status: str | None = None, limit: int = 100) -> builtins.list[RunRow]:
        """Runs newest first, optionally of one status."""
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id).limit(limit)
        if status is not None:
            query = query.where(RunRow.status == status)
        with self.database.session(write=False) as session:
            return builtins.list(session.scalars(query))

    def journal(self, run_id: str) -> builtins.list[RunJournalRow]:
        """The run's history in order (404 when the run does not exist)."""
        with self.database.session(write=False) as session:
            fetch(session, RunRow, run_id, "run")
            query = select(RunJournalRow).where(RunJournalRow.run_id == run_id).order_by(RunJournalRow.seq)
            return builtins.list(session.scalars(query))

    def attempts(self, run_id: str) -> builtins.list[StepAttemptRow]:
        with self.database.session(write=False) as session:
            fetch(session, RunRow, run_id, "run")
            query = select(StepAttemptRow).where(StepAttemptRow.run_id == run_id).order_by(StepAttemptRow.id)
            return builtins.list(session.scalars(query))

    # -- the worker's loop ------------------------------------------------------------------------

    def lease(self, run_id: str | None = None) -> Lease | None:
        """Take the next due attempt (or one whose lease expired) for `lease_seconds` plus its timeout."""
        with self.database.session() as session:
            at = self.clock()
            for _ in range(LEASE_TRIES):
                candidate = next_ready(session, at, run_id)
                if candidate is None:
                    return None
                run = session.get(RunRow, candidate.run_id, with_for_update=True, populate_existing=True)
                row = session.get(StepAttemptRow, candidate.id, with_for_update=True, populate_existing=True)
                if run is not None and row is not None and is_due(row, run, at):
                    break
            else:
                return None  # other workers took every candidate meanwhile; the caller tries again later
            journal = Journal(session, row.run_id, at)
            if row.status == AttemptStatus.LEASED:
                journal.add("lease_expired", step=row.step_id, attempt=row.attempt, owner=row.lease_owner)
            timeout = float((run.state.get("work", {}).get(row.step_id) or {}).get("timeout") or 0.0)
            row.status = AttemptStatus.LEASED.value
            row.leases += 1
            row.lease_owner = self.owner
            row.lease_expires_at = at + timedelta(seconds=self.lease_seconds + timeout + LEASE_MARGIN_SECONDS)
            row.started_at = row.started_at or at
            journal.add(
                "step_leased", step=row.step_id, attempt=row.attempt, lease=row.leases, owner=self.owner
            )
            return Lease(
                attempt_id=row.id,
                run_id=row.run_id,
                step_id=row.step_id,
                attempt=row.attempt,
                kind=WorkKind(row.kind),
                name=row.name,
                args=dict(row.args),
                idempotency_key=row.idempotency_key,
                number=row.leases,
                owner=self.owner,
            )

    def step(self, run_id: str | None = None) -> Lease | None:
        """Lease, execute outside any transaction, and record one attempt; None when nothing is due."""
        lease = self.lease(run_id)
        if lease is None:
            return None
        self.complete(lease, self.execute(lease))
        return lease

    def drain(self, max_steps: int = 1000, run_id: str | None = None) -> int:
        """Execute due attempts until none is left (or `max_steps`); returns how many ran."""
        done = 0
        while done < max_steps and self.step(run_id) is not None:
            done += 1
        return done

    def execute(self, lease: Lease) -> Outcome:
        """Perform the leased work; an action that already succeeded under this key is not run again."""
        with self.database.session(write=False) as session:
            row = session.get(StepAttemptRow, lease.attempt_id)
            earlier = succeeded_output(session, row) if row is not None else None
        if earlier is not None:
            return ResultStatus.SUCCEEDED, earlier, None, None
        if lease.kind is WorkKind.WAIT_TIMER:
            return ResultStatus.SUCCEEDED, {"fired_at": self.clock().isoformat()}, None, None
        performer = self.performers.get(lease.kind)
        if performer is not None:
            return performer(lease)
        if lease.kind is not WorkKind.ACTION:
            return ResultStatus.FAILED, {}, f"no executor for {lease.kind.value} steps yet", "not_supported"
        context = ActionContext(lease.run_id, lease.step_id, lease.attempt, lease.idempotency_key)
        try:
            output = self.registry.get(lease.name).handler(lease.args, context)
        except ActionFailed as exc:
            return ResultStatus.FAILED, {}, exc.message, exc.reason
        except SocflowError as exc:
            return ResultStatus.FAILED, {}, exc.message, exc.code
        except Exception as exc:  # an integration's bug fails the step, never the worker
            return ResultStatus.FAILED, {}, f"{type(exc).__name__}: {exc}", "action_error"
        return ResultStatus.SUCCEEDED, dict(output), None, None

    def complete(self, lease: Lease, outcome: Outcome) -> bool:
        """Record the result if the lease is still ours (a late worker's result is dropped); True if kept."""
        status, output, error, code = outcome
        with self.database.session() as session:
            at = self.clock()
            run = session.get(RunRow, lease.run_id, with_for_update=True)
            row = session.get(StepAttemptRow, lease.attempt_id, with_for_update=True)
            if row is None or run is None:
                return False
            journal = Journal(session, run.id, at)
            if (row.status, row.lease_owner, row.leases) != (AttemptStatus.LEASED, lease.owner, lease.number):
                journal.add("result_discarded", step=row.step_id, attempt=row.attempt, lease=lease.number)
                return False
            if status is None:  # parked: the work goes on elsewhere and a signal will decide the step
                row.status, row.lease_owner, row.lease_expires_at = AttemptStatus.WAITING.value, None, None
                row.output = output
                journal.add("step_parked", step=row.step_id, attempt=row.attempt, key=row.idempotency_key)
                return True
            succeeded = status is ResultStatus.SUCCEEDED
            row.status = (AttemptStatus.SUCCEEDED if succeeded else AttemptStatus.FAILED).value
            row.output, row.error, row.error_code = output, error, code
            row.finished_at, row.lease_expires_at = at, None
            conductor = conductor_of(session, run)
            result = StepResult(row.step_id, row.attempt, status, output, error, code, at.isoformat())
            conductor.record(result)
            kind = "step_succeeded" if succeeded else "step_failed"
            journal.add(
                kind, step=row.step_id, attempt=row.attempt, key=row.idempotency_key, error=error, code=code
            )
            self._save(session, run, conductor, journal, at)
            return True

    def _save(
        self, session: Session, run: RunRow, conductor: Conductor, journal: Journal, at: datetime
    ) -> None:
        before = run.status
        save(session, run, conductor, journal, at)
        if run.status != before and conductor.status in FINISHED:
            for hook in self.on_finished:
                hook(session, run)

    # -- operators' moves -------------------------------------------------------------------------

    def pause(self, actor: str, run_id: str) -> RunRow:
        return self._move(actor, run_id, "paused", lambda c, at: c.pause())

    def resume(self, actor: str, run_id: str) -> RunRow:
        return self._move(actor, run_id, "resumed", lambda c, at: c.resume())

    def cancel(self, actor: str, run_id: str, reason: str = "cancelled") -> RunRow:
        return self._move(actor, run_id, "cancelled", lambda c, at: c.cancel(reason), reason=reason)

    def retry_from(
        self, actor: str, run_id: str, step_id: str, new_args: dict[str, Any] | None = None
    ) -> RunRow:
        """Resume a failed run at `step_id`, optionally with edited arguments (a fresh idempotency key)."""

        def apply(conductor: Conductor, at: str) -> None:
            conductor.retry_from(step_id, new_args, at)

        return self._move(actor, run_id, "retried", apply, step=step_id, args=new_args)

    def signal(self, actor: str, run_id: str, event: Event) -> RunRow:
        """An approval, a human task's completion or an outside event; the actor is who decided."""

        def apply(conductor: Conductor, at: str) -> None:
            conductor.signal(dataclasses.replace(event, actor=actor, at=event.at or at))

        return self._move(
            actor, run_id, "signalled", apply, event=event.name, step=event.step_id, data=event.data
        )

    def _move(
        self, actor: str, run_id: str, action: str, apply: Callable[[Conductor, str], Any], **data: Any
    ) -> RunRow:
        with unit_of_work(self.database, actor) as work:
            run: RunRow = work.get(RunRow, run_id, "run")
            at = self.clock()
            before = run.status
            conductor = conductor_of(work.session, run)
            apply(conductor, at.isoformat())
            journal = Journal(work.session, run_id, at, work.actor)
            journal.add(action, **data)
            self._save(work.session, run, conductor, journal, at)
            work.record(OBJECT_TYPE, run_id, action, before={"status": before}, after={"status": run.status})
            return run
