"""`socflow run pause|resume|cancel|retry|answer|approve|reject|event|deliver|redrive`: operating runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socflow.cli.context import Actor, Json, state, who
from socflow.cli.output import console
from socflow.cli.output_runs import print_moved, print_redrive
from socflow.cli.shapes import print_json
from socflow.errors import Issue, ValidationFailed
from socflow.playbooks.work import Event
from socflow.storage.tables_runs import RunRow
from socflow.worker.event_delivery import deliver as deliver_event
from socflow.worker.redrive import MAX_REDRIVE, RedriveFilter, Redriven, redrive, select_failed
from socflow.worker.run_control import answer
from socflow.worker.run_views import run_dict
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service

RunId = Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")]
StepId = Annotated[str, typer.Argument(metavar="STEP", help="The waiting step's id.")]
Roles = Annotated[
    list[str] | None, typer.Option("--role", metavar="ROLE", help="A role you decide in (repeatable).")
]
Data = Annotated[
    list[str] | None,
    typer.Option(
        "--data", metavar="NAME=VALUE", help="Data kept with the decision (repeatable; JSON values)."
    ),
]
_AGO: Final = re.compile(r"(\d+)([smhdw])")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _service(ctx: typer.Context) -> RunService:
    return build_run_service(state(ctx).tracker().database)


def pairs(values: list[str], option: str) -> dict[str, Any]:
    """`NAME=VALUE` pairs; a VALUE that reads as JSON is taken as such, else as text."""
    result: dict[str, Any] = {}
    for index, pair in enumerate(values):
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            path = f"{option}[{index}]"
            raise ValidationFailed(f"{option} {pair!r} is not NAME=VALUE", issues=[Issue(path, "NAME=VALUE")])
        try:
            result[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            result[name.strip()] = raw
    return result


def parse_time(value: str | None, option: str, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 time with a zone, or an age such as `30m`, `24h`, `7d` (that long before now)."""
    if value is None:
        return None
    ago = _AGO.fullmatch(value.strip())
    if ago is not None:
        delta = timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
        return (now or datetime.now(UTC)) - delta
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        problem = "an ISO 8601 time with a zone (2026-12-01T08:00:00Z) or an age (30m, 24h, 7d)"
        raise ValidationFailed(f"{option} must be {problem}, not {value!r}", issues=[Issue(option, problem)])
    return parsed


def _done(row: RunRow, action: str, as_json: bool) -> None:
    if as_json:
        print_json(run_dict(row))
    else:
        print_moved(row, action)


def pause(ctx: typer.Context, run_id: RunId, actor: Actor = None, as_json: Json = False) -> None:
    """Pause a run: nothing new is handed to workers until it is resumed."""
    _done(_service(ctx).pause(who(actor), run_id), "paused", as_json)


def resume(ctx: typer.Context, run_id: RunId, actor: Actor = None, as_json: Json = False) -> None:
    """Resume a paused run."""
    _done(_service(ctx).resume(who(actor), run_id), "resumed", as_json)


def cancel(
    ctx: typer.Context,
    run_id: RunId,
    reason: Annotated[str, typer.Option("--reason", help="Kept as the run's outcome.")] = "cancelled",
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Cancel a run for good (its unfinished sub-playbook runs too)."""
    _done(_service(ctx).cancel(who(actor), run_id, reason), "cancelled", as_json)


def retry(
    ctx: typer.Context,
    run_id: RunId,
    step: Annotated[str, typer.Option("--step", help="The failed step to resume from.")],
    args: Annotated[
        str | None, typer.Option("--args", metavar="JSON", help="Edited arguments for that step (an object).")
    ] = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Resume a failed run from a failed step, optionally with edited arguments."""
    edited = None
    if args is not None:
        try:
            edited = json.loads(args)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"--args is not JSON: {exc}", issues=[Issue("args", "a JSON object")]
            ) from None
        if not isinstance(edited, dict):
            raise ValidationFailed("--args must be a JSON object", issues=[Issue("args", "a JSON object")])
    _done(_service(ctx).retry_from(who(actor), run_id, step, edited), f"retried from {step}", as_json)


