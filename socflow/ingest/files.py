"""File import: log lines (plain or gzip), JSON lines and .evtx, in batches, resumable after a stop."""

from __future__ import annotations

import contextlib
import gc
import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Final, NamedTuple, cast

from socflow.errors import Issue, NotFound, ValidationFailed
from socflow.ingest.dead_letters import DeadLetter
from socflow.ingest.evtx_count import count_records
from socflow.ingest.files_parallel import ImportWorkers, Row, store_in_parallel
from socflow.ingest.framing import FrameError, decode_message
from socflow.ingest.pipeline import IngestPipeline
from socflow.model.records import RawRecord, Transport
from socflow.normalize.registry import ParseError
from socflow.normalize.zeek_tsv import ZeekTsvReader, looks_like_zeek_header
from socflow.storage.event_writes import EventValues
from socflow.storage.events import EventStore, ProgressMark

GZIP_MAGIC: Final = b"\x1f\x8b"
EVTX_MAGIC: Final = b"ElfFile\x00"
FILE_LISTENER: Final = "file"
DEFAULT_BATCH: Final = 2_000
_ZEEK_FORMATS: Final = frozenset({"auto", "zeek"})  # an explicit other parser reads lines untouched

# (bytes or records done, total or None when unknown)
ProgressCallback = Callable[[int, int | None], None]


class FileKind(StrEnum):
    TEXT = "text"
    GZIP = "gzip"
    EVTX = "evtx"


def sniff_kind(path: Path) -> FileKind:
    """By the first bytes, not the name: gzip and EVTX have magic numbers; anything else is lines."""
    with path.open("rb") as handle:
        head = handle.read(len(EVTX_MAGIC))
    if head.startswith(GZIP_MAGIC):
        return FileKind.GZIP
    if head == EVTX_MAGIC:
        return FileKind.EVTX
    return FileKind.TEXT


@dataclass(frozen=True)
class ImportResult:
    path: str
    kind: FileKind
    stored: int
    dead_lettered: int
    resumed_from: int
    skipped: bool = False  # the file was imported completely before and has not changed
    worker_batches: int = 0  # batches whose rows worker processes built (a parallel .evtx import)


class Entry(NamedTuple):
    """One line or EVTX record read from a file, with the position just after it.

    A NamedTuple rather than a frozen dataclass: as immutable, and cheaper to build (one per record)."""

    item: RawRecord | DeadLetter
    position: int


def _identity(path: Path) -> ProgressMark:
    info = path.stat()
    return ProgressMark(str(path), info.st_size, info.st_mtime_ns, info.st_ino)


