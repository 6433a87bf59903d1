"""Rich tables for people: alert and case lists, one alert, one case with its parts and timeline."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from socflow.cases.alerts import alert_tags
from socflow.cases.case_service import case_tags
from socflow.cli.shapes import CaseView
from socflow.storage.tables import AlertRow, AuditEntryRow, CaseRow

_PIPE_WIDTH = 160
_ID_WIDTH = 32  # "alert_" + 26 ULID characters; ids are never wrapped or cut
_SUMMARY_VALUE = 60
_CREATED_KEYS = ("title", "severity", "status", "assignee", "body", "type", "value")


def console() -> Console:
    """A console on the current sys.stdout (a terminal, a pipe, a test runner), made per call."""
    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        # Rich assumes 80 columns when writing to a pipe: too narrow for two ids and a title.
        out.width = _PIPE_WIDTH
    return out


def cell(value: object) -> Text:
    """A table cell as plain text: data from alerts is never read as Rich markup."""
    if value is None or value == "":
        return Text("-", style="dim")
    if isinstance(value, datetime):
        return Text(value.strftime("%Y-%m-%d %H:%M:%S"))
    return Text(str(value))


def id_column(table: Table, name: str = "ID") -> None:
    table.add_column(name, no_wrap=True, min_width=_ID_WIDTH)


def _short(value: Any, names: Mapping[str, str]) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        text = names.get(value, value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SUMMARY_VALUE else text[: _SUMMARY_VALUE - 1] + "…"


def change_summary(row: AuditEntryRow, names: Mapping[str, str] | None = None) -> str:
    """One readable line for a journal entry: `field: old -> new` for what changed, the reason last.

    `names` turns ids into something a person recognises (an observable id into `ip:203.0.113.7`).
    """
    names = names or {}
    before: dict[str, Any] = json.loads(row.before)
    after: dict[str, Any] = json.loads(row.after)
    if row.action == "created":
        after = {key: after[key] for key in _CREATED_KEYS if after.get(key) not in (None, "")}
    reason = after.pop("reason", None)
    parts = []
    for key, value in after.items():
        if key in before:
            parts.append(f"{key}: {_short(before[key], names)} -> {_short(value, names)}")
        elif value not in (None, "", [], {}):
            parts.append(f"{key}: {_short(value, names)}")
    parts.extend(f"{key}: {_short(value, names)} -> -" for key, value in before.items() if key not in after)
    if reason:
        parts.append(f"reason: {_short(reason, names)}")
    return "; ".join(parts)


def print_alerts(rows: Sequence[AlertRow], next_cursor: str | None) -> None:
    table = Table(title=Text(f"Alerts ({len(rows)})"), title_justify="left", box=box.SIMPLE_HEAD)
    id_column(table)
    for name in ("Severity", "Status", "Source", "Title", "Seen", "Case"):
        table.add_column(name, no_wrap=name != "Title")
    for row in rows:
        table.add_row(
            cell(row.id),
            cell(row.severity),
            cell(row.status),
            cell(row.source),
            cell(row.title),
            cell(row.count),
            cell(row.case_id),
        )
    out = console()
    out.print(table)
    _next_hint(out, next_cursor)


def print_cases(rows: Sequence[CaseRow], next_cursor: str | None) -> None:
    table = Table(title=Text(f"Cases ({len(rows)})"), title_justify="left", box=box.SIMPLE_HEAD)
    id_column(table)
    for name in ("Severity", "P", "Tier", "Status", "Assignee", "Title"):
        table.add_column(name, no_wrap=name != "Title")
    for row in rows:
        table.add_row(
            cell(row.id),
            cell(row.severity),
            cell(row.priority),
            cell(row.tier),
            cell(row.status),
            cell(row.assignee),
            cell(row.title),
        )
    out = console()
    out.print(table)
    _next_hint(out, next_cursor)


def _next_hint(out: Console, next_cursor: str | None) -> None:
    if next_cursor:
        out.print(Text(f"More results: repeat the command with --cursor {next_cursor}"))


def print_fields(out: Console, heading: str, fields: Sequence[tuple[str, object]]) -> None:
    """A heading line, then a two-column table of field names and values."""
    out.print(Text(heading, style="bold"))
    table = Table(show_header=False)
    table.add_column("Field", style="bold", no_wrap=True)
    table.add_column("Value")
    for name, value in fields:
        table.add_row(Text(name), cell(value))
    out.print(table)


def print_alert(row: AlertRow) -> None:
    out = console()
    print_fields(
        out,
        f"Alert {row.id}",
        [
            ("Title", row.title),
            ("Source", f"{row.source} / {row.source_ref}"),
            ("Severity", row.severity),
            ("Status", row.status),
            ("TLP / PAP", f"{row.tlp} / {row.pap}"),
            ("Tags", ", ".join(alert_tags(row))),
            ("Times seen", row.count),
            ("First seen", row.first_seen),
            ("Last seen", row.last_seen),
            ("Case", row.case_id),
            ("Description", row.description),
            ("Version", row.version),
        ],
    )
    if row.observable_links:
        table = Table(title=Text("Observables"), title_justify="left")
        table.add_column("Type", no_wrap=True)
        table.add_column("Value")
        for link in row.observable_links:
            table.add_row(cell(link.observable.type), cell(link.observable.value))
        out.print(table)


def _seen_elsewhere(others: int) -> str:
    if others == 0:
        return "only this case"
    return f"seen in {others} other case" + ("" if others == 1 else "s")


def print_case(view: CaseView) -> None:
    row = view.case
    out = console()
    status = row.status if row.resolution is None else f"{row.status} ({row.resolution})"
    print_fields(
        out,
        f"Case {row.id}",
        [
            ("Title", row.title),
            ("Status", status),
            ("Severity / priority", f"{row.severity} / P{row.priority}"),
            ("Tier", row.tier),
            ("Assignee", row.assignee),
            ("TLP / PAP", f"{row.tlp} / {row.pap}"),
            ("Tags", ", ".join(case_tags(row))),
            ("Merged into", row.merged_into_id),
            ("Created", f"{row.created_at:%Y-%m-%d %H:%M:%S} by {row.created_by}"),
            ("Incident confirmed", row.incident_confirmed_at),
            ("Closed", row.closed_at),
            ("Description", row.description),
            ("Version", row.version),
        ],
    )
    tasks = Table(title=Text(f"Tasks ({len(view.tasks)})"), title_justify="left")
    for name in ("#", "Status", "Assignee", "Title"):
        tasks.add_column(name, no_wrap=name != "Title")
    for task in view.tasks:
        tasks.add_row(cell(task.position), cell(task.status), cell(task.assignee), cell(task.title))
    out.print(tasks)
    observables = Table(title=Text(f"Observables ({len(view.observables)})"), title_justify="left")
    for name in ("Type", "Value", "IOC", "Elsewhere"):
        observables.add_column(name, no_wrap=name != "Value")
    for link, others in view.observables:
        ioc = "yes" if link.observable.ioc else "no"
        observables.add_row(
            cell(link.observable.type), cell(link.observable.value), cell(ioc), cell(_seen_elsewhere(others))
        )
    out.print(observables)
    alerts = Table(title=Text(f"Alerts ({len(view.alerts)})"), title_justify="left")
    id_column(alerts)
    for name in ("Source", "Seen", "Title"):
        alerts.add_column(name, no_wrap=name == "Seen")
    for alert in view.alerts:
        alerts.add_row(cell(alert.id), cell(alert.source), cell(alert.count), cell(alert.title))
    out.print(alerts)
    comments = Table(title=Text(f"Comments ({len(view.comments)})"), title_justify="left")
    for name in ("When", "Author", "Comment"):
        comments.add_column(name, no_wrap=name != "Comment")
    for comment in view.comments:
        comments.add_row(cell(comment.created_at), cell(comment.author), cell(comment.body))
    out.print(comments)
    names = {
        link.observable.id: f"{link.observable.type}:{link.observable.value}" for link, _ in view.observables
    }
    out.print(timeline_table(view.timeline, names))


def timeline_table(entries: Sequence[AuditEntryRow], names: Mapping[str, str] | None = None) -> Table:
    table = Table(title=Text(f"Timeline ({len(entries)})"), title_justify="left")
    for name in ("#", "When (UTC)", "Actor", "Object", "Action", "Change"):
        table.add_column(name, no_wrap=name not in ("Actor", "Change"))
    for entry in entries:
        table.add_row(
            cell(entry.seq),
            cell(entry.at[:19].replace("T", " ")),
            cell(entry.actor),
            cell(entry.object_type),
            cell(entry.action),
            cell(change_summary(entry, names)),
        )
    return table
