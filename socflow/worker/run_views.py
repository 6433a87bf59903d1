"""Plain JSON views of runs, attempts and journal entries, shared by the CLI and the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from socflow.playbooks.graph import WorkKind
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
        "parent_run_id": row.parent_run_id,
        "parent_step_id": row.parent_step_id,
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "version": row.version,
        "deadline": row.state.get("deadline"),
        "stuck_at": _iso(row.stuck_at),
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
        "due_at": _iso(row.due_at),
        "timeout_seconds": row.timeout_seconds,
    }


def _who(work: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """Who or what a work item waits on, as data and as one line for people."""
    kind, name, args = work["kind"], work["name"], work.get("args") or {}
    if kind == WorkKind.HUMAN_TASK:
        who = {"assignee": args.get("assignee"), "role": args.get("role")}
        named = " / ".join(f"{k} {v}" for k, v in who.items() if v) or "any analyst"
        return who, f"human task for {named}"
    if kind == WorkKind.APPROVAL:
        decided = [d["actor"] for d in work.get("decisions", []) if d.get("decision") == "approved"]
        who = {
            "role": args.get("role"),
            "approvers": args.get("approvers", 1),
            "approved_by": decided,
            "four_eyes": args.get("four_eyes"),
            "requested_by": args.get("requested_by"),
        }
        role = f"role {who['role']}" if who["role"] else "any approver"
        return who, f"approval of {args.get('action')} by {role} ({len(decided)} of {who['approvers']})"
    if kind == WorkKind.WAIT_EVENT:
        correlate = args.get("correlate") or {}
        keys = ", ".join(f"{k}={v}" for k, v in sorted(correlate.items()))
        return None, f"event {name}" + (f" ({keys})" if keys else "")
    if kind == WorkKind.WAIT_TIMER:
        return None, f"timer until {work.get('due_at')}"
    return None, f"{kind} {name}"


def waiting_on(state: dict[str, Any], attempts: Sequence[StepAttemptRow] = ()) -> list[dict[str, Any]]:
    """Each piece of work the run waits on: kind, who, since when, when due, whether overdue."""
    rows = {(a.step_id, a.attempt): a for a in attempts}
    items = []
    for work in state.get("work", {}).values():
        row = rows.get((work["step_id"], work["attempt"]))
        who, summary = _who(work)
        since = None if row is None else (row.started_at or row.not_before)
        items.append(
            {
                "step_id": work["step_id"],
                "kind": work["kind"],
                "name": work["name"],
                "attempt": work["attempt"],
                "status": None if row is None else row.status,
                "who": who,
                "summary": summary,
                "since": _iso(since),
                "due_at": work.get("due_at"),
                "expires_at": work.get("expires_at"),
                "overdue": bool(work.get("overdue")),
                "overdue_since": work.get("overdue_since"),
                "held": bool(work.get("held")),
            }
        )
    return items


def journal_dict(row: RunJournalRow) -> dict[str, Any]:
    return {"seq": row.seq, "at": _iso(row.at), "kind": row.kind, "actor": row.actor, "data": row.data}


def run_detail(
    row: RunRow, attempts: Sequence[StepAttemptRow], journal: Sequence[RunJournalRow]
) -> dict[str, Any]:
    """The run with its attempts and its whole journal (the journal is the run's history)."""
    return {
        **run_dict(row),
        "waiting_on": waiting_on(row.state, attempts),
        "attempts": [attempt_dict(a) for a in attempts],
        "journal": [journal_dict(j) for j in journal],
    }
