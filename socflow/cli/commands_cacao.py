"""`socflow playbook import-cacao|export-cacao`: convert between CACAO v2 JSON and socflow playbook YAML."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from socflow.errors import Issue, ValidationFailed
from socflow.playbooks.cacao_export import export_cacao_with_issues
from socflow.playbooks.cacao_import import import_cacao
from socflow.playbooks.validate import parse_document

ExistingFile = Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, readable=True)]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write here instead of printing to standard output.")
]


def _issue_table(title: str, issues: Sequence[Issue]) -> None:
    """Issues go to standard error, so the converted document on standard output stays clean."""
    out = Console(stderr=True, highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 160  # rich assumes 80 columns on a pipe: too narrow for a step id and a message
    if not issues:
        out.print(Text(f"{title}: nothing to report"))
        return
    table = Table(title=Text(f"{title}: {len(issues)} issue(s)"), title_justify="left")
    table.add_column("Path", overflow="fold")
    table.add_column("Issue", overflow="fold")
    for issue in issues:
        table.add_row(Text(issue.path or "(document)"), Text(issue.message))
    out.print(table)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def import_cacao_file(path: ExistingFile, output: Output = None) -> None:
    """Convert a CACAO v2 playbook (JSON) to socflow YAML; what cannot be mapped is listed, not dropped."""
    result = import_cacao(path.read_text(encoding="utf-8-sig"))
    _issue_table(f"import of {path.name}", result.issues)
    if result.playbook is None:
        raise ValidationFailed(f"{path.name} cannot be imported", issues=result.issues)
    body = result.playbook.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    body["metadata"] = body.pop("metadata", {})  # the kept CACAO fragments last, after the steps
    _write(yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100), output)


def export_cacao_file(path: ExistingFile, output: Output = None) -> None:
    """Convert a socflow sequential playbook (YAML) to a CACAO v2 document (JSON)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{path.name} is not valid YAML", issues=[Issue("", str(exc))]) from exc
    playbook, issues = parse_document(data)
    if playbook is None:
        raise ValidationFailed(f"{path.name} is not a socflow playbook", issues=issues)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    document, notes = export_cacao_with_issues(playbook, now=now)
    _issue_table(f"export of {path.name}", notes)
    _write(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)


def register(playbook_app: typer.Typer) -> None:
    """Add the two commands to the `socflow playbook` group."""
    playbook_app.command("import-cacao")(import_cacao_file)
    playbook_app.command("export-cacao")(export_cacao_file)
