"""Durable playbook runs: the conductor decides, this service persists each move and runs the actions."""

from __future__ import annotations

import builtins
import dataclasses
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from socflow.actions.registry import ActionContext, ActionSpec, actions
from socflow.cases.uow import fetch, now, require_actor, unit_of_work
from socflow.errors import NotFound
from socflow.playbooks.conductor import Conductor
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import Event, ResultStatus, StepResult
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.tables_runs import RunJournalRow, RunRow, StepAttemptRow
from socflow.worker import run_batch as batch
from socflow.worker.action_runner import run_action
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.run_batch import LiveRun, Writes
from socflow.worker.run_cache import StateCache
from socflow.worker.run_start import StartRequest, insert_runs
from socflow.worker.run_store import AttemptStatus, Lease, succeeded_output

OBJECT_TYPE: Final = "run"
FINISHED_STATUSES: Final = frozenset({"succeeded", "failed", "cancelled"})
DEFAULT_WAVE: Final = 64  # attempts per wave: their leases share one transaction, their results another
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
        self.states = StateCache()  # the states of runs this service last saved, to skip re-reading them
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
        return self.start_many(actor, [StartRequest(playbook_id, inputs or {}, trigger or {}, case_id)])[0]

    def start_many(self, actor: str, requests: Sequence[StartRequest]) -> builtins.list[str]:
        """Start runs in one transaction (all or none: a bad request starts none); their ids in order."""
        actor = require_actor(actor)
        writes = Writes(self.clock())
        with unit_of_work(self.database, actor) as work:
            runs, changed = insert_runs(work.session, writes, work.actor, builtins.list(requests))
            hooked = self._write(work.session, writes, changed)
            for run in runs:
                after = {"playbook": run.playbook_id, "version": run.version_id}
                work.record(OBJECT_TYPE, run.id, "started", after=after)
        if not hooked:
            self._keep({run.id: run for run in runs})
        return [run.id for run in runs]

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
        leases = self.lease_many(1, run_id)
        return leases[0] if leases else None

    def lease_many(self, limit: int, run_id: str | None = None) -> builtins.list[Lease]:
        """Take up to `limit` due attempts, oldest first, in one transaction."""
        with self.database.session() as session:
            writes = Writes(self.clock())
            leases = self._take(session, writes, limit, run_id, {})
            writes.flush(session)
            return leases

    def step(self, run_id: str | None = None) -> Lease | None:
        """Lease, execute outside any transaction, and record one attempt; None when nothing is due."""
        lease = self.lease(run_id)
        if lease is None:
            return None
        self.complete(lease, self.execute(lease))
        return lease

    def run_wave(self, max_attempts: int = DEFAULT_WAVE, run_id: str | None = None) -> int:
        """Lease up to `max_attempts` due attempts in one transaction, execute them one after another,
        and record all their results in one more; returns how many ran.

        A crash mid-wave loses at most the wave's unrecorded results: those attempts run again, under
        their idempotency keys, once their leases expire.
        """
        leases = self.lease_many(max_attempts, run_id)
        if not leases:
            return 0
        results, returned = self._execute_wave(leases)
        loaded: dict[str, LiveRun] = {}
        with self.database.session() as session:
            writes = Writes(self.clock())
            if results:
                self._record(session, writes, results, loaded)
            for lease in returned:
                batch.give_back(writes, lease)
            writes.flush(session)
        self._keep(loaded)
        return len(results)

    def _execute_wave(
        self, leases: Sequence[Lease]
    ) -> tuple[builtins.list[tuple[Lease, Outcome]], builtins.list[Lease]]:
        """Execute a wave's leases in order. The first always runs; those reached once `lease_seconds`
        have passed are returned unexecuted, so no step starts with less than its own timeout plus the
        margin of lease left (a wave of slow actions must not let its last leases expire and run twice)."""
        started = time.monotonic()
        results: builtins.list[tuple[Lease, Outcome]] = []
        returned: builtins.list[Lease] = []
        for lease in leases:
            if returned or (results and time.monotonic() - started >= self.lease_seconds):
                returned.append(lease)
            else:
                results.append((lease, self.execute(lease)))
        return results, returned

    def drain(self, max_steps: int = 1000, run_id: str | None = None, wave: int = 1) -> int:
        """Execute due attempts until none is left (or `max_steps`); returns how many ran.

        Each transaction records one wave's results and leases the next wave (up to `wave` attempts),
        so a sequential run costs one transaction per step. With `wave=1` a crash repeats at most the
        one action in flight; a wider wave shares each commit across runs and may repeat its whole
        wave (each action under its idempotency key).
        """
        if wave < 1:
            raise ValueError(f"wave must be at least 1, not {wave}")
        done = 0
        leases = self.lease_many(min(wave, max_steps), run_id) if max_steps > 0 else []
        while leases:
            results, returned = self._execute_wave(leases)
            done += len(results)
            budget = min(wave, max_steps - done) if not returned else 0  # a slow wave ends the drain
            with self.database.session() as session:
                writes = Writes(self.clock())
                loaded: dict[str, LiveRun] = {}
                if results:
                    self._record(session, writes, results, loaded)
                for lease in returned:
                    batch.give_back(writes, lease)
                leases = self._take(session, writes, budget, run_id, loaded) if budget > 0 else []
                writes.flush(session)
            self._keep(loaded)
            if not leases and budget > 0:  # a backoff may have passed meanwhile: look again, at a new time
                leases = self.lease_many(budget, run_id)
        return done

    def execute(self, lease: Lease) -> Outcome:
        """Perform the leased work; an action that already succeeded under this key is not run again."""
        earlier = self._earlier_success(lease) if lease.attempt > 1 else None
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
        return run_action(self.registry, lease.name, lease.args, context, lease.timeout)

    def _earlier_success(self, lease: Lease) -> dict[str, Any] | None:
        """The output of an earlier attempt under the lease's key that succeeded, if one did.

        Only a retry (attempt 2 and up) can have one: attempt 1 is the only row with its key and number.
        """
        with self.database.session(write=False) as session:
            row = session.get(StepAttemptRow, lease.attempt_id)
            return succeeded_output(session, row) if row is not None else None

    def complete(self, lease: Lease, outcome: Outcome) -> bool:
        """Record the result if the lease is still ours (a late worker's result is dropped); True if kept.

        A status of None parks the attempt: the work goes on elsewhere and a signal decides the step.
        """
        return self.complete_many([(lease, outcome)])[0]

    def complete_many(self, results: Sequence[tuple[Lease, Outcome]]) -> builtins.list[bool]:
        """Record many attempts' results in one transaction; for each, whether it was kept."""
        loaded: dict[str, LiveRun] = {}
        with self.database.session() as session:
            kept = self._record(session, Writes(self.clock()), results, loaded)
        self._keep(loaded)
        return kept

    def _keep(self, runs: dict[str, LiveRun]) -> None:
        """After a commit: cache the states just written, so the next step of a run skips reading it."""
        for run in runs.values():
            if run.state is not None:
                self.states.put(run.id, run.version, run.state)

    def _take(
        self, session: Session, writes: Writes, limit: int, run_id: str | None, loaded: dict[str, LiveRun]
    ) -> builtins.list[Lease]:
        """Lease due attempts inside the caller's transaction (their runs are locked first)."""
        at = writes.at
        for _ in range(LEASE_TRIES):
            candidates = batch.ready_ids(session, at, limit, run_id)
            if not candidates:
                return []
            wanted = {row.run_id for row in candidates} - loaded.keys()
            if wanted:
                skip = not self.database.is_sqlite  # runs another worker holds: take others instead
                loaded.update(batch.load_runs(session, wanted, lock=True, skip_locked=skip))
            ids = [row.id for row in candidates if row.run_id in loaded]
            rows = batch.load_attempts(session, ids, lock=True) if ids else {}
            due = [rows[i] for i in ids if i in rows and batch.is_due(rows[i], loaded[rows[i].run_id], at)]
            if due:
                margin = LEASE_MARGIN_SECONDS
                return [
                    batch.lease(writes, loaded[row.run_id], row, self.owner, self.lease_seconds, margin)
                    for row in due
                ]
        return []  # other workers took every candidate meanwhile; the caller tries again later

    def _record(
        self,
        session: Session,
        writes: Writes,
        results: Sequence[tuple[Lease, Outcome]],
        loaded: dict[str, LiveRun],
    ) -> builtins.list[bool]:
        """Apply results inside the caller's transaction and write them; `loaded` gets their runs."""
        run_ids = {lease.run_id for lease, _ in results}
        loaded.update(batch.load_runs(session, run_ids, lock=True, states=self.states))
        rows = batch.load_attempts(session, [lease.attempt_id for lease, _ in results], lock=True, args=False)
        kept: builtins.list[bool] = []
        touched: dict[str, LiveRun] = {}
        for lease, (status, output, error, code) in results:
            row, run = rows.get(lease.attempt_id), loaded.get(lease.run_id)
            if row is None or run is None:
                kept.append(False)
                continue
            if (row.status, row.lease_owner, row.leases) != (AttemptStatus.LEASED, lease.owner, lease.number):
                writes.entry(
                    run, "result_discarded", step=row.step_id, attempt=row.attempt, lease=lease.number
                )
                kept.append(False)
                continue
            kept.append(True)
            if status is None:  # parked: the work goes on elsewhere and a signal will decide the step
                writes.parked.append({"b_id": row.id, "b_output": output})
                writes.entry(
                    run, "step_parked", step=row.step_id, attempt=row.attempt, key=row.idempotency_key
                )
                continue
            conductor = run.conductor_in(session)
            result = StepResult(row.step_id, row.attempt, status, output, error, code, writes.at.isoformat())
            batch.finish(writes, run, row, result)
            conductor.record(result)
            touched[run.id] = run
        changed = [run for run in touched.values() if batch.save(writes, run, run.conductor_in(session))]
        if self._write(session, writes, changed):
            loaded.clear()  # a finishing hook may have changed runs: lease from what is stored
        return kept

    def _write(self, session: Session, writes: Writes, changed: builtins.list[LiveRun]) -> bool:
        """Write the rows, then call the finishing hooks of runs that just finished; True if any ran."""
        writes.flush(session)
        finished = [run for run in changed if run.status in FINISHED_STATUSES]
        if not finished or not self.on_finished:
            return False
        for run in finished:
            row: RunRow = fetch(session, RunRow, run.id, "run")  # written with Core: read it back
            session.refresh(row)
            for hook in self.on_finished:
                hook(session, row)
        session.flush()
        return True

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
            run = batch.load_runs(work.session, [run_id], lock=True, states=self.states).get(run_id)
            if run is None:
                raise NotFound(f"run {run_id!r} does not exist", details={"object": "run", "id": run_id})
            at = self.clock()
            before = run.status
            run.open_steps = batch.open_steps(work.session, run_id)  # re-check every open attempt
            conductor = run.conductor_in(work.session)
            apply(conductor, at.isoformat())
            writes = Writes(at)
            writes.entry(run, action, work.actor, **data)
            changed = batch.save(writes, run, conductor)
            hooked = self._write(work.session, writes, [run] if changed else [])
            work.record(OBJECT_TYPE, run_id, action, before={"status": before}, after={"status": run.status})
            row: RunRow = fetch(work.session, RunRow, run_id, "run")
            work.session.refresh(row)
        if not hooked:
            self._keep({run_id: run})
        return row
