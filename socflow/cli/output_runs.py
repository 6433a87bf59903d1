"""Rich output for runs: run tables, one run after an operator's move, and re-drive results."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from socflow.cli.output import cell, console, id_column
from socflow.storage.tables_runs import RunRow
from socflow.worker.redrive import Redriven


def runs_table(rows: Sequence[RunRow], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    id_column(table, "RUN")
    for name in ("PLAYBOOK", "STATUS", "OUTCOME", "PARENT", "CREATED"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            cell(row.id),
            cell(row.playbook_id),
            cell(row.status),
            cell(row.state.get("outcome")),
            cell(f"{row.parent_run_id}/{row.parent_step_id}" if row.parent_run_id else None),
            cell(row.created_at.isoformat(timespec="seconds")),
        )
    return table


def print_runs(rows: Sequence[RunRow], title: str | None = None) -> None:
    console().print(runs_table(rows, title))


def print_moved(row: RunRow, action: str) -> None:
    """One line after pause/resume/cancel/retry/answer: what happened and where the run stands."""
    outcome = row.state.get("outcome")
    tail = f" ({outcome})" if outcome and row.status in ("succeeded", "failed", "cancelled") else ""
    console().print(f"Run {row.id} {action}: now {row.status}{tail}")


def print_redrive(items: Sequence[Redriven], dry_run: bool) -> None:
    table = Table(title="Would re-drive" if dry_run else "Re-driven", title_justify="left")
    id_column(table, "RUN")
    for name in ("PLAYBOOK", "FROM STEP", "ERROR CODE", "STATUS", "PROBLEM"):
        table.add_column(name)
    for item in items:
        table.add_row(
            cell(item.run_id),
            cell(item.playbook_id),
            cell(item.step),
            cell(item.error_code),
            cell(item.status),
            cell(item.problem),
        )
    out = console()
    out.print(table)
    done = sum(1 for item in items if item.problem is None)
    verb = "would be re-driven" if dry_run else "re-driven"
    out.print(f"{len(items)} failed run(s) matched; {done} {verb}")
