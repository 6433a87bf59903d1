"""File import: plain, gzip (by magic bytes) and JSON lines; progress callback; resume; bad lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from socflow.errors import NotFound, ValidationFailed
from socflow.ingest.files import EVTX_MAGIC, FileImporter, FileKind, sniff_kind
from socflow.ingest.pipeline import IngestPipeline
from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore

LINES = [f"<13>Nov  1 10:00:{second:02d} web{second} nginx: request {second}" for second in range(7)]


@pytest.fixture
def store(database: Database) -> EventStore:
    return EventStore(database)


@pytest.fixture
def importer(store: EventStore) -> FileImporter:
    return FileImporter(IngestPipeline(store), store, max_message_bytes=256, batch_size=3)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_import_plain_file_stores_every_line_with_its_path(
    importer: FileImporter, store: EventStore, tmp_path: Path
) -> None:
    path = _write(tmp_path / "messages.log", LINES)
    calls: list[tuple[int, int | None]] = []

    result = importer.import_file(path, timezone="Europe/Berlin", progress=lambda d, t: calls.append((d, t)))

    assert (result.kind, result.stored, result.dead_lettered) == (FileKind.TEXT, 7, 0)
    docs = [json.loads(row.document) for row in store.search(EventQuery()).items]
    assert {doc["log"]["file"]["path"] for doc in docs} == {str(path.resolve())}
    assert sorted(doc["event"]["original"] for doc in docs) == sorted(LINES)
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)


def test_import_gzip_is_recognized_by_magic_bytes(
    importer: FileImporter, store: EventStore, tmp_path: Path
) -> None:
    path = tmp_path / "rotated.1"  # no .gz suffix on purpose
    path.write_bytes(gzip.compress("".join(line + "\n" for line in LINES).encode()))

    result = importer.import_file(path)

    assert result.kind is FileKind.GZIP
    assert store.count() == 7


def test_import_json_lines_become_json_documents(
    importer: FileImporter, store: EventStore, tmp_path: Path
) -> None:
    rows = [
        {"@timestamp": "2026-11-01T10:00:00Z", "source": {"ip": f"10.0.0.{n}"}, "message": "m"}
        for n in range(4)
    ]
    path = _write(tmp_path / "events.jsonl", [json.dumps(row) for row in rows])

    importer.import_file(path)

    found = store.search(EventQuery(fields=[]))
    assert sorted(row.source_ip or "" for row in found.items) == [f"10.0.0.{n}" for n in range(4)]


def test_import_resumes_after_the_last_committed_batch(
    store: EventStore, database: Database, tmp_path: Path
) -> None:
    path = _write(tmp_path / "big.log", LINES)

    class Interrupted(Exception):
        pass

    class CrashingImporter(FileImporter):
        commits = 0

    pipeline = IngestPipeline(store)
    original_insert = store.insert_with_progress

    def crash_after_two(*args: object, **kwargs: object) -> None:
        if CrashingImporter.commits == 2:
            raise Interrupted
        CrashingImporter.commits += 1
        original_insert(*args, **kwargs)  # type: ignore[arg-type]

    store.insert_with_progress = crash_after_two  # type: ignore[method-assign]
    with pytest.raises(Interrupted):
        CrashingImporter(pipeline, store, batch_size=3).import_file(path)
    assert store.count() == 6
    store.insert_with_progress = original_insert  # type: ignore[method-assign]

    result = FileImporter(pipeline, store, batch_size=3).import_file(path)
    again = FileImporter(pipeline, store, batch_size=3).import_file(path)

    assert result.resumed_from > 0
    assert result.stored == 1
    assert store.count() == 7
    assert again.skipped
    assert again.stored == 0


def test_import_restart_reads_the_file_again(
    importer: FileImporter, store: EventStore, tmp_path: Path
) -> None:
    path = _write(tmp_path / "again.log", LINES[:2])
    importer.import_file(path)

    result = importer.import_file(path, restart=True)

    assert result.stored == 2
    assert store.count() == 4


def test_import_appended_lines_continue_from_the_old_end(
    importer: FileImporter, store: EventStore, tmp_path: Path
) -> None:
    path = _write(tmp_path / "growing.log", LINES[:2])
    importer.import_file(path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(LINES[2] + "\n")

    result = importer.import_file(path)

    assert result.stored == 1
    assert store.count() == 3


def test_import_dead_letters_bad_lines_and_keeps_going(
    importer: FileImporter, store: EventStore, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(b"<13>good one\n<13>bad \xff byte\n" + b"x" * 1000 + b"\n<13>good two\n")

    result = importer.import_file(path)

    assert (result.stored, result.dead_lettered) == (2, 2)
    counts = importer.pipeline.stats.snapshot()["file"]
    assert (counts["received"], counts["stored"], counts["dead_lettered"]) == (4, 2, 2)
    letters, _ = store.dead_letters()
    reasons = sorted(letter.reason for letter in letters)
    assert reasons[0].startswith("invalid UTF-8 at byte 8 (line at byte 13)")
    assert reasons[1].startswith("oversize line: 1001 bytes")


def test_import_missing_file_is_not_found(importer: FileImporter, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no such file"):
        importer.import_file(tmp_path / "absent.log")


def test_import_broken_evtx_is_refused_with_its_path(importer: FileImporter, tmp_path: Path) -> None:
    path = tmp_path / "broken.evtx"
    path.write_bytes(EVTX_MAGIC + b"\x00" * 200)

    assert sniff_kind(path) is FileKind.EVTX
    with pytest.raises(ValidationFailed, match=r"not a readable \.evtx file"):
        importer.import_file(path)
