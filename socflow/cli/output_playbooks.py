"""Playbook output for people and scripts: catalogue tables, rehearsal results and the graph as a tree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from socflow.cli.output import cell, console
from socflow.cli.shapes import iso
from socflow.errors import Issue
from socflow.playbooks.graph import Graph
from socflow.playbooks.rehearse import RehearsalReport
from socflow.storage.tables_playbooks import PlaybookRow, PlaybookVersionRow


def playbook_dict(row: PlaybookRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "owner": row.owner,
        "tags": list(row.tags),
        "kind": row.kind,
        "published_version_id": row.published_version_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def version_dict(row: PlaybookVersionRow, *, source: bool = False) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "id": row.id,
        "playbook_id": row.playbook_id,
        "number": row.number,
        "version": row.version,
        "status": row.status,
        "content_hash": row.content_hash,
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "published_by": row.published_by,
        "published_at": iso(row.published_at),
    }
    if source:
        shape["source"] = row.source_text
    return shape


def report_dict(report: RehearsalReport) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "edge_count": report.edge_count,
        "uncovered": list(report.uncovered),
        "cases": [
            {
                "name": case.name,
                "passed": case.passed,
                "failures": list(case.failures),
                "path": list(case.path),
                "status": case.status,
                "outcome": case.outcome,
            }
            for case in report.cases
        ],
    }


def print_issues(name: str, issues: Sequence[Issue]) -> None:
    out = console()
    if not issues:
        out.print(Text(f"{name}: OK"))
        return
    out.print(Text(f"{name}: {len(issues)} problem(s)"))
    for issue in issues:
        out.print(Text(f"  - {issue.path or '(document)'}: {issue.message}"))


def print_report(name: str, report: RehearsalReport) -> None:
    """One row per case with the path it took, then the branches no case went through."""
    table = Table(title=Text(f"Rehearsal of {name}"), title_justify="left")
    for column in ("Case", "Result", "Ended", "Path"):
        table.add_column(column, no_wrap=column == "Result")
    for case in report.cases:
        result = Text("pass", style="green") if case.passed else Text("FAIL", style="bold red")
        for failure in case.failures:
            result.append(f"\n{failure}", style="red")
        ended = case.status if case.outcome is None else f"{case.status} ({case.outcome})"
        table.add_row(cell(case.name), result, cell(ended), cell(" -> ".join(case.path)))
    out = console()
    out.print(table)
    passed = sum(case.passed for case in report.cases)
    covered = report.edge_count - len(report.uncovered)
    out.print(
        Text(f"{passed} of {len(report.cases)} case(s) passed; {covered} of {report.edge_count} edges taken")
    )
    if report.uncovered:
        out.print(Text(f"Uncovered branches ({len(report.uncovered)}):"))
        for edge in report.uncovered:
            out.print(Text(f"  {edge}"))


def print_catalogue(rows: Sequence[PlaybookRow]) -> None:
    table = Table(title=Text("Playbooks"), title_justify="left")
    for column in ("ID", "Name", "Kind", "Owner", "Published version"):
        table.add_column(column, no_wrap=column in ("ID", "Kind"))
    for row in rows:
        table.add_row(
            cell(row.id), cell(row.name), cell(row.kind), cell(row.owner), cell(row.published_version_id)
        )
    console().print(table)


def versions_table(rows: Sequence[PlaybookVersionRow]) -> Table:
    table = Table(title=Text(f"Versions ({len(rows)})"), title_justify="left")
    for column in ("#", "Status", "Version id", "Saved", "By", "Published"):
        table.add_column(column, no_wrap=column != "By")
    for row in rows:
        published = (
            f"{row.published_at:%Y-%m-%d %H:%M:%S} by {row.published_by}" if row.published_at else None
        )
        table.add_row(
            cell(row.number),
            cell(row.status),
            cell(row.id),
            cell(row.created_at),
            cell(row.created_by),
            cell(published),
        )
    return table


def graph_tree(graph: Graph, number: int) -> Tree:
    """Every node in document order with its outgoing edges; the start node is marked."""
    tree = Tree(Text(f"Graph of version {number} ({graph.version_id})", style="bold"))
    for node in graph.nodes.values():
        start = "  <- start" if node.id == graph.start else ""
        branch = tree.add(Text(f"{node.id} [{node.type.value}]{start}"))
        for edge in node.edges:
            label = f"[{edge.label}]" if edge.label else ""
            branch.add(Text(f"{edge.kind.value}{label} -> {edge.target}"))
    return tree


def print_playbook(
    row: PlaybookRow, versions: Sequence[PlaybookVersionRow], shown: int, graph: Graph
) -> None:
    out = console()
    out.print(Text(f"Playbook {row.id}: {row.name}", style="bold"))
    for label, value in (
        ("Kind", row.kind),
        ("Owner", row.owner),
        ("Tags", ", ".join(row.tags)),
        ("Published", row.published_version_id),
        ("Description", row.description.strip()),
    ):
        out.print(Text(f"{label}: {value or '-'}"))
    out.print(versions_table(versions))
    out.print(graph_tree(graph, shown))
