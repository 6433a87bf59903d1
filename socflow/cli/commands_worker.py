"""`socflow worker`: execute playbook runs' steps without the API (inline threads or a Celery worker)."""

from __future__ import annotations

import signal
import threading
from enum import StrEnum
from types import FrameType
from typing import Annotated

import typer

from socflow.cli.context import display_url, state
from socflow.config import Settings
from socflow.errors import ConfigError
from socflow.logging import configure_logging, get_logger
from socflow.storage.db import Database


class ExecutorChoice(StrEnum):
    INLINE = "inline"
    CELERY = "celery"
    NONE = "none"


ExecutorOption = Annotated[
    ExecutorChoice | None,
    typer.Option(
        "--executor",
        case_sensitive=False,
        help="inline: threads in this process; celery: Celery workers on RabbitMQ; "
        "none: no step execution here. Defaults to SOCFLOW_EXECUTOR.",
    ),
]


def worker(
    ctx: typer.Context,
    executor: ExecutorOption = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads", min=1, max=64, help="Steps executed at once. Defaults to SOCFLOW_WORKER_THREADS."
        ),
    ] = None,
    dispatch: Annotated[
        bool,
        typer.Option(
            "--dispatch/--no-dispatch",
            help="Celery only: also publish due steps and tick timers and triggers here "
            "(needed when no `socflow serve --executor celery` does it).",
        ),
    ] = False,
) -> None:
    """Execute due steps of every run until stopped (SIGTERM or Ctrl-C lets in-flight steps finish)."""
    cli = state(ctx)
    update: dict[str, object] = {} if threads is None else {"worker_threads": threads}
    settings = cli.settings.model_copy(update=update)
    kind = executor.value if executor is not None else settings.executor
    if kind == "none":
        raise ConfigError(
            "invalid setting SOCFLOW_EXECUTOR: `none` executes nothing; "
            "run `socflow worker --executor inline` or `--executor celery`"
        )
    configure_logging(settings.log_level, json=settings.log_json)
    database = cli.tracker().database  # checks the schema: workers never migrate
    log = get_logger("socflow.cli.worker")
    log.info("database ready", url=display_url(database.url))
    if kind == "celery":
        _celery_worker(settings, database, dispatch=dispatch)
    else:
        _inline_worker(settings, database)


def _until_signalled() -> None:
    """Block the main thread until SIGTERM or SIGINT arrives."""
    requested = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        requested.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not requested.wait(1.0):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _inline_worker(settings: Settings, database: Database) -> None:
    from socflow.worker.executors import build_executor

    log = get_logger("socflow.cli.worker")
    executor = build_executor(settings, database, "inline")
    executor.start()
    log.info("worker running", executor="inline", threads=settings.worker_threads)
    try:
        _until_signalled()
    finally:
        log.info("worker stopping; in-flight steps may finish", grace_seconds=settings.worker_stop_seconds)
        executor.stop()


def _celery_worker(settings: Settings, database: Database, *, dispatch: bool) -> None:
    # Imported here: Celery is slow to import, and only this command needs it.
    from socflow.worker.celery_executor import shown_broker
    from socflow.worker.executors import build_executor, celery_executor, run_service

    log = get_logger("socflow.cli.worker")
    service = run_service(settings, database)
    celery = celery_executor(settings, lambda: service)
    celery.check_broker()
    dispatcher = build_executor(settings, database, "celery", service=service) if dispatch else None
    if dispatcher is not None:
        dispatcher.start()
    log.info(
        "worker running",
        executor="celery",
        broker=shown_broker(settings.celery_broker_url),
        queue=settings.celery_queue,
        threads=settings.worker_threads,
        dispatch=dispatch,
    )
    try:
        # Celery's own worker: it handles SIGTERM (warm shutdown: running tasks finish) itself.
        consumer = celery.worker(concurrency=settings.worker_threads, loglevel=settings.log_level)
        consumer.start()
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        celery.close()
    code = int(getattr(consumer, "exitcode", 0) or 0)
    if code:
        raise typer.Exit(code)
