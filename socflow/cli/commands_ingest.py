"""`socflow ingest file|errors|serve` and `socflow parse`: getting logs in, and seeing what was refused."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.filesize import decimal
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from socflow.cli.context import Cursor, Json, Limit, state
from socflow.cli.output import cell, console
from socflow.cli.shapes import page_dict, print_json
from socflow.errors import ConfigError, Issue, ValidationFailed
from socflow.ingest.dead_letters import raw_text
from socflow.ingest.enrichment import AssetEnricher
from socflow.ingest.files import FileImporter, FileKind, sniff_kind
from socflow.ingest.files_parallel import ImportWorkers, default_worker_count, shareable_database_url
from socflow.ingest.mapping_files import install_user_mappings
from socflow.ingest.metrics import IntakeStats
from socflow.ingest.pipeline import IngestPipeline
from socflow.ingest.service import IntakeService, serve_forever
from socflow.ingest.shared_counters import SharedCounters
from socflow.logging import configure_logging, get_logger
from socflow.model.records import RawRecord, Transport
from socflow.normalize import canonical
from socflow.normalize.registry import PARSERS
from socflow.storage.events import EventStore

app = typer.Typer(
    name="ingest", help="Intake: import log files, run the syslog listeners, list dead letters."
)

Format = Annotated[str, typer.Option("--format", help="Parser name, or auto to detect per line.")]
Zone = Annotated[
    str | None, typer.Option("--timezone", help="IANA zone for timestamps that carry none (default UTC).")
]


def check_format(name: str) -> str:
    if name != "auto" and name not in PARSERS:
        known = ", ".join(["auto", *PARSERS.names()])
        raise ValidationFailed(
            f"unknown format {name!r}; choose one of: {known}", issues=[Issue("--format", known)]
        )
    return name


def check_zone(name: str | None) -> str | None:
    try:
        canonical.zone(name)
    except ValueError as exc:
        raise ValidationFailed(str(exc), issues=[Issue("--timezone", str(exc))]) from None
    return name


@app.command("file")
def ingest_file(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH...", help="Log files (.log, .gz, .jsonl, .evtx).")
    ],
    format: Format = "auto",
    timezone: Zone = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Forget earlier progress; read from the start.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            max=256,
            help="Worker processes for a large .evtx file (0: none; default SOCFLOW_IMPORT_WORKERS, "
            "else one per CPU while the machine has a core to spare).",
        ),
    ] = None,
) -> None:
    """Import files; an interrupted import continues after its last committed batch when run again."""
    check_format(format)
    check_zone(timezone)
    cli = state(ctx)
    database = cli.tracker().database
    store = EventStore(database)
    settings = cli.settings
    install_user_mappings(settings)
    enrich = AssetEnricher(database).enrich
    pipeline = IngestPipeline(store, batch_size=settings.intake_batch_size, enrich=enrich)
    importer = FileImporter(
        pipeline,
        store,
        max_message_bytes=settings.max_message_bytes,
        batch_size=settings.intake_batch_size,
        workers=resolve_import_workers(workers, settings.import_workers, database.url, settings.mappings_dir),
    )
    err = Console(stderr=True)
    shared = SharedCounters(pipeline.stats, database)  # the import's counts outlive this process
    shared.start()
    with (
        contextlib.ExitStack() as cleanup,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[amount]}"),
            TimeRemainingColumn(),
            console=err,
        ) as progress,
    ):
        cleanup.callback(shared.stop)  # a last publish, also when the import fails
        for path in paths:
            task = progress.add_task(path.name, total=None, amount="")
            # Log files advance in bytes read; an .evtx file in records (its chunk headers count them).
            records = path.is_file() and sniff_kind(path) is FileKind.EVTX

            def report(done: int, total: int | None, task: int = task, records: bool = records) -> None:
                amount = progress_amount(done, total, records)
                progress.update(task, completed=done, total=total, amount=amount)  # type: ignore[arg-type]

            result = importer.import_file(
                path, format=format, timezone=timezone, restart=restart, progress=report
            )
            if result.skipped:
                typer.echo(f"{result.path}: already imported and unchanged (use --restart to read it again)")
                continue
            resumed = f", resumed at {result.resumed_from}" if result.resumed_from else ""
            typer.echo(
                f"{result.path}: {result.stored} events stored, {result.dead_lettered} dead letters "
                f"({result.kind.value}{resumed})"
            )


def progress_amount(done: int, total: int | None, records: bool) -> str:
    """What a file import's progress bar says it has done: records, or bytes in kB/MB."""
    if records:
        return f"{done:,} records" if total is None else f"{done:,}/{total:,} records"
    return decimal(done) if total is None else f"{decimal(done)}/{decimal(total)}"


def resolve_import_workers(
    flag: int | None, setting: int | None, database_url: str, mappings_dir: Path | None
) -> ImportWorkers:
    """Workers that build the rows as this command's pipeline does: the same mappings and enrichment.

    An in-memory database cannot be opened by another process: then there are no workers."""
    chosen = next((n for n in (flag, setting) if n is not None), None)
    count = default_worker_count() if chosen is None else chosen
    shared = shareable_database_url(database_url)
    if shared is None or (chosen is None and count < 2):  # automatic on one core: none
        return ImportWorkers(0)
    mappings = str(mappings_dir) if mappings_dir is not None else None
    return ImportWorkers(count, shared, mappings, automatic=chosen is None)


