"""Running and looking after socflow: `serve`, `db upgrade` and `audit verify`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from socflow.cli.commands_worker import ExecutorOption
from socflow.cli.context import Json, check_schema, display_url, state, storage_call
from socflow.cli.shapes import print_json
from socflow.config import Settings
from socflow.errors import AuditChainBroken, ConfigError
from socflow.logging import configure_logging, get_logger
from socflow.storage import audit, migrate

db_app = typer.Typer(name="db", help="The database schema.")
audit_app = typer.Typer(name="audit", help="The tamper-evident audit journal.")


def _resolve_secrets(settings: Settings) -> str:
    """Create or read the secret key and API token; return where the token comes from (never the token)."""
    try:
        settings.resolved_secret("secret_key")
        settings.resolved_secret("api_token")
    except OSError as exc:
        raise ConfigError(
            f"invalid setting SOCFLOW_DATA_DIR: cannot keep secrets in {settings.data_dir}: {exc.strerror}"
        ) from None
    if settings.api_token:
        return "settings (SOCFLOW_API_TOKEN or the configuration file)"
    return str(settings.data_dir / "api_token")


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Defaults to SOCFLOW_HOST.")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Defaults to SOCFLOW_PORT.")
    ] = None,
    executor: ExecutorOption = None,
) -> None:
    """Start the API, the run executor, the syslog listeners the settings enable, and retention.

    On SQLite the schema is upgraded first. The executor (SOCFLOW_EXECUTOR, default inline) executes
    playbook runs' steps in this process, or publishes them for Celery workers.
    """
    cli = state(ctx)
    settings = cli.settings.model_copy(
        update={
            "host": host or cli.settings.host,
            "port": port or cli.settings.port,
            "executor": executor.value if executor is not None else cli.settings.executor,
        }
    )
    configure_logging(settings.log_level, json=settings.log_json)
    log = get_logger("socflow.cli.serve")
    log.info("api token ready", location=_resolve_secrets(settings))
    tracker = cli.open_tracker()
    if tracker.database.is_sqlite:
        storage_call(tracker.database, migrate.upgrade)
    else:
        check_schema(tracker.database)
    log.info("database ready", url=display_url(tracker.database.url))

    # Imported here: only this command needs the web stack, and every other command starts faster.
    import uvicorn

    from socflow.api.app import create_app
    from socflow.worker.executors import build_executor

    steps = build_executor(settings, tracker.database)
    if steps.celery is not None:
        steps.celery.check_broker()
    log.info("executor chosen", executor=steps.kind, threads=settings.worker_threads)
    application = create_app(settings, tracker, steps)
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    log.info("serving", url=f"http://{shown_host}:{settings.port}")
    uvicorn.run(application, host=settings.host, port=settings.port, log_config=None)


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Bring the database schema to the version this socflow needs (safe to run again)."""
    database = state(ctx).database
    before = storage_call(database, migrate.current_revision)
    storage_call(database, migrate.upgrade)
    after = storage_call(database, migrate.current_revision)
    where = display_url(database.url)
    if before == after:
        typer.echo(f"Database {where} is already at revision {after} (head)")
    else:
        typer.echo(f"Upgraded database {where} from {before or 'an empty schema'} to revision {after} (head)")


@audit_app.command("verify")
def verify(ctx: typer.Context, as_json: Json = False) -> None:
    """Recompute the hash chain of every journal entry; exit non-zero at the first one that fails."""
    database = state(ctx).tracker().database
    with Console(stderr=True).status("Verifying the audit journal's hash chain..."):
        report = storage_call(database, audit.verify)
    if as_json:
        broken = report.broken
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "head_hash": report.head_hash,
                "first_break": None if broken is None else {"seq": broken.seq, "reason": broken.reason},
            }
        )
    if report.broken is not None:
        raise AuditChainBroken(
            f"audit journal does not verify: entry {report.broken.seq}: {report.broken.reason} "
            f"({report.entries} entries read)",
            details={"seq": report.broken.seq, "reason": report.broken.reason, "entries": report.entries},
        )
    if not as_json:
        typer.echo(f"Audit journal OK: {report.entries} entries checked, head {report.head_hash}")
