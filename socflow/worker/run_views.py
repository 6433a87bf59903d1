"""Plain JSON views of runs, attempts and journal entries, shared by the CLI and the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from socflow.errors import NotFound
from socflow.playbooks.graph import EdgeKind, Graph, NodeType, WorkKind
from socflow.playbooks.work import FINISHED
from socflow.storage.tables_runs import RunJournalRow, RunRow, StepAttemptRow
from socflow.worker.run_cache import graph_for

if TYPE_CHECKING:
    from socflow.worker.runs import RunService


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


def _state_wait(
    state: dict[str, Any], graph: Graph, entered_fallback: datetime | None, stuck_alert_at: datetime | None
) -> dict[str, Any] | None:
    """The state a state-machine run rests in: the events that leave it, since when, and until when.

    Until when: the state's earliest timer or the run's `max_duration` deadline, whichever is first;
    with neither, when the stuck-run alert is raised (`stuck_alert_at`, if known).
    """
    current = state.get("current")
    if state.get("status") in FINISHED or current is None or state.get("exit_to") is not None:
        return None
    node = graph.nodes.get(current)
    if node is None or node.type is not NodeType.STATE or node.spec.final:
        return None
    work = list(state.get("work", {}).values())
    timers = [w["due_at"] for w in work if w["kind"] == WorkKind.WAIT_TIMER and w["node_id"] == current]
    # Any other work is the state's entry chain: only then can `entered` and `steps.<id>.*` still come.
    in_flight = {w["node_id"] for w in work if w["node_id"] != current}
    events = [
        {
            "name": edge.label,
            "guarded": edge.guard is not None,
            "when": None if edge.guard is None else _bare(edge.guard.source),
            "to": edge.target,
        }
        for edge in node.by_kind.get(EdgeKind.EVENT, ())
        if _may_come(edge.label, in_flight)
    ]
    limits = [(due, "timer") for due in timers]
    if state.get("deadline"):
        limits.append((state["deadline"], "max_duration"))
    deadline, deadline_kind = min(
        limits, key=lambda limit: datetime.fromisoformat(limit[0]), default=(None, None)
    )
    if deadline is None and stuck_alert_at is not None:
        deadline, deadline_kind = stuck_alert_at.isoformat(), "stuck_after"
    return {
        "step_id": current,
        "kind": "state",
        "name": current,
        "attempt": None,
        "status": None,
        "who": None,
        "summary": _state_summary(current, events, min(timers, key=datetime.fromisoformat, default=None)),
        "since": state.get("entered_at") or _iso(entered_fallback),
        "due_at": None,
        "expires_at": None,
        "overdue": False,
        "overdue_since": None,
        "held": False,
        "events": events,
        "deadline": deadline,
        "deadline_kind": deadline_kind,
    }


def _bare(expression: str) -> str:
    """A guard as written: `x > 3` for `{{ x > 3 }}` (the two mean the same)."""
    inner = expression.strip()
    if inner.startswith("{{") and inner.endswith("}}") and inner.count("{{") == 1:
        return inner[2:-2].strip()
    return expression


def _may_come(event: str, in_flight: set[str]) -> bool:
    """Whether an event can still leave the state: `entered` and `steps.<id>.*` only while it runs."""
    if event == "entered":
        return bool(in_flight)
    kind, _, rest = event.partition(".")
    step, _, outcome = rest.rpartition(".")
    if kind == "steps" and outcome in ("succeeded", "failed"):
        return step in in_flight
    return True


def _state_summary(state_id: str, events: list[dict[str, Any]], timer: str | None) -> str:
    """One line: the state and what leaves it; an event is `(guarded)` when every transition on it is."""
    names: dict[str, bool] = {}
    for event in events:
        names[event["name"]] = names.get(event["name"], True) and event["guarded"]
    ways = [f"{name} (guarded)" if guarded else name for name, guarded in names.items()]
    left_by = [f"event {', '.join(ways)}"] if ways else []
    if timer is not None:
        left_by.append(f"its timer at {timer}")
    return f"state {state_id}, " + (f"left by {' or '.join(left_by)}" if left_by else "with no way out left")


def waiting_on(
    state: dict[str, Any],
    attempts: Sequence[StepAttemptRow] = (),
    graph: Graph | None = None,
    *,
    entered_fallback: datetime | None = None,
    stuck_alert_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Each piece of work the run waits on: kind, who, since when, when due, whether overdue.

    Given the run's `graph`, a state-machine run resting in a state also waits on that state (kind
    `state`): the events that leave it, since it was entered (`entered_fallback`, the run's last
    change, for states saved before the entry time was kept) and until when (see `_state_wait`).
    """
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
    resting = None if graph is None else _state_wait(state, graph, entered_fallback, stuck_alert_at)
    if resting is not None:
        items.append(resting)
    return items


def journal_dict(row: RunJournalRow) -> dict[str, Any]:
    return {"seq": row.seq, "at": _iso(row.at), "kind": row.kind, "actor": row.actor, "data": row.data}


def run_detail(
    row: RunRow,
    attempts: Sequence[StepAttemptRow],
    journal: Sequence[RunJournalRow],
    graph: Graph | None = None,
    stuck_after: timedelta | None = None,
) -> dict[str, Any]:
    """The run with its attempts and its whole journal (the journal is the run's history).

    With the run's `graph`, a state-machine run resting in a state lists that state in `waiting_on`;
    `stuck_after` (SOCFLOW_RUN_STUCK_AFTER) dates its stuck-run alert when nothing else limits it.
    """
    stuck_alert_at = None if stuck_after is None else row.created_at + stuck_after
    waits = waiting_on(
        row.state, attempts, graph, entered_fallback=row.updated_at, stuck_alert_at=stuck_alert_at
    )
    return {
        **run_dict(row),
        "waiting_on": waits,
        "attempts": [attempt_dict(a) for a in attempts],
        "journal": [journal_dict(j) for j in journal],
    }


def stored_run_detail(
    service: RunService, run_id: str, stuck_after: timedelta | None = None
) -> dict[str, Any]:
    """`run_detail` of a stored run, read through `service`, with its playbook version's graph."""
    row = service.get(run_id)
    attempts, journal = service.attempts(run_id), service.journal(run_id)
    graph = None
    if row.status not in FINISHED and row.state.get("current") is not None:
        with service.database.session(write=False) as session:
            try:
                graph = graph_for(session, row.version_id)
            except NotFound:  # the version is gone: the run's state is shown without its transitions
                graph = None
    return run_detail(row, attempts, journal, graph, stuck_after)