class FileImporter:
    """Reads files into the pipeline in batches; each batch commits together with the file's position.

    With `workers`, a large .evtx file's batches are normalized by worker processes and committed
    here in the order they were read: the same rows, positions and resume points as serially."""

    def __init__(
        self,
        pipeline: IngestPipeline,
        store: EventStore,
        *,
        max_message_bytes: int = 64 * 1024,
        batch_size: int = DEFAULT_BATCH,
        workers: ImportWorkers | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.max_message_bytes = max_message_bytes
        self.batch_size = batch_size
        # .evtx files of workers.min_bytes or more: rows built by worker processes (files_parallel).
        self.workers = workers or ImportWorkers(0)

    def import_file(
        self,
        path: Path,
        *,
        format: str = "auto",
        timezone: str | None = None,
        restart: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        path = path.resolve()
        if not path.is_file():
            raise NotFound(f"no such file: {path}", issues=[Issue("path", f"{path} is not a file")])
        kind = sniff_kind(path)
        mark = _identity(path)
        if restart:
            self.store.forget_progress(mark.path)
        previous = self.store.progress(mark.path)
        start = 0
        if previous is not None and previous.inode == mark.inode and mark.size >= previous.size:
            if previous.completed and previous.size == mark.size and previous.mtime_ns == mark.mtime_ns:
                return ImportResult(mark.path, kind, 0, 0, previous.position, skipped=True)
            start, mark.records = previous.position, previous.records
        stored = dead = 0
        received_at = datetime.now(UTC)
        # An .evtx import counts records: the total is what the file's chunk headers declare.
        evtx_total = count_records(path) if progress is not None and kind is FileKind.EVTX else None

        def store_batch(batch: list[Entry], rows: list[Row] | EventValues, failures: dict[str, int]) -> None:
            """Commit one batch with the file's position after it; a short batch is the last one."""
            nonlocal stored, dead
            records, letters = _split(batch)
            done = len(batch) < self.batch_size
            if batch:
                mark.position = batch[-1].position
            mark.records += len(batch)
            mark.completed = done
            self.store.insert_with_progress(rows, mark, [letter.to_row() for letter in letters])
            for listener, count in failures.items():  # counted by the workers' pipelines
                self.pipeline.stats.add(listener, parse_failures=count)
            self.pipeline.stats.add(FILE_LISTENER, received=len(batch))
            self.pipeline.count_stored(records, letters)
            stored += len(records)
            dead += len(letters)
            if not done:
                gc.collect(1)  # what the batch left behind; the old generation is not walked
                if progress is not None and kind is FileKind.EVTX:
                    progress(mark.records, evtx_total)

        entries = (
            self._evtx_entries(path, start, received_at, format, timezone)
            if kind is FileKind.EVTX
            else self._line_entries(path, kind, start, received_at, format, timezone, progress)
        )
        workers = self.workers
        worker_batches = 0
        with young_collections_only():
            batches = _batches(entries, self.batch_size)
            if kind is FileKind.EVTX and workers.used_for(mark.size):
                build_here = self.pipeline.rows
                worker_batches = store_in_parallel(batches, _records, build_here, store_batch, workers)
            else:
                for batch in batches:
                    store_batch(batch, self.pipeline.rows(_records(batch)), {})
        if progress is not None:
            done = mark.size if kind is not FileKind.EVTX else mark.records
            progress(done, done)
        return ImportResult(mark.path, kind, stored, dead, start, worker_batches=worker_batches)

    def _line_entries(
        self,
        path: Path,
        kind: FileKind,
        start: int,
        received_at: datetime,
        format: str,
        timezone: str | None,
        progress: ProgressCallback | None,
    ) -> Iterator[Entry]:
        total = path.stat().st_size
        with path.open("rb") as raw:
            stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb") if kind is FileKind.GZIP else raw)
            zeek = _zeek_reader_at(stream, start, format)
            stream.seek(start)  # a gzip stream seeks forward by decompressing
            position = start
            line_number = 0
            while True:
                line = stream.readline(self.max_message_bytes + 2)
                if not line:
                    return
                line_number += 1
                length = len(line)
                if not line.endswith(b"\n") and length > self.max_message_bytes:
                    length += _skip_line(stream)
                position += length
                decoded = decode_message(line, self.max_message_bytes)
                if length > len(line):
                    decoded = FrameError(
                        f"oversize line: {length} bytes, the limit is {self.max_message_bytes}",
                        line[: self.max_message_bytes],
                        length,
                    )
                if progress is not None and line_number % self.batch_size == 0:
                    progress(raw.tell(), total)
                if decoded is None:
                    continue
                if isinstance(decoded, str) and format in _ZEEK_FORMATS:
                    if zeek is None and looks_like_zeek_header(decoded):
                        zeek = ZeekTsvReader()
                    decoded = decoded if zeek is None else _zeek_line(zeek, decoded)
                    if decoded is None:  # a header line: it changes how later lines read, it is no event
                        continue
                origin = str(path)
                if isinstance(decoded, FrameError):
                    letter = DeadLetter(
                        decoded.raw,
                        f"{decoded.reason} (line at byte {position - length})",
                        Transport.FILE,
                        origin,
                        FILE_LISTENER,
                        received_at,
                        decoded.size,
                    )
                    yield Entry(letter, position)
                    continue
                record = RawRecord(
                    decoded, received_at, Transport.FILE, origin, FILE_LISTENER, format, timezone, position
                )
                yield Entry(record, position)

    def _evtx_entries(
        self, path: Path, start: int, received_at: datetime, format: str, timezone: str | None
    ) -> Iterator[Entry]:
        from evtx import PyEvtxParser

        parser_format = "evtx" if format == "auto" else format
        origin = str(path)
        shared = (received_at, Transport.EVTX, origin, FILE_LISTENER, parser_format, timezone)
        try:
            parser = PyEvtxParser(origin)
            for number, record in enumerate(parser.records_json(), start=1):
                if number <= start or record is None:
                    continue
                data, record_id = record["data"], record["event_record_id"]
                yield Entry(
                    RawRecord(
                        data if type(data) is str else str(data),
                        *shared,
                        record_id if type(record_id) is int else int(record_id),
                    ),
                    number,
                )
        except (RuntimeError, OSError) as exc:
            raise ValidationFailed(
                f"{path} is not a readable .evtx file: {exc}",
                issues=[Issue("path", f"unreadable EVTX: {exc}")],
            ) from None


def _batches(entries: Iterator[Entry], size: int) -> Iterator[list[Entry]]:
    """Full batches of `size`, then the rest (possibly empty): the one shorter batch is the last."""
    batch: list[Entry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


def _records(batch: list[Entry]) -> list[RawRecord]:
    return [entry.item for entry in batch if isinstance(entry.item, RawRecord)]


def _split(batch: list[Entry]) -> tuple[list[RawRecord], list[DeadLetter]]:
    return _records(batch), [entry.item for entry in batch if isinstance(entry.item, DeadLetter)]


@contextlib.contextmanager
def young_collections_only() -> Iterator[None]:
    """Pause Python's automatic cyclic garbage collection for a bulk import (the caller collects the
    young generations after each batch).

    A batch holds thousands of freshly built dicts (records, documents, rows); each automatic
    collection of the oldest generation walks every one of them, which measured as a third of the
    CPU time of an .evtx import. They hold no reference cycles, so reference counting frees them
    anyway. Collection resumes as before when the import ends, however it ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _zeek_line(zeek: ZeekTsvReader, line: str) -> str | None:
    """A Zeek TSV data line in Zeek's JSON form (names and types from the header); None for a header line.

    A line the header cannot explain (more columns than it names, no #fields yet) is kept as it
    is: the parsers then read it like any other line, and a failure keeps its text."""
    try:
        return zeek.render(line)
    except ParseError:
        return line


def _zeek_reader_at(stream: IO[bytes], start: int, format: str) -> ZeekTsvReader | None:
    """When resuming inside a Zeek TSV log, the header state at `start`: its header lines re-read.

    None when the file does not begin with a Zeek header (or the import starts at the beginning)."""
    if start == 0 or format not in _ZEEK_FORMATS:
        return None
    first = stream.readline(4096).decode("utf-8", errors="replace")
    if not looks_like_zeek_header(first):
        return None
    zeek = ZeekTsvReader()
    stream.seek(0)
    position = 0
    while position < start:
        line = stream.readline(1024 * 1024)
        if not line:
            break
        position += len(line)
        if line.startswith(b"#") and position <= start:
            with contextlib.suppress(ParseError, UnicodeDecodeError):
                zeek.feed(line.decode("utf-8"))
    return zeek


def _skip_line(stream: IO[bytes]) -> int:
    """Discard the rest of an oversize line; how many bytes were skipped."""
    skipped = 0
    while True:
        chunk = stream.readline(1024 * 1024)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped
