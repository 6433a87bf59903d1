"""`socflow alert`: create (idempotent by source and reference), list, show, and promote to a case."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from socflow.cases.alerts import AlertInput
from socflow.cases.listing import ListQuery, SortField
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
from socflow.cli.output import print_alert, print_alerts
from socflow.cli.shapes import alert_dict, case_dict, page_dict, print_json
from socflow.model.lifecycle import AlertStatus
from socflow.model.severity import Severity

app = typer.Typer(name="alert", help="Alerts: what tools and detections report, one per source reference.")


class AlertSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SEVERITY = "severity"
    LAST_SEEN = "last_seen"


@app.command("create")
def create(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--source", help="The tool or detection that raised it.")],
    ref: Annotated[str, typer.Option("--ref", help="The source's own id for it (deduplication key).")],
    title: Annotated[str, typer.Option("--title")],
    severity: Annotated[Severity, typer.Option("--severity")] = Severity.MEDIUM,
    description: Annotated[str, typer.Option("--description")] = "",
    tag: Tags = None,
    observable: Observables = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Record an alert; sending the same --source and --ref again updates it instead of adding one."""
    data = AlertInput(
        source=source,
        source_ref=ref,
        title=title,
        severity=severity,
        description=description,
        tags=tag or (),
        observables=parse_observables(observable),
    )
    row, created = state(ctx).tracker().alerts.ingest(who(actor), data)
    if as_json:
        print_json({**alert_dict(row), "created": created})
    elif created:
        typer.echo(f"Created alert {row.id}")
    else:
        typer.echo(f"Updated alert {row.id} (same source and reference, seen {row.count} times)")


@app.command("list")
def list_alerts(
    ctx: typer.Context,
    status: Annotated[list[AlertStatus] | None, typer.Option("--status", help="Repeat for several.")] = None,
    severity: Annotated[list[Severity] | None, typer.Option("--severity", help="Repeat for several.")] = None,
    source: Annotated[str | None, typer.Option("--source")] = None,
    tag: Annotated[str | None, typer.Option("--tag")] = None,
    sort: Annotated[AlertSort, typer.Option("--sort")] = AlertSort.CREATED_AT,
    order: Annotated[Order, typer.Option("--order")] = Order.DESC,
    limit: Limit = 50,
    cursor: Cursor = None,
    as_json: Json = False,
) -> None:
    """List alerts, newest first, one page at a time."""
    query = ListQuery(
        status=list(status or ()),
        severity=list(severity or ()),
        tag=tag,
        sort=SortField(sort.value),
        descending=order is Order.DESC,
        limit=limit,
        cursor=cursor,
        extra={"source": source} if source else {},
    )
    page = state(ctx).tracker().alerts.search(query)
    if as_json:
        print_json(page_dict((alert_dict(row) for row in page.items), page.next))
    else:
        print_alerts(page.items, page.next)


@app.command("show")
def show(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(metavar="ALERT")],
    as_json: Json = False,
) -> None:
    """Show one alert with its observables."""
    row = state(ctx).tracker().alerts.get(alert_id)
    if as_json:
        print_json(alert_dict(row))
    else:
        print_alert(row)


@app.command("promote")
def promote(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(metavar="ALERT")],
    title: Annotated[str | None, typer.Option("--title", help="Defaults to the alert's title.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Open a case from an alert; its severity, labels, tags and observables carry over."""
    case = state(ctx).tracker().linking.promote(who(actor), alert_id, title=title, assignee=assignee)
    if as_json:
        print_json(case_dict(case))
    else:
        typer.echo(f"Promoted alert {alert_id} to case {case.id}")
