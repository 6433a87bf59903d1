"""The engine's clock: fires waiting steps' due times, enforces run deadlines and flags stuck runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from socflow.cases.alerts import AlertInput, AlertService
from socflow.config import Settings
from socflow.errors import NotFound, SocflowError
from socflow.logging import get_logger
from socflow.model.severity import Severity
from socflow.playbooks.conductor import next_due
from socflow.playbooks.graph import Graph
from socflow.playbooks.issue import seconds
from socflow.playbooks.work import EXPIRED_CODE, TIMEOUT_CODE, Lapse, ResultStatus, RunStatus, StepResult
from socflow.storage.tables_playbooks import PlaybookVersionRow
from socflow.storage.tables_runs import RunRow, StepAttemptRow
from socflow.worker import run_batch as batch
from socflow.worker.catalogue import graph_of
from socflow.worker.run_store import ACTIVE_RUNS, OPEN, AttemptStatus
from socflow.worker.run_views import waiting_on
from socflow.worker.runs import RunService

log = get_logger("socflow.worker")

ACTOR: Final = "socflow:timekeeper"  # who the clock's changes to runs and the stuck alerts are made by
ALERT_SOURCE: Final = "socflow"
DEFAULT_STUCK_AFTER: Final = 24 * 3600.0
STUCK_SCAN_SECONDS: Final = 60.0
RETRY_FAILED_SECONDS: Final = 300.0  # a due time that could not be applied is tried again this much later
# Runs that have not finished; a paused run counts: it can hang as silently as any other.
UNFINISHED: Final = (*ACTIVE_RUNS, RunStatus.PAUSED.value)
_RUNS: Final = cast(Table, RunRow.__table__)
_ATTEMPTS: Final = cast(Table, StepAttemptRow.__table__)


def _graph(session: Session, version_id: str) -> Graph:
    version = session.get(PlaybookVersionRow, version_id)
    if version is None:
        raise NotFound(f"playbook version {version_id!r} is gone", details={"version": version_id})
    return graph_of(version)


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class Timekeeper:
    """Applies passed due times through the run's conductor, one transaction per step or run.

    Late is fine, never is not: whatever fell due while no worker ran is applied on the next pass.
    `fire_due()` is what the worker loop ticks; it returns how many due times it applied.
    """

    def __init__(
        self,
        service: RunService,
        *,
        alerts: AlertService | None = None,
        stuck_after: float | None = None,
        batch_size: int = 200,
        stuck_scan_seconds: float = STUCK_SCAN_SECONDS,
    ) -> None:
        self.service = service
        self.database = service.database
        self.alerts = alerts if alerts is not None else AlertService(service.database)
        self.stuck_after = float(stuck_after) if stuck_after else DEFAULT_STUCK_AFTER
        self.batch_size = batch_size
        self.stuck_scan_seconds = stuck_scan_seconds
        self._last_scan: datetime | None = None

    @classmethod
    def from_settings(cls, service: RunService, settings: Settings) -> Timekeeper:
        """The timekeeper with the configured stuck-run limit (SOCFLOW_RUN_STUCK_AFTER)."""
        return cls(service, stuck_after=settings.run_stuck_after.total_seconds())

    def fire_due(self, now: datetime | None = None) -> int:
        """Apply every due time passed by `now` (default: the service's clock); how many were applied."""
        at = now or self.service.clock()
        fired = 0
        for attempt_id, run_id in self.due_attempts(at):
            applied = self._guarded(self.fire_attempt, attempt_id, run_id, at)
            if applied is None:
                self._postpone(attempt_id, at)
            fired += applied or 0
        last = self._last_scan
        if last is None or at < last or (at - last).total_seconds() >= self.stuck_scan_seconds:
            self._last_scan = at
            fired += self.check_runs(at)
        return fired

    def _guarded(self, apply: Any, *args: Any) -> int | None:
        """1 if applied, 0 if nothing was due, None if it failed (logged; the others go on)."""
        try:
            return 1 if apply(*args) else 0
        except SocflowError as exc:
            log.warning("timekeeper_failed", target=[str(a) for a in args[:-1]], error=exc.message)
        except Exception:  # one broken run never stops the clock for the others
            log.exception("timekeeper_failed", target=[str(a) for a in args[:-1]])
        return None

    def _postpone(self, attempt_id: int, at: datetime) -> None:
        """Try a failing attempt again later rather than on every tick (late rather than never)."""
        later = at + timedelta(seconds=RETRY_FAILED_SECONDS)
        try:
            with self.database.session() as session:
                query = update(_ATTEMPTS).where(_ATTEMPTS.c.id == attempt_id, _ATTEMPTS.c.due_at <= at)
                session.execute(query.values(due_at=later))
        except SocflowError as exc:
            log.warning("timekeeper_postpone_failed", attempt=attempt_id, error=exc.message)

    # -- waiting steps ----------------------------------------------------------------------------

    def due_attempts(self, at: datetime) -> Sequence[tuple[int, str]]:
        """(attempt id, run id) of waiting attempts whose due time has passed, oldest due first."""
        query = (
            select(StepAttemptRow.id, StepAttemptRow.run_id)
            .join(RunRow, RunRow.id == StepAttemptRow.run_id)
            .where(
                StepAttemptRow.status == AttemptStatus.WAITING.value,
                StepAttemptRow.due_at <= at,
                RunRow.status.in_(ACTIVE_RUNS),
            )
            .order_by(StepAttemptRow.due_at, StepAttemptRow.id)
            .limit(self.batch_size)
        )
        with self.database.session(write=False) as session:
            return [(int(row[0]), str(row[1])) for row in session.execute(query)]

    def fire_attempt(self, attempt_id: int, run_id: str, at: datetime) -> bool:
        """Apply one waiting attempt's due time in one transaction; False if nothing was due any more.

        A run already past its own deadline is handled as a whole (stuck alert, then the deadline):
        the step's due time no longer matters.
        """
        with self.database.session() as session:
            run = batch.load_runs(session, [run_id], lock=True, states=self.service.states).get(run_id)
            row = batch.load_attempts(session, [attempt_id], lock=True).get(attempt_id)
            if run is None or row is None or run.status not in ACTIVE_RUNS:
                return False
            if row.status != AttemptStatus.WAITING:
                return False
            deadline = _parse((run.state or {}).get("deadline"))
            if deadline is None or deadline > at:
                return self._expire(session, run, row, at)
        return self._past_deadline(run_id, at)

    def _expire(self, session: Session, run: batch.LiveRun, row: batch.StoredRow, at: datetime) -> bool:
        run.open_steps = batch.open_steps(session, run.id)
        conductor = run.conductor_in(session)
        writes = batch.Writes(at)
        expiry = conductor.expire(row.step_id, at.isoformat())
        if expiry is not None:
            data = {"step": row.step_id, "attempt": row.attempt, "kind": row.kind, "due": expiry.due}
            writes.entry(run, f"step_{expiry.lapse.value}", ACTOR, **data)
            if expiry.lapse is not Lapse.OVERDUE:
                code = EXPIRED_CODE if expiry.lapse is Lapse.EXPIRED else TIMEOUT_CODE
                lapsed = expiry.lapse.value.replace("_", " ")
                message = f"{row.kind} {row.name!r} {lapsed} at {expiry.due}"
                stamp = at.isoformat()
                result = StepResult(
                    row.step_id, row.attempt, ResultStatus.TIMED_OUT, {}, message, code, stamp
                )
                batch.finish(writes, run, row, result)
            log.info("step_due_time", run_id=run.id, step=row.step_id, lapse=expiry.lapse.value)
        changed = batch.save(writes, run, conductor)
        self.service._write(session, writes, [run] if changed else [])
        work = conductor.state.get("work", {}).get(row.step_id)
        due = _parse(next_due(work)) if work is not None and work["attempt"] == row.attempt else None
        # Nothing (more) to fire for this attempt now: its next due time, or none, so it is not re-picked.
        next_time = due if due is not None and due > at else None
        session.execute(update(_ATTEMPTS).where(_ATTEMPTS.c.id == row.id).values(due_at=next_time))
        return expiry is not None or changed

    def _past_deadline(self, run_id: str, at: datetime) -> bool:
        with self.database.session(write=False) as session:
            row = session.get(RunRow, run_id)
            graph = None if row is None else _graph(session, row.version_id)
        limit = None if graph is None else graph.playbook.limits.max_duration
        if limit is None:
            return False
        flagged = self.flag_stuck(run_id, seconds(limit), at)
        return self.apply_deadline(run_id, at) or flagged

    # -- runs: deadlines and stuck runs -----------------------------------------------------------

    def check_runs(self, at: datetime) -> int:
        """Raise one alert per run open past its limit, then fail the runs past `limits.max_duration`."""
        applied = 0
        for version_id, limit, has_deadline in self._limits():
            started_before = at - timedelta(seconds=limit)
            for run_id in self._runs(version_id, started_before, unflagged=True):
                applied += self._guarded(self.flag_stuck, run_id, limit, at) or 0
            if has_deadline:
                for run_id in self._runs(version_id, started_before, unflagged=False):
                    applied += self._guarded(self.apply_deadline, run_id, at) or 0
        return applied

    def _limits(self) -> list[tuple[str, float, bool]]:
        """(version, seconds a run may stay open, whether the playbook sets max_duration) per version."""
        query = select(RunRow.version_id).where(RunRow.status.in_(UNFINISHED)).distinct()
        found = []
        with self.database.session(write=False) as session:
            for version_id in session.scalars(query).all():
                try:
                    graph = _graph(session, version_id)
                except SocflowError:
                    continue
                limit = graph.playbook.limits.max_duration
                found.append((version_id, seconds(limit) if limit else self.stuck_after, bool(limit)))
        return found

    def _runs(self, version_id: str, started_before: datetime, *, unflagged: bool) -> list[str]:
        query = select(RunRow.id).where(
            RunRow.version_id == version_id,
            RunRow.status.in_(UNFINISHED),
            RunRow.created_at <= started_before,
        )
        if unflagged:
            query = query.where(RunRow.stuck_at.is_(None))
        with self.database.session(write=False) as session:
            return list(session.scalars(query.order_by(RunRow.created_at).limit(self.batch_size)))

    def flag_stuck(self, run_id: str, limit: float, at: datetime) -> bool:
        """Raise the run's stuck alert, then mark the run and journal it; the mark makes it once only.

        The alert comes first: a crash before the mark raises it again on the next pass, which the
        alert's (source, source_ref) folds into the same alert rather than losing it.
        """
        with self.database.session(write=False) as session:
            row = session.get(RunRow, run_id)
            if row is None or row.stuck_at is not None or row.status not in UNFINISHED:
                return False
            attempts = session.scalars(
                select(StepAttemptRow).where(StepAttemptRow.run_id == run_id, StepAttemptRow.status.in_(OPEN))
            ).all()
            graph = _graph(session, row.version_id)  # a state machine also waits on its state
            waits = waiting_on(row.state, attempts, graph, entered_fallback=row.updated_at)
        alert = self.alerts.ingest(ACTOR, _stuck_alert(row, waits, limit, at))[0]
        with self.database.session() as session:
            marked = session.connection().execute(
                update(_RUNS)
                .where(_RUNS.c.id == run_id, _RUNS.c.stuck_at.is_(None))
                .values(stuck_at=at, version=_RUNS.c.version + 1)
            )
            if not marked.rowcount:
                return False
            run = batch.load_runs(session, [run_id], lock=True)[run_id]
            writes = batch.Writes(at)
            summary = [{"step": w["step_id"], "on": w["summary"], "since": w["since"]} for w in waits]
            writes.entry(run, "run_stuck", ACTOR, alert=alert.id, limit_seconds=limit, waiting=summary)
            writes.flush(session)
        log.warning("run_stuck", run_id=run_id, playbook=row.playbook_id, alert=alert.id)
        return True

    def apply_deadline(self, run_id: str, at: datetime) -> bool:
        """Fail a run past its playbook's `limits.max_duration` (the conductor's deadline)."""
        with self.database.session() as session:
            run = batch.load_runs(session, [run_id], lock=True, states=self.service.states).get(run_id)
            if run is None or run.status not in UNFINISHED:
                return False
            deadline = (run.state or {}).get("deadline")
            if not deadline or datetime.fromisoformat(deadline) > at:
                return False
            run.open_steps = batch.open_steps(session, run_id)
            conductor = run.conductor_in(session)
            writes = batch.Writes(at)
            conductor.tick(at.isoformat())
            writes.entry(run, "run_deadline", ACTOR, deadline=deadline)
            changed = batch.save(writes, run, conductor)
            self.service._write(session, writes, [run] if changed else [])
            return changed


def _stuck_alert(row: RunRow, waits: list[dict[str, Any]], limit: float, at: datetime) -> AlertInput:
    """The alert a stuck run raises: the playbook, the run, its status, what it waits on and since when."""
    hours = limit / 3600
    lines = [
        f"Playbook {row.playbook_id!r} run {row.id} has not finished after {hours:g}h "
        f"(started {row.created_at.isoformat()}, now {at.isoformat()}).",
        f"Status: {row.status}.",
    ]
    if row.state.get("deadline"):
        lines.append(f"Its limits.max_duration ends at {row.state['deadline']}: the run fails then.")
    if waits:
        lines.append("Waiting on:")
        for wait in waits:
            overdue = " (overdue)" if wait["overdue"] else ""
            lines.append(f"- step {wait['step_id']}: {wait['summary']}, since {wait['since']}{overdue}")
    else:
        lines.append("It waits on no step.")
    return AlertInput(
        source=ALERT_SOURCE,
        source_ref=f"run-stuck:{row.id}",
        title=f"Playbook run stuck: {row.playbook_id} run {row.id} ({row.status})"[:500],
        severity=Severity.HIGH,
        description="\n".join(lines),
        tags=["socflow", "playbook-run", "run-stuck"],
    )
