"""Actions on one case: lifecycle moves, closing, tiers, ownership, comments and tasks."""

from __future__ import annotations

from typing import Annotated

import typer

from socflow.cases.case_service import MAX_TIER, MIN_TIER
from socflow.cases.tasks import TaskInput
from socflow.cli.context import Actor, state, who
from socflow.model.lifecycle import CaseStatus, Resolution

CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="The case id (case_...).")]
Reason = Annotated[str, typer.Option("--reason", help="Why; kept in the timeline.")]


def transition(
    ctx: typer.Context,
    case_id: CaseArg,
    to: Annotated[CaseStatus, typer.Argument(metavar="STATUS", help="The status to move to.")],
    reason: Reason = "",
    resolution: Annotated[
        Resolution | None, typer.Option("--resolution", help="Only when moving to closed.")
    ] = None,
    actor: Actor = None,
) -> None:
    """Move the case along its lifecycle; a move the lifecycle does not allow is refused."""
    row = state(ctx).tracker().cases.transition(who(actor), case_id, to, reason=reason, resolution=resolution)
    suffix = f" ({row.resolution})" if row.resolution else ""
    typer.echo(f"Case {row.id} is now {row.status}{suffix}")


def close(
    ctx: typer.Context,
    case_id: CaseArg,
    resolution: Annotated[Resolution, typer.Option("--resolution", help="How the case ended.")],
    reason: Reason = "",
    actor: Actor = None,
) -> None:
    """Close the case (a transition to closed) with a resolution."""
    row = (
        state(ctx)
        .tracker()
        .cases.transition(who(actor), case_id, CaseStatus.CLOSED, reason=reason, resolution=resolution)
    )
    typer.echo(f"Case {row.id} is now closed ({row.resolution})")


def escalate(
    ctx: typer.Context,
    case_id: CaseArg,
    tier: Annotated[int, typer.Option("--tier", min=MIN_TIER, max=MAX_TIER, help="The tier, 1 to 3.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the tier changes (required).")],
    assignee: Annotated[
        str | None, typer.Option("--assignee", help="Hand the case to this analyst too.")
    ] = None,
    actor: Actor = None,
) -> None:
    """Move the case to another tier: up escalates, down de-escalates."""
    row = state(ctx).tracker().cases.escalate(who(actor), case_id, tier, reason=reason, assignee=assignee)
    owner = f", assigned to {row.assignee}" if row.assignee else ""
    typer.echo(f"Case {row.id} is now at tier {row.tier}{owner}")


def assign(
    ctx: typer.Context,
    case_id: CaseArg,
    assignee: Annotated[str, typer.Argument(metavar="ASSIGNEE", help="Who owns the case from now on.")],
    actor: Actor = None,
) -> None:
    """Give the case an owner (or a new one)."""
    row = state(ctx).tracker().cases.assign(who(actor), case_id, assignee)
    typer.echo(f"Case {row.id} is assigned to {row.assignee}")


def comment(
    ctx: typer.Context,
    case_id: CaseArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The comment.")],
    actor: Actor = None,
) -> None:
    """Add a comment to the case."""
    row = state(ctx).tracker().notes.comment(who(actor), case_id, text)
    typer.echo(f"Added comment {row.id} to case {case_id}")


def task(
    ctx: typer.Context,
    case_id: CaseArg,
    title: Annotated[str, typer.Argument(metavar="TITLE", help="What needs doing.")],
    instructions: Annotated[str, typer.Option("--instructions")] = "",
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    actor: Actor = None,
) -> None:
    """Add a task to the case."""
    data = TaskInput(title=title, instructions=instructions, assignee=assignee)
    row = state(ctx).tracker().tasks.create(who(actor), case_id, data)
    typer.echo(f"Added task {row.id} to case {case_id}")


def register(app: typer.Typer) -> None:
    """Add these commands to the `case` group."""
    app.command("transition")(transition)
    app.command("close")(close)
    app.command("escalate")(escalate)
    app.command("assign")(assign)
    app.command("comment")(comment)
    app.command("task")(task)