def _answer(ctx: typer.Context, run_id: str, step: str, decision: str, **extra: Any) -> RunRow:
    roles, data = extra.get("roles") or [], pairs(extra.get("data") or [], "--data")
    return answer(_service(ctx), who(extra.get("actor")), run_id, step, decision, data, roles)


def answer_step(
    ctx: typer.Context,
    run_id: RunId,
    step: StepId,
    decision: Annotated[str, typer.Option("--decision", help="The outcome, e.g. done or escalate.")] = "done",
    data: Data = None,
    roles: Roles = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Complete a human task (or decide any step waiting for people) with a decision and data."""
    row = _answer(ctx, run_id, step, decision, data=data, roles=roles, actor=actor)
    _done(row, f"step {step} answered {decision}", as_json)


def approve(
    ctx: typer.Context,
    run_id: RunId,
    step: StepId,
    roles: Roles = None,
    data: Data = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Approve an approval step (it needs your --role; four-eyes refuses the run's requester)."""
    _done(_answer(ctx, run_id, step, "approved", data=data, roles=roles, actor=actor), "approved", as_json)


def reject(
    ctx: typer.Context,
    run_id: RunId,
    step: StepId,
    roles: Roles = None,
    data: Data = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Reject an approval step: the action it guards never runs."""
    _done(_answer(ctx, run_id, step, "rejected", data=data, roles=roles, actor=actor), "rejected", as_json)


def event(
    ctx: typer.Context,
    run_id: RunId,
    name: Annotated[str, typer.Argument(metavar="EVENT", help="The event's name.")],
    data: Data = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Send an outside event to a run (completes the wait_event steps it correlates with)."""
    row = _service(ctx).signal(who(actor), run_id, Event(name, pairs(data or [], "--data")))
    _done(row, f"got event {name}", as_json)


def deliver(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="EVENT", help="The event's name.")],
    data: Data = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Broadcast an event to every run waiting for it (wait_event steps whose correlation keys match)."""
    runs = deliver_event(_service(ctx), who(actor), name, pairs(data or [], "--data"))
    if as_json:
        print_json({"event": name.strip(), "runs": runs})
    elif runs:
        console().print(f"event {name.strip()} signalled {len(runs)} run(s): {', '.join(runs)}")
    else:
        console().print(f"event {name.strip()}: no run was waiting for it with matching keys")


def redrive_runs(
    ctx: typer.Context,
    playbook: Annotated[str | None, typer.Option("--playbook", help="Only runs of this playbook.")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Failed at or after: ISO time with zone, or an age (24h, 7d)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Failed before (same forms as --since).")
    ] = None,
    error_code: Annotated[
        str | None, typer.Option("--error-code", help="Only runs failed with this code.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_REDRIVE)] = MAX_REDRIVE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be re-driven; change nothing.")
    ] = False,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Re-drive failed runs in bulk: each resumes from its failed step."""
    query = RedriveFilter(playbook, parse_time(since, "since"), parse_time(until, "until"), error_code, limit)
    service = _service(ctx)
    runs = select_failed(service, query)
    by = who(actor)
    if as_json or not runs:
        items = redrive(service, by, query, dry_run=dry_run, runs=runs)
    else:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console(), transient=True) as bar:
            task = bar.add_task("checking" if dry_run else "re-driving", total=len(runs))

            def advance(_item: Redriven) -> None:
                bar.advance(task)

            items = redrive(service, by, query, dry_run=dry_run, progress=advance, runs=runs)
    if as_json:
        done = sum(1 for item in items if item.problem is None and not dry_run)
        print_json(
            {
                "dry_run": dry_run,
                "matched": len(items),
                "redriven": done,
                "items": [i.to_dict() for i in items],
            }
        )
    else:
        print_redrive(items, dry_run)


COMMANDS: Final[dict[str, Callable[..., None]]] = {
    "pause": pause,
    "resume": resume,
    "cancel": cancel,
    "retry": retry,
    "answer": answer_step,
    "approve": approve,
    "reject": reject,
    "event": event,
    "deliver": deliver,
    "redrive": redrive_runs,
}