@app.command("errors")
def errors(ctx: typer.Context, limit: Limit = 50, cursor: Cursor = None, as_json: Json = False) -> None:
    """Dead letters, newest first: what could not become an event, why, and the raw bytes."""
    store = EventStore(state(ctx).tracker().database)
    rows, next_cursor = store.dead_letters(limit=limit, cursor=cursor)
    if as_json:
        items = [
            {
                "id": row.id,
                "received_at": row.received_at.isoformat(),
                "transport": row.transport,
                "listener": row.listener,
                "origin": row.origin,
                "reason": row.reason,
                "raw_base64": row.raw_base64,
                "raw_size": row.raw_size,
            }
            for row in rows
        ]
        print_json(page_dict(items, next_cursor))
        return
    table = Table(title=Text(f"Dead letters ({len(rows)})"), title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("When (UTC)", "Transport", "Origin", "Reason", "Raw"):
        table.add_column(name, no_wrap=name in ("When (UTC)", "Transport"))
    for row in rows:
        shown = raw_text(row.raw_base64)
        table.add_row(
            cell(row.received_at),
            cell(row.transport),
            cell(row.origin),
            cell(row.reason),
            cell(shown[:80] + ("…" if len(shown) > 80 else "")),
        )
    out = console()
    out.print(table)
    if next_cursor:
        out.print(Text(f"More results: repeat the command with --cursor {next_cursor}"))


@app.command("serve")
def serve(
    ctx: typer.Context,
    udp_port: Annotated[int | None, typer.Option("--udp-port", min=0, max=65535)] = None,
    tcp_port: Annotated[int | None, typer.Option("--tcp-port", min=0, max=65535)] = None,
    tls_port: Annotated[int | None, typer.Option("--tls-port", min=0, max=65535)] = None,
) -> None:
    """Run only the syslog listeners (ports from SOCFLOW_SYSLOG_*_PORT, or these options) until Ctrl-C."""
    cli = state(ctx)
    overrides = {
        name: value
        for name, value in (
            ("syslog_udp_port", udp_port),
            ("syslog_tcp_port", tcp_port),
            ("syslog_tls_port", tls_port),
        )
        if value is not None
    }
    settings = cli.settings.model_copy(update=overrides)
    if not (settings.syslog_udp_port or settings.syslog_tcp_port or settings.syslog_tls_port):
        raise ConfigError(
            "no syslog listener is enabled: set SOCFLOW_SYSLOG_UDP_PORT, SOCFLOW_SYSLOG_TCP_PORT or "
            "SOCFLOW_SYSLOG_TLS_PORT (or --udp-port/--tcp-port/--tls-port)"
        )
    configure_logging(settings.log_level, json=settings.log_json)
    install_user_mappings(settings)
    database = cli.tracker().database
    stats = IntakeStats()
    service = IntakeService.from_settings(
        settings, EventStore(database), stats=stats, enrich=AssetEnricher(database).enrich
    )
    get_logger("socflow.cli.ingest").info("intake starting", listeners=[spec.name for spec in service.specs])
    shared = SharedCounters(stats, database)  # so the API's /metrics and stats show this process's counts
    shared.start()
    try:
        asyncio.run(serve_forever(service))  # returns on SIGINT or SIGTERM, once stopped cleanly
    except KeyboardInterrupt:
        pass
    finally:
        shared.stop()
    typer.echo("socflow: intake stopped", err=True)


def _lines(path: Path | None) -> Iterator[str]:
    if path is None:
        yield from sys.stdin
        return
    kind = sniff_kind(path)
    opener = gzip.open if kind is FileKind.GZIP else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        yield from handle


def _evtx_texts(path: Path) -> Iterator[str]:
    from evtx import PyEvtxParser

    try:
        for record in PyEvtxParser(str(path)).records_json():
            if record is not None:
                yield str(record["data"])
    except RuntimeError as exc:
        raise ValidationFailed(f"{path} is not a readable .evtx file: {exc}") from None


def parse(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A log file, .gz, .jsonl or .evtx; - for stdin.")
    ] = "-",
    format: Format = "auto",
    timezone: Zone = None,
) -> None:
    """Parse and normalize without storing: one ECS JSON document per input line (or .evtx record)."""
    from socflow.normalize.pipeline import normalize

    install_user_mappings(state(ctx).settings)
    check_format(format)
    check_zone(timezone)
    path = None if source == "-" else Path(source)
    if path is not None and not path.is_file():
        raise ValidationFailed(f"no such file: {path}", issues=[Issue("FILE", "not a file")])
    received_at = datetime.now(UTC)
    origin = "stdin" if path is None else str(path.resolve())
    if path is not None and sniff_kind(path) is FileKind.EVTX:
        transport, texts, chosen = Transport.EVTX, _evtx_texts(path), "evtx" if format == "auto" else format
    else:
        transport, texts, chosen = Transport.FILE, _lines(path), format
    for text in texts:
        line = text.rstrip("\r\n")
        if not line.strip():
            continue
        doc = normalize(RawRecord(line, received_at, transport, origin, "parse", chosen, timezone))
        typer.echo(json.dumps(doc, ensure_ascii=False, default=str))
