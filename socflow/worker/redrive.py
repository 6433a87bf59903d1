"""Re-driving failed runs in bulk: pick them by playbook, time and error code, retry each from its failure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from socflow.errors import Issue, SocflowError, ValidationFailed
from socflow.playbooks.work import RunStatus
from socflow.storage.tables_runs import RunRow
from socflow.worker.runs import RunService

MAX_REDRIVE: Final = 1000  # runs one request may re-drive


@dataclass(frozen=True)
class RedriveFilter:
    """Which failed runs to re-drive: all optional; `since`/`until` bound when the run failed."""

    playbook_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    error_code: str | None = None
    limit: int = MAX_REDRIVE

    def check(self) -> None:
        for name, value in (("since", self.since), ("until", self.until)):
            if value is not None and value.tzinfo is None:
                raise ValidationFailed(f"{name} needs a time zone", issues=[Issue(name, "an aware time")])
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ValidationFailed("until is before since", issues=[Issue("until", "not before since")])
        if not 1 <= self.limit <= MAX_REDRIVE:
            raise ValidationFailed(
                f"limit must be 1 to {MAX_REDRIVE}", issues=[Issue("limit", f"1 to {MAX_REDRIVE}")]
            )


@dataclass(frozen=True)
class Redriven:
    """One run's part in a re-drive: the step it resumes from, and its status after (or the error)."""

    run_id: str
    playbook_id: str
    step: str | None
    error_code: str | None
    status: str
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "playbook_id": self.playbook_id,
            "step": self.step,
            "error_code": self.error_code,
            "status": self.status,
            "problem": self.problem,
        }


def failed_step(run: RunRow) -> str | None:
    """The step a failed run failed at (None when the run itself failed, e.g. its max_duration)."""
    failure = run.state.get("failure") or {}
    step = failure.get("step") or (run.state.get("error") or {}).get("step")
    return str(step) if step else None


def select_failed(service: RunService, query: RedriveFilter) -> list[RunRow]:
    """The failed runs the filter matches, oldest failure first."""
    query.check()
    stmt = (
        select(RunRow).where(RunRow.status == RunStatus.FAILED.value).order_by(RunRow.updated_at, RunRow.id)
    )
    if query.playbook_id is not None:
        stmt = stmt.where(RunRow.playbook_id == query.playbook_id)
    if query.since is not None:
        stmt = stmt.where(RunRow.updated_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(RunRow.updated_at < query.until)
    with service.database.session(write=False) as session:
        rows = list(session.scalars(stmt))
    if query.error_code is not None:
        rows = [row for row in rows if (row.state.get("error") or {}).get("code") == query.error_code]
    return rows[: query.limit]


def redrive(
    service: RunService,
    actor: str,
    query: RedriveFilter,
    *,
    dry_run: bool = False,
    progress: Callable[[Redriven], None] | None = None,
    runs: Sequence[RunRow] | None = None,
) -> list[Redriven]:
    """Retry each matching run from its failed step, one transaction per run; a run that cannot be
    re-driven (it moved on meanwhile, or failed outside any step) is reported, not fatal.

    `runs` are the runs `select_failed` picked, when the caller read them first (to show progress).
    """
    results: list[Redriven] = []
    for row in select_failed(service, query) if runs is None else runs:
        step = failed_step(row)
        code = (row.state.get("error") or {}).get("code")
        if step is None:
            item = Redriven(
                row.id, row.playbook_id, None, code, row.status, "the run failed outside any step"
            )
        elif dry_run:
            item = Redriven(row.id, row.playbook_id, step, code, row.status)
        else:
            try:
                moved = service.retry_from(actor, row.id, step)
                item = Redriven(row.id, row.playbook_id, step, code, moved.status)
            except SocflowError as exc:
                item = Redriven(row.id, row.playbook_id, step, code, row.status, exc.message)
        results.append(item)
        if progress is not None:
            progress(item)
    return results
