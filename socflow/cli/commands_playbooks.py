"""`socflow playbook`: validate and rehearse files offline; import, publish, list and show the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from socflow.cli.context import Actor, Json, state, who
from socflow.cli.output_playbooks import (
    playbook_dict,
    print_catalogue,
    print_issues,
    print_playbook,
    print_report,
    report_dict,
    version_dict,
)
from socflow.cli.shapes import print_json
from socflow.errors import Issue, NotFound, ValidationFailed
from socflow.playbooks.compile import compile_playbook
from socflow.playbooks.rehearse import load_cases, rehearse
from socflow.worker.catalogue import PlaybookCatalogue, issues_of, parse
from socflow.worker.runs import RunService
from socflow.worker.webhooks import SECRET_HEADER, WebhookService

app = typer.Typer(name="playbook", help="Playbooks: validate, rehearse, import drafts, publish versions.")

ExistingFile = Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, readable=True)]
TESTS_SUFFIXES = (".tests.yaml", ".tests.yml")
PlaybookId = Annotated[str, typer.Argument(metavar="ID", help="The playbook's id (its `id:` field).")]
VersionOption = Annotated[
    int | None, typer.Option("--version", min=1, help="The version number (1, 2, ...) in the catalogue.")
]


def _catalogue(ctx: typer.Context) -> PlaybookCatalogue:
    return PlaybookCatalogue(state(ctx).tracker().database)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def _issues(path: Path) -> list[Issue]:
    """A `*.tests.yaml` file is checked as rehearsal cases, any other file as a playbook."""
    text = _read(path)
    if not path.name.endswith(TESTS_SUFFIXES):
        return issues_of(text)
    try:
        load_cases(text)
    except ValidationFailed as exc:
        return list(exc.issues)
    return []


def default_cases(path: Path) -> Path:
    """`brute_force.yaml` -> `brute_force.tests.yaml`, beside it."""
    return path.with_name(f"{path.name.removesuffix(path.suffix)}.tests.yaml")


@app.command("validate")
def validate(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE...", exists=True, dir_okay=False, readable=True)
    ],
    as_json: Json = False,
) -> None:
    """Check playbook files (and *.tests.yaml case files) and print every problem; exit 65 if any."""
    found = {str(path): _issues(path) for path in files}
    if as_json:
        print_json({name: [issue.to_dict() for issue in issues] for name, issues in found.items()})
    else:
        for name, issues in found.items():
            print_issues(name, issues)
    if any(found.values()):
        raise typer.Exit(ValidationFailed.exit_code)


@app.command("test")
def rehearse_file(
    path: ExistingFile,
    cases: Annotated[
        Path | None,
        typer.Option("--cases", dir_okay=False, readable=True, help="Test cases (default: FILE.tests.yaml)."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Rehearse a playbook file against its test cases; exit 1 if any case fails."""
    cases_path = cases if cases is not None else default_cases(path)
    if not cases_path.is_file():
        raise typer.BadParameter(f"no test cases at {cases_path}", param_hint="--cases")
    graph = compile_playbook(parse(_read(path)))
    report = rehearse(graph, load_cases(_read(cases_path)).cases)
    if as_json:
        print_json(report_dict(report))
    else:
        print_report(path.name, report)
    if not report.passed:
        raise typer.Exit(1)


@app.command("import")
def import_file(ctx: typer.Context, path: ExistingFile, actor: Actor = None, as_json: Json = False) -> None:
    """Save a playbook file as a new draft version (the same content again returns the existing one)."""
    saved = _catalogue(ctx).save_draft(who(actor), _read(path))
    if as_json:
        print_json(version_dict(saved))
    else:
        typer.echo(f"Saved {saved.playbook_id} version {saved.number} ({saved.status}): {saved.id}")


@app.command("publish")
def publish(
    ctx: typer.Context,
    playbook: PlaybookId,
    number: VersionOption = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Publish a version (default: the latest draft); the one published before is retired."""
    published = _catalogue(ctx).publish(who(actor), playbook, number)
    if as_json:
        print_json(version_dict(published))
    else:
        typer.echo(f"Published {published.playbook_id} version {published.number}: {published.id}")


@app.command("list")
def list_playbooks(ctx: typer.Context, as_json: Json = False) -> None:
    """List the playbooks in the catalogue."""
    rows = _catalogue(ctx).list()
    if as_json:
        print_json({"items": [playbook_dict(row) for row in rows], "next": None})
    else:
        print_catalogue(rows)


@app.command("show")
def show(
    ctx: typer.Context, playbook: PlaybookId, number: VersionOption = None, as_json: Json = False
) -> None:
    """Show a playbook's versions and the graph of one (default: the published, else the latest)."""
    catalogue = _catalogue(ctx)
    row = catalogue.get(playbook)
    versions = catalogue.versions(playbook)
    if number is None:
        published = [v for v in versions if v.id == row.published_version_id]
        chosen = published[0] if published else versions[-1]
    else:
        matching = [v for v in versions if v.number == number]
        if not matching:
            raise NotFound(
                f"playbook {playbook!r} has no version {number}", details={"object": "playbook_version"}
            )
        chosen = matching[0]
    if as_json:
        print_json(
            {**playbook_dict(row), "versions": [version_dict(v) for v in versions], "shown": chosen.number}
        )
        return
    print_playbook(row, versions, chosen.number, compile_playbook(parse(chosen.source_text)))


@app.command("webhook-secret")
def webhook_secret(
    ctx: typer.Context, playbook: PlaybookId, actor: Actor = None, as_json: Json = False
) -> None:
    """Make (or replace) the playbook's webhook secret and print it: it is shown this once, never again."""
    database = state(ctx).tracker().database
    catalogue = PlaybookCatalogue(database)
    secret = WebhookService(database, RunService(database, catalogue)).rotate_secret(who(actor), playbook)
    if as_json:
        print_json({"playbook_id": playbook, "secret": secret, "header": SECRET_HEADER})
        return
    typer.echo(secret)
    typer.echo(
        f"Send it as the {SECRET_HEADER} header to POST /api/v1/webhooks/{playbook}; it cannot be shown"
        " again (run this command again to replace it).",
        err=True,
    )
