"""The `socflow` command: root Typer app, settings loaded once, and socflow errors mapped to exit codes."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from socflow import __version__
from socflow.cli import (
    commands_admin,
    commands_alerts,
    commands_assets,
    commands_cacao,
    commands_cases,
    commands_events,
    commands_ingest,
    commands_playbooks,
    commands_runs,
    commands_worker,
)
from socflow.cli.context import CliState
from socflow.config import load_settings
from socflow.errors import SocflowError


def report(error: SocflowError) -> int:
    """Print the error for a person (one line, then its issues) and return the exit code for its class."""
    typer.echo(f"socflow: {error.message}", err=True)
    for issue in error.issues:
        typer.echo(f"  - {issue.path}: {issue.message}", err=True)
    return error.exit_code


class SocflowGroup(TyperGroup):
    """The root group: any SocflowError from the callback or a command ends as a message and exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SocflowError as error:
            raise typer.Exit(report(error)) from None


app = typer.Typer(
    name="socflow",
    cls=SocflowGroup,
    help="socflow: SOC workflow management. Alerts in, cases tracked to closure, every change journaled.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"socflow {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """socflow: SOC workflow management. Settings come from SOCFLOW_* variables and SOCFLOW_CONFIG."""
    cli = CliState(load_settings())
    ctx.obj = cli
    ctx.call_on_close(cli.close)


app.command("serve")(commands_admin.serve)
app.command("worker")(commands_worker.worker)
app.add_typer(commands_admin.db_app)
app.add_typer(commands_alerts.app)
app.add_typer(commands_cases.app)
app.add_typer(commands_admin.audit_app)
app.add_typer(commands_assets.app)
app.add_typer(commands_ingest.app)
app.add_typer(commands_events.app)
app.command("parse")(commands_ingest.parse)
app.add_typer(commands_playbooks.app)
commands_cacao.register(commands_playbooks.app)
app.add_typer(commands_runs.app)


def main() -> None:
    """Console-script entry point (`socflow`)."""
    app(prog_name="socflow")
