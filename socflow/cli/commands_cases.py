"""`socflow case`: open, list and show cases, and merge duplicates (lifecycle moves live next door)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from socflow.cases.case_service import MAX_TIER, MIN_TIER, CaseInput
from socflow.cases.listing import ListQuery, SortField
from socflow.cli import commands_case_actions
from socflow.cli.commands_case_actions import CaseArg
from socflow.cli.context import (
    Actor,
    Cursor,
    Json,
    Limit,
    Observables,
    Order,
    Tags,
    parse_observables,
    state,
    who,
)
from socflow.cli.output import print_case, print_cases
from socflow.cli.output_runs import print_runs
from socflow.cli.shapes import CaseView, case_dict, page_dict, print_json
from socflow.model.lifecycle import CaseStatus
from socflow.model.severity import Severity
from socflow.storage.pagination import MAX_LIMIT
from socflow.worker.run_control import runs_of_case, with_run_entries
from socflow.worker.run_views import run_dict

app = typer.Typer(name="case", help="Cases: one security event, tracked from triage to closure.")


class CaseSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SEVERITY = "severity"
    PRIORITY = "priority"


Tier = Annotated[int, typer.Option("--tier", min=MIN_TIER, max=MAX_TIER, help="Analyst tier, 1 to 3.")]


@app.command("create")
def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title")],
    severity: Annotated[Severity, typer.Option("--severity")] = Severity.MEDIUM,
    priority: Annotated[
        int | None,
        typer.Option("--priority", min=1, max=4, help="1 (highest) to 4; derived from severity if omitted."),
    ] = None,
    tier: Tier = MIN_TIER,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    tag: Tags = None,
    observable: Observables = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Open a case by hand (use `socflow alert promote` to open one from an alert)."""
    data = CaseInput(
        title=title,
        severity=severity,
        description=description,
        priority=priority,
        tier=tier,
        assignee=assignee,
        tags=tag or (),
        observables=parse_observables(observable),
    )
    row = state(ctx).tracker().cases.create(who(actor), data)
    if as_json:
        print_json(case_dict(row))
    else:
        typer.echo(f"Created case {row.id}")


@app.command("list")
def list_cases(
    ctx: typer.Context,
    status: Annotated[list[CaseStatus] | None, typer.Option("--status", help="Repeat for several.")] = None,
    severity: Annotated[list[Severity] | None, typer.Option("--severity", help="Repeat for several.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="Only cases nobody owns.")] = False,
    tag: Annotated[str | None, typer.Option("--tag")] = None,
    tier: Annotated[int | None, typer.Option("--tier", min=MIN_TIER, max=MAX_TIER)] = None,
    sort: Annotated[CaseSort, typer.Option("--sort")] = CaseSort.CREATED_AT,
    order: Annotated[Order, typer.Option("--order")] = Order.DESC,
    limit: Limit = 50,
    cursor: Cursor = None,
    as_json: Json = False,
) -> None:
    """List cases, newest first, one page at a time."""
    if unassigned and assignee is not None:
        raise typer.BadParameter("give --assignee or --unassigned, not both", param_hint="--unassigned")
    extra: dict[str, object] = {}
    if unassigned:
        extra["assignee"] = None
    elif assignee is not None:
        extra["assignee"] = assignee
    if tier is not None:
        extra["tier"] = tier
    query = ListQuery(
        status=list(status or ()),
        severity=list(severity or ()),
        tag=tag,
        sort=SortField(sort.value),
        descending=order is Order.DESC,
        limit=limit,
        cursor=cursor,
        extra=extra,
    )
    page = state(ctx).tracker().cases.search(query)
    if as_json:
        print_json(page_dict((case_dict(row) for row in page.items), page.next))
    else:
        print_cases(page.items, page.next)


@app.command("show")
def show(ctx: typer.Context, case_id: CaseArg, as_json: Json = False) -> None:
    """Show a case with its tasks, observables, alerts, comments, playbook runs and full timeline."""
    tracker = state(ctx).tracker()
    case = tracker.cases.get(case_id)
    alerts = tracker.alerts.search(
        ListQuery(sort=SortField.CREATED_AT, descending=False, limit=MAX_LIMIT, extra={"case_id": case.id})
    )
    view = CaseView(
        case=case,
        tasks=tracker.tasks.for_case(case.id),
        observables=tracker.cases.observables(case.id),
        alerts=alerts.items,
        comments=tracker.notes.comments(case.id),
        timeline=with_run_entries(tracker.database, case.id, tracker.cases.timeline(case.id)),
    )
    runs = runs_of_case(tracker.database, case.id)
    if as_json:
        print_json({**view.to_dict(), "runs": [run_dict(run) for run in runs]})
    else:
        print_case(view)
        if runs:
            print_runs(runs, "Playbook runs")


@app.command("merge")
def merge(
    ctx: typer.Context,
    survivor: Annotated[str, typer.Argument(metavar="SURVIVOR", help="The case that stays open.")],
    cases: Annotated[list[str], typer.Argument(metavar="CASE...", help="Cases folded into it.")],
    reason: Annotated[str, typer.Option("--reason")] = "",
    actor: Actor = None,
) -> None:
    """Fold duplicate cases into SURVIVOR; each one is closed as a duplicate that points to it."""
    row = state(ctx).tracker().linking.merge(who(actor), survivor, cases, reason)
    typer.echo(f"Merged {', '.join(dict.fromkeys(cases))} into case {row.id}")


commands_case_actions.register(app)
