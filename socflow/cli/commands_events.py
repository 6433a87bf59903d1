"""`socflow events search|prune`: one table for events from every device; retention by age, count or size."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from pydantic import ByteSize, TypeAdapter, ValidationError
from rich import box
from rich.table import Table
from rich.text import Text

from socflow.cli.context import Cursor, Json, Limit, state
from socflow.cli.output import cell, console
from socflow.cli.shapes import page_dict, print_json
from socflow.errors import Issue, ValidationFailed
from socflow.storage.events import EventQuery, EventStore, FieldFilter, shown_message
from socflow.storage.tables_events import EventRow

app = typer.Typer(name="events", help="Stored events: search them, prune old ones.")

_BYTE_SIZE: TypeAdapter[ByteSize] = TypeAdapter(ByteSize)
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_COLUMNS = ("@timestamp", "Dataset", "Host", "Source", "Destination", "User", "Action", "Outcome", "Message")


def parse_duration(text: str, option: str) -> timedelta:
    """'30d', '12h', '90m', '1w' as a timedelta."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise ValidationFailed(
            f"{option} {text!r} is not a duration like 30d, 12h, 90m or 1w",
            issues=[Issue(option, "e.g. 30d")],
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_time(text: str | None, option: str) -> datetime | None:
    """ISO 8601; a time without a zone is UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{option} {text!r} is not an ISO 8601 time (e.g. 2026-11-01T10:00:00Z)",
            issues=[Issue(option, "not an ISO 8601 time")],
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_dict(row: EventRow) -> dict[str, Any]:
    document = json.loads(row.document)
    return {
        "id": row.id,
        "timestamp": row.timestamp.isoformat(),
        "dataset": row.dataset,
        "host": row.host_name,
        "source_ip": row.source_ip,
        "destination_ip": row.destination_ip,
        "user": row.user_name,
        "action": row.event_action,
        "outcome": row.event_outcome,
        "message": shown_message(row, document),
        "origin": row.origin,
        "document": document,
    }


@app.command("search")
def search(
    ctx: typer.Context,
    start: Annotated[
        str | None, typer.Option("--from", help="Events at or after this time (ISO 8601).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Events before this time (ISO 8601).")] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--field", metavar="FIELD:VALUE", help="e.g. source.ip:10.0.0.0/8; repeatable."),
    ] = None,
    text: Annotated[
        str | None, typer.Option("-q", "--query", help="Text in the message or original.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    as_json: Json = False,
) -> None:
    """Search events, newest first, one page at a time."""
    query = EventQuery(
        start=parse_time(start, "--from"),
        end=parse_time(end, "--to"),
        fields=[FieldFilter.parse(item) for item in field or []],
        text=text,
        limit=limit,
        cursor=cursor,
    )
    page = EventStore(state(ctx).tracker().database).search(query)
    if as_json:
        print_json(page_dict((event_dict(row) for row in page.items), page.next))
        return
    table = Table(title=Text(f"Events ({len(page.items)})"), title_justify="left", box=box.SIMPLE_HEAD)
    for name in _COLUMNS:
        table.add_column(name, no_wrap=name != "Message")
    for row in page.items:
        table.add_row(
            cell(row.timestamp),
            cell(row.dataset),
            cell(row.host_name),
            cell(row.source_ip),
            cell(row.destination_ip),
            cell(row.user_name),
            cell(row.event_action),
            cell(row.event_outcome),
            cell(shown_message(row)),
        )
    out = console()
    out.print(table)
    if page.next:
        out.print(Text(f"More results: repeat the command with --cursor {page.next}"))


@app.command("prune")
def prune(
    ctx: typer.Context,
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="e.g. 30d; default SOCFLOW_RETENTION_DAYS.")
    ] = None,
    max_events: Annotated[
        int | None,
        typer.Option("--max-events", min=0, help="Keep at most N; default SOCFLOW_RETENTION_MAX_EVENTS."),
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help="Keep at most this much, e.g. 50GB or 10GiB; default SOCFLOW_RETENTION_MAX_BYTES.",
        ),
    ] = None,
) -> None:
    """Delete events stamped before a cutoff, then the oldest beyond a count, then beyond a size."""
    cli = state(ctx)
    settings = cli.settings
    age = parse_duration(older_than, "--older-than") if older_than else None
    if age is None and settings.retention_days is not None:
        age = timedelta(days=settings.retention_days)
    keep = max_events if max_events is not None else settings.retention_max_events
    size = parse_size(max_size, "--max-size") if max_size is not None else settings.retention_max_bytes
    if age is None and keep is None and size is None:
        raise ValidationFailed(
            "say what to prune: --older-than, --max-events or --max-size (or set SOCFLOW_RETENTION_DAYS, "
            "SOCFLOW_RETENTION_MAX_EVENTS or SOCFLOW_RETENTION_MAX_BYTES)",
            issues=[Issue(option, "missing") for option in ("--older-than", "--max-events", "--max-size")],
        )
    store = EventStore(cli.tracker().database)
    cutoff = None if age is None else datetime.now(UTC) - age
    removed = store.prune(older_than=cutoff, max_events=keep, max_bytes=size)
    typer.echo(f"Pruned {removed} events; {store.count()} remain")


def parse_size(text: str, option: str) -> int:
    """'50GB', '10GiB', '1.5 gb' or a number of bytes."""
    try:
        return int(_BYTE_SIZE.validate_python(text.strip()))
    except ValidationError:
        raise ValidationFailed(
            f"{option}: {text!r} is not a size (e.g. 50GB, 10GiB, 500MB, or a number of bytes)",
            issues=[Issue(option, "not a size")],
        ) from None
