"""Parallel file import: worker processes build each batch's event rows; the importer stores them in order."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.context import BaseContext
from typing import Any, Final, TypeVar

from sqlalchemy.engine import make_url

from socflow.ingest.mapping_files import install_mappings
from socflow.ingest.pipeline import IngestPipeline
from socflow.logging import get_logger
from socflow.model.records import RawRecord, Transport
from socflow.storage.db import Database
from socflow.storage.event_writes import EventValues
from socflow.storage.events import EventStore

# Below this size (about 17,000 records) a file is imported serially: the workers' start (about a
# second of CPU for the fork server's imports) and their hand-over cost more than they save.
DEFAULT_MIN_BYTES: Final = 16 * 1024 * 1024
IN_FLIGHT_PER_WORKER: Final = 2  # batches queued per worker: enough to keep it busy, memory bounded

Row = dict[str, Any]
log = get_logger("socflow.ingest")
Batch = TypeVar("Batch")  # what the reader yields per batch (the importer's entries)


@dataclass(frozen=True)
class ImportWorkers:
    """How many worker processes an import uses, and how each builds the importer's pipeline.

    A worker builds its own pipeline from these (picklable) facts: the user's mapping files and,
    when `database_url` is set, asset enrichment from that database, as the importing process's
    pipeline does. A `count` of 0 means no workers: the importing process does it all (serially).
    While the workers start, the importing process builds rows itself unless `help_while_starting`
    is off (then it waits for them: every batch is built by a worker)."""

    count: int
    database_url: str | None = None
    mappings_dir: str | None = None
    min_bytes: int = DEFAULT_MIN_BYTES
    help_while_starting: bool = True
    # Chosen by socflow, not the user: used only while the machine has a core to spare (load average).
    automatic: bool = False

    @property
    def enabled(self) -> bool:
        return self.count > 0

    def used_for(self, size: int) -> bool:
        """Whether a file of `size` bytes is imported with the workers."""
        return self.enabled and size >= self.min_bytes and (not self.automatic or cores_to_spare())


def cores_to_spare() -> bool:
    """At least one core idle over the last minute: the workers then add a core instead of taking one.

    On a machine whose cores are busy, workers make an import slower (docs/intake.md)."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this system
        return False
    return load <= (os.cpu_count() or 1) - 1


def default_worker_count() -> int:
    return os.cpu_count() or 1


def shareable_database_url(url: str) -> str | None:
    """`url` when another process can open the same database; None for an in-memory SQLite one."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return None
    return url


@dataclass(frozen=True)
class RecordBatch:
    """One batch's records as sent to a worker: the texts, and what they all share, once."""

    texts: list[str]
    offsets: list[int | None]
    received_at: datetime
    transport: Transport
    origin: str
    listener: str
    format: str
    timezone: str | None

    @classmethod
    def of(cls, records: list[RawRecord]) -> RecordBatch:
        """The records of one file's batch, which share all but text and offset (checked)."""
        first = records[0]
        shared = _shared(first)
        if any(_shared(record) != shared for record in records):
            raise ValueError("the records of one batch must share receipt, origin, listener and format")
        return cls([record.text for record in records], [record.offset for record in records], *shared)

    def records(self) -> list[RawRecord]:
        shared = (self.received_at, self.transport, self.origin, self.listener, self.format, self.timezone)
        return [
            RawRecord(text, *shared, offset) for text, offset in zip(self.texts, self.offsets, strict=True)
        ]


def _shared(record: RawRecord) -> tuple[datetime, Transport, str, str, str, str | None]:
    """What the records of one file's batch have in common: all but their text and offset."""
    origin = (record.transport, record.origin, record.listener)
    return (record.received_at, *origin, record.format, record.timezone)


@dataclass(frozen=True)
class BuiltRows:
    """A worker's answer: the batch's event rows, and its parse failures per listener.

    Rows with every column (what `event_row` builds) travel as the values SQLite stores, times as
    text (`EventValues`): a fraction of the cost of pickling dicts with datetimes, and the
    importing process hands them to the driver as they are. Any other rows travel as dicts."""

    rows: EventValues | list[Row]
    parse_failures: dict[str, int]

    @classmethod
    def pack(cls, rows: list[Row], parse_failures: dict[str, int]) -> BuiltRows:
        return cls(EventValues.of(rows) or rows, parse_failures)


_worker_pipeline: IngestPipeline | None = None


def _start_worker(workers: ImportWorkers) -> None:
    """In each worker process: the pipeline the importing process uses, without its store."""
    global _worker_pipeline
    install_mappings(workers.mappings_dir)
    if workers.database_url is None:
        database = Database("sqlite://")  # never written: a pipeline wants a store
        _worker_pipeline = IngestPipeline(EventStore(database))
    else:
        from socflow.ingest.enrichment import AssetEnricher

        database = Database(workers.database_url)
        _worker_pipeline = IngestPipeline(EventStore(database), enrich=AssetEnricher(database).enrich)
    # The batches' dicts hold no cycles; the young generations are collected after each one.
    gc.freeze()
    gc.disable()


