"""Intake pipeline: a bounded queue, one writer taking batches, normalize + enrich + store per batch."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Final

from socflow.errors import StorageError
from socflow.ingest.dead_letters import DeadLetter
from socflow.ingest.metrics import IntakeStats
from socflow.ingest.store import event_row, is_parse_failure, iso, stamp_origin
from socflow.logging import get_logger
from socflow.model.records import RawRecord
from socflow.normalize.ecs import ECSDocument
from socflow.storage.events import EventStore

Normalizer = Callable[[RawRecord], ECSDocument]
Enricher = Callable[[list[ECSDocument]], None]
Item = RawRecord | DeadLetter

DEFAULT_QUEUE_SIZE: Final = 50_000
DEFAULT_BATCH_SIZE: Final = 2_000
DEFAULT_BATCH_WAIT: Final = 0.05
_RETRY_MAX_SECONDS: Final = 5.0

log = get_logger("socflow.ingest")


def default_normalizer() -> Normalizer:
    """The normalize stage (parsers + ECS mapping); it never raises, a failure is a tagged document."""
    from socflow.normalize.pipeline import normalize

    return normalize


def default_batch_normalizer() -> Callable[[Sequence[RawRecord]], list[ECSDocument]]:
    from socflow.normalize.pipeline import normalize_many

    return normalize_many


@contextlib.contextmanager
def gc_paused(active: bool) -> Iterator[None]:
    """No automatic cyclic collection while a batch is built and stored (when `active`).

    A batch is thousands of fresh, acyclic dicts that live until it is stored; the collector
    would walk them again and again. Reference counting frees them when the batch is done, and the
    next automatic collection then finds little. Whoever saw collection enabled re-enables it, so
    overlapping batches (HTTP intake, file imports) leave it as it was."""
    if not active or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def as_dead_letter(record: RawRecord, reason: str) -> DeadLetter:
    raw = record.text.encode("utf-8", errors="surrogateescape")
    return DeadLetter(raw, reason, record.transport, record.origin, record.listener, record.received_at)


def listener_of(item: Item) -> str:
    return item.listener or item.transport.value


class IngestPipeline:
    """Receivers put items on a bounded queue; `run` writes them in batches from a worker thread.

    When the queue is full `submit` waits, so TCP readers stop reading (back-pressure) and memory
    stays bounded; `offer` (UDP) never waits and the drop is counted. HTTP intake and file imports
    call `process` directly: it returns once the batch is committed."""

    def __init__(
        self,
        store: EventStore,
        stats: IntakeStats | None = None,
        *,
        normalize: Normalizer | None = None,
        enrich: Enricher | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_wait: float = DEFAULT_BATCH_WAIT,
        pause_gc: bool = False,
    ) -> None:
        self.store = store
        self.pause_gc = pause_gc
        self.stats = stats or IntakeStats()
        self.normalize = normalize or default_normalizer()
        # The built-in normalizer has a batch form that does its per-batch lookups once.
        self._normalize_many = None if normalize is not None else default_batch_normalizer()
        self.enrich = enrich
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=queue_size)
        self._stopping = False

    # -- synchronous core ------------------------------------------------------------------------

    def documents(self, records: Sequence[RawRecord]) -> list[ECSDocument]:
        """Normalize and enrich without storing (also what `socflow parse` prints)."""
        if self._normalize_many is not None:
            docs = self._normalize_many(records)
        else:
            docs = [self.normalize(record) for record in records]
        if self.enrich is not None and docs:
            self.enrich(docs)
        return docs

    def rows(self, records: Sequence[RawRecord]) -> list[dict[str, object]]:
        ingested_at = datetime.now(UTC)
        ingested = iso(ingested_at)
        docs = self.documents(records)
        rows = []
        failures: Counter[str] = Counter()
        for record, doc in zip(records, docs, strict=True):
            stamp_origin(record, doc, ingested)
            if is_parse_failure(doc):
                failures[listener_of(record)] += 1
            rows.append(event_row(record, doc, ingested_at))
        for listener, count in failures.items():
            self.stats.add(listener, parse_failures=count)
        return rows

    def process(self, records: Sequence[RawRecord], dead_letters: Sequence[DeadLetter] = ()) -> int:
        """Normalize, enrich and store one batch in one transaction; the number of events stored."""
        with gc_paused(self.pause_gc):
            rows = self.rows(records)
            self.store.insert(rows, [letter.to_row() for letter in dead_letters])
        self.count_stored(records, dead_letters)
        return len(rows)

    def count_stored(self, records: Sequence[RawRecord], dead_letters: Sequence[DeadLetter]) -> None:
        for listener, count in Counter(map(listener_of, records)).items():
            self.stats.add(listener, stored=count)
        for listener, count in Counter(map(listener_of, dead_letters)).items():
            self.stats.add(listener, dead_lettered=count)

    # -- the queue -------------------------------------------------------------------------------

    async def submit(self, item: Item) -> None:
        """Queue an item, waiting while the queue is full (the caller stops reading meanwhile)."""
        self.stats.add(listener_of(item), received=1)
        await self.queue.put(item)

    async def submit_many(self, items: Sequence[Item]) -> None:
        """`submit` for the messages of one read: counted once, waiting only while the queue is full."""
        for listener, count in Counter(map(listener_of, items)).items():
            self.stats.add(listener, received=count)
        queue = self.queue
        for item in items:
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                await queue.put(item)

    def offer(self, item: Item) -> bool:
        """Queue an item if there is room; False (and counted as a UDP drop) when the queue is full."""
        self.stats.add(listener_of(item), received=1)
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.stats.add(listener_of(item), udp_dropped=1)
            return False
        return True

    async def _next_batch(self) -> list[Item]:
        batch = [await self.queue.get()]
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_size:
            try:
                batch.append(self.queue.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self.queue.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def run(self) -> None:
        """Write batches until cancelled; a failed write is retried, so nothing queued is lost."""
        while True:
            batch = await self._next_batch()
            self.stats.set_queue_depth(self.queue.qsize())
            records = [item for item in batch if isinstance(item, RawRecord)]
            letters = [item for item in batch if isinstance(item, DeadLetter)]
            await self._write(records, letters)
            for _ in batch:
                self.queue.task_done()

    async def _write(self, records: list[RawRecord], letters: list[DeadLetter]) -> None:
        delay = 0.1
        while True:
            try:
                await asyncio.to_thread(self.process, records, letters)
                return
            except StorageError as exc:
                log.warning("intake_store_retry", error=exc.message, batch=len(records) + len(letters))
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_SECONDS)
            except Exception as exc:  # a bug in a stage (an enricher): keep the input as dead letters
                log.exception("intake_batch_failed", batch=len(records) + len(letters))
                reason = f"could not normalize or store: {type(exc).__name__}: {exc}"
                letters = letters + [as_dead_letter(record, reason) for record in records]
                records = []

    async def drain(self) -> None:
        """Wait until everything queued so far is stored."""
        await self.queue.join()

    async def wait_stored(self, count: int, timeout: float) -> bool:
        """True once `count` items (events plus dead letters) are stored, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.stats.total("stored") + self.stats.total("dead_lettered") < count:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True


async def stop_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
