"""`socflow run`: start runs of published playbooks, drain their steps here, and read them back."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from socflow.cli.commands_run_control import COMMANDS
from socflow.cli.context import Actor, Json, state, who
from socflow.cli.shapes import print_json
from socflow.errors import Issue, ValidationFailed
from socflow.worker.run_views import run_dict, stored_run_detail
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service
from socflow.worker.triggers import manual_trigger

app = typer.Typer(
    name="run",
    help="Playbook runs: start, drain (execute due steps), list, show, pause/resume/cancel, retry, "
    "answer approvals and tasks, re-drive failed runs.",
)

RunId = Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")]


def _service(ctx: typer.Context) -> RunService:
    return build_run_service(state(ctx).tracker().database)


def parse_inputs(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a value that reads as JSON (number, true, list ...) is taken as that, else as text."""
    inputs: dict[str, Any] = {}
    for index, pair in enumerate(pairs):
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed(
                f"--input {pair!r} is not NAME=VALUE", issues=[Issue(f"input[{index}]", "NAME=VALUE")]
            )
        try:
            inputs[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            inputs[name.strip()] = raw
    return inputs


@app.command("start")
def start(
    ctx: typer.Context,
    playbook: Annotated[str, typer.Argument(metavar="PLAYBOOK", help="The playbook's id.")],
    inputs: Annotated[
        list[str] | None, typer.Option("--input", metavar="NAME=VALUE", help="A run input (repeatable).")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", metavar="CASE_ID", help="Run on this case (`trigger.case`).")
    ] = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Start a run of the published version; `socflow serve`, `socflow worker` or `run drain` execute it."""
    service = _service(ctx)
    by = who(actor)
    trigger = manual_trigger(service.database, by, None, case)
    run_id = service.start(by, playbook, parse_inputs(inputs or []), trigger, case)
    if as_json:
        print_json(run_dict(service.get(run_id)))
    else:
        typer.echo(f"Started run {run_id} of {playbook}")


@app.command("drain")
def drain(
    ctx: typer.Context,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Stop after this many steps.")] = 1000,
    as_json: Json = False,
) -> None:
    """Execute every due step of every run in this process, until none is due."""
    ran = _service(ctx).drain(max_steps)
    if as_json:
        print_json({"steps": ran})
    else:
        typer.echo(f"Executed {ran} step(s)")


@app.command("list")
def list_runs(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="Only runs of this status.")] = None,
    as_json: Json = False,
) -> None:
    """List runs, newest first."""
    rows = _service(ctx).list(status=status)
    if as_json:
        print_json({"items": [run_dict(row) for row in rows], "next": None})
        return
    for row in rows:
        outcome = row.state.get("outcome") or ""
        typer.echo(f"{row.id}  {row.playbook_id:<30} {row.status:<10} {outcome}")


_UNTIL = {
    "timer": "its timer fires",
    "max_duration": "max_duration, the run fails",
    "stuck_after": "the stuck-run alert",
}


def waiting_line(waiting: dict[str, Any]) -> str:
    """One `Waiting on:` line; a state also says until when and, per event, its guard and target."""
    since = f"Waiting on: {waiting['summary']} since {waiting['since']}"
    if waiting["kind"] != "state":
        due = f", due {waiting['due_at']}" if waiting["due_at"] else ""
        return since + due + (" OVERDUE" if waiting["overdue"] else "")
    until = (
        f", until {waiting['deadline']} ({_UNTIL[waiting['deadline_kind']]})" if waiting["deadline"] else ""
    )
    events = [
        f"\n    on {event['name']} -> {event['to']}" + (f" when {event['when']}" if event["when"] else "")
        for event in waiting["events"]
    ]
    return since + until + "".join(events)


@app.command("show")
def show(ctx: typer.Context, run_id: RunId, as_json: Json = False) -> None:
    """Show a run: its status, each step attempt, and its journal."""
    detail = stored_run_detail(_service(ctx), run_id, state(ctx).settings.run_stuck_after)
    if as_json:
        print_json(detail)
        return
    typer.echo(f"Run {detail['id']} of {detail['version_id']}: {detail['status']} {detail['outcome'] or ''}")
    for attempt in detail["attempts"]:
        code = f" ({attempt['error_code']})" if attempt["error_code"] else ""
        step = f"{attempt['step_id']}#{attempt['attempt']}"
        typer.echo(f"  {step:<30} {attempt['name']:<24} {attempt['status']}{code}")
    for waiting in detail["waiting_on"]:
        typer.echo(waiting_line(waiting))
    typer.echo("Journal:")
    for entry in detail["journal"]:
        typer.echo(
            f"  {entry['seq']:>4} {entry['at']} {entry['kind']} {json.dumps(entry['data'], default=str)}"
        )


for _name, _command in COMMANDS.items():  # pause, resume, cancel, retry, answer, approve, reject, redrive
    app.command(_name)(_command)