def _build_rows(batch: RecordBatch) -> BuiltRows:
    pipeline = _worker_pipeline
    if pipeline is None:
        raise RuntimeError("the import worker was not started")
    records = batch.records()
    before = pipeline.stats.snapshot()
    rows = pipeline.rows(records)
    after = pipeline.stats.snapshot()
    failures = {
        listener: counts["parse_failures"] - before.get(listener, {}).get("parse_failures", 0)
        for listener, counts in after.items()
    }
    built = BuiltRows.pack(rows, {listener: count for listener, count in failures.items() if count})
    del rows
    gc.collect(1)
    return built


def _process_pool(workers: ImportWorkers) -> ProcessPoolExecutor:
    """Workers forked from a fork server: a fresh process without threads or open databases.

    The server imports this module and the main module once (a worker would import the main module
    anew), so each worker starts in milliseconds after the server's first start. The main module
    must guard its entry point with `if __name__ == "__main__"`, as for any multiprocessing
    program. Spawned where there is no fork server."""
    context: BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(["__main__", __name__])  # read when the server starts (once)
        context = server
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        workers.count, mp_context=context, initializer=_start_worker, initargs=(workers,)
    )


def _started() -> bool:
    """A no-op task: its result means a worker process is up (its initializer has run)."""
    return _worker_pipeline is not None


class _Pool:
    """The worker pool, started in a thread: starting a fork server blocks for its imports (about a
    second), and the importer keeps working meanwhile. `ready` once a worker has answered."""

    def __init__(self, workers: ImportWorkers) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[bool] | None = None
        self._thread = threading.Thread(target=self._start, name="socflow-import-workers", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            pool = _process_pool(self._workers)
            self._pool = pool
            self._started = pool.submit(_started)
        except Exception as exc:  # no processes here (a sandbox, a limit): the importer does it all
            log.warning("import_workers_unavailable", error=f"{type(exc).__name__}: {exc}")

    def ready(self, *, wait: bool = False) -> bool:
        """Whether batches go to the workers (`wait`: once they have started); never, when they could
        not start (the importer goes on without them)."""
        if wait:
            self._thread.join()
        started = self._started
        if started is None or not (wait or started.done()):
            return False
        return started.exception() is None

    def submit(self, batch: RecordBatch) -> Future[BuiltRows]:
        if self._pool is None:
            raise RuntimeError("the import workers are not started")
        return self._pool.submit(_build_rows, batch)

    def close(self) -> None:
        self._thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def store_in_parallel(
    batches: Iterable[Batch],
    records_of: Callable[[Batch], list[RawRecord]],
    build_here: Callable[[list[RawRecord]], list[Row]],
    store: Callable[[Batch, list[Row] | EventValues, dict[str, int]], None],
    workers: ImportWorkers,
) -> int:
    """Send each batch's records to a worker; store the batches in the order they were read.

    Until a worker is up, this process builds the rows itself (`build_here`), so starting the
    workers does not hold the import up. At most IN_FLIGHT_PER_WORKER batches per worker are queued, so the
    reader never runs far ahead and memory stays bounded. When reading fails, the batches read
    before are stored first (as a serial import would have), then the error is raised; any other
    failure stops the workers. `store` gets the batch, its rows and its parse failures per listener
    (rows built here counted theirs already). The number of batches the workers built."""
    pending: deque[tuple[Batch, Future[BuiltRows] | None]] = deque()
    limit = workers.count * IN_FLIGHT_PER_WORKER
    by_workers = 0

    def store_oldest() -> None:
        batch, future = pending.popleft()
        built = BuiltRows.pack([], {}) if future is None else future.result()
        store(batch, built.rows, built.parse_failures)

    with _closing(_Pool(workers)) as pool:
        read = iter(batches)
        while True:
            try:
                batch = next(read)
            except StopIteration:
                break
            except Exception:
                while pending:
                    store_oldest()
                raise
            records = records_of(batch)
            if not pending and records and not pool.ready(wait=not workers.help_while_starting):
                store(batch, build_here(records), {})
                continue
            pending.append((batch, pool.submit(RecordBatch.of(records)) if records else None))
            by_workers += 1 if records else 0
            while len(pending) >= limit:
                store_oldest()
        while pending:
            store_oldest()
    return by_workers


@contextlib.contextmanager
def _closing(pool: _Pool) -> Iterator[_Pool]:
    try:
        yield pool
    finally:
        pool.close()
