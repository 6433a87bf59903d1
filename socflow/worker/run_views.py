"""Plain JSON views of runs, attempts and journal entries, shared by the CLI and the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from socflow.storage.tables_runs import RunJournalRow, RunRow, StepAttemptRow


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def run_dict(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "playbook_id": row.playbook_id,
        "version_id": row.version_id,
        "status": row.status,
        "outcome": row.state.get("outcome"),
        "error": row.state.get("error"),
        "case_id": row.case_id,
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "version": row.version,
    }


def attempt_dict(row: StepAttemptRow) -> dict[str, Any]:
    return {
        "step_id": row.step_id,
        "attempt": row.attempt,
        "kind": row.kind,
        "name": row.name,
        "status": row.status,
        "idempotency_key": row.idempotency_key,
        "leases": row.leases,
        "args": row.args,
        "output": row.output,
        "error": row.error,
        "error_code": row.error_code,
        "not_before": _iso(row.not_before),
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
    }


def journal_dict(row: RunJournalRow) -> dict[str, Any]:
    return {"seq": row.seq, "at": _iso(row.at), "kind": row.kind, "actor": row.actor, "data": row.data}


def run_detail(
    row: RunRow, attempts: Sequence[StepAttemptRow], journal: Sequence[RunJournalRow]
) -> dict[str, Any]:
    """The run with its attempts and its whole journal (the journal is the run's history)."""
    return {
        **run_dict(row),
        "attempts": [attempt_dict(a) for a in attempts],
        "journal": [journal_dict(j) for j in journal],
    }
