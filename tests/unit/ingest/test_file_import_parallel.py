"""Parallel .evtx import: the same rows, positions, counters and resume points as a serial import."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from socflow.ingest import files_parallel
from socflow.ingest.asset_input import AssetInput
from socflow.ingest.assets import AssetService
from socflow.ingest.enrichment import AssetEnricher
from socflow.ingest.files import FileImporter
from socflow.ingest.files_parallel import (
    ImportWorkers,
    RecordBatch,
    shareable_database_url,
    store_in_parallel,
)
from socflow.ingest.pipeline import IngestPipeline
from socflow.model.asset import Criticality
from socflow.model.records import RawRecord, Transport
from socflow.storage.db import Database
from socflow.storage.event_writes import EventValues
from socflow.storage.events import EventStore
from socflow.storage.migrate import upgrade

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus" / "sigma" / "regression"
BATCH = 50


def _build_evtx(samples: list[Path], records: int, target: Path) -> int:
    """bench/evtx_synth.py's builder (bench is no package on the tests' path)."""
    spec = importlib.util.spec_from_file_location("evtx_synth", REPO / "bench" / "evtx_synth.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.build(samples, records, target))


@pytest.fixture(scope="module")
def evtx_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 600 records in one file, built from the corpus's samples (skipped without the corpus)."""
    samples = sorted(CORPUS.rglob("*.evtx")) if CORPUS.is_dir() else []
    if not samples:
        pytest.skip(f"the .evtx samples under {CORPUS} are not present")
    path = tmp_path_factory.mktemp("evtx") / "many.evtx"
    _build_evtx(samples, 600, path)
    return path


def _database(path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    return database


def _importer(
    database: Database, workers: int, *, enrich: bool = False, helping: bool = False
) -> FileImporter:
    """`workers` processes build every batch (unless `helping`: then this one too, while they start)."""
    store = EventStore(database)
    pipeline = IngestPipeline(store, enrich=AssetEnricher(database).enrich if enrich else None)
    url = database.url if enrich else None
    setup = ImportWorkers(workers, url, min_bytes=0, help_while_starting=helping)
    return FileImporter(pipeline, store, batch_size=BATCH, workers=setup)


def _stored(database: Database) -> list[dict[str, Any]]:
    """Every stored event without its ingest time (the one thing that differs between two imports)."""
    with database.session(write=False) as session:
        rows = [dict(row._mapping) for row in session.execute(text("SELECT * FROM events ORDER BY id"))]
    for row in rows:
        row.pop("ingested_at")
        document = json.loads(row["document"])
        del document["event"]["ingested"]
        row["document"] = document
    return rows


def _progress(database: Database) -> list[tuple[Any, ...]]:
    with database.session(write=False) as session:
        query = text("SELECT path, position, records, completed FROM ingest_progress")
        return [tuple(row) for row in session.execute(query)]


def test_parallel_import_stores_the_rows_of_a_serial_import(evtx_file: Path, tmp_path: Path) -> None:
    serial_db, parallel_db = _database(tmp_path / "serial.db"), _database(tmp_path / "parallel.db")
    serial, parallel = _importer(serial_db, 0), _importer(parallel_db, 2)
    calls: list[tuple[int, int | None]] = []

    expected = serial.import_file(evtx_file)
    result = parallel.import_file(evtx_file, progress=lambda done, total: calls.append((done, total)))

    assert (result.stored, result.dead_lettered) == (expected.stored, 0)
    assert result.stored > 10 * BATCH
    assert (expected.worker_batches, result.worker_batches) == (0, -(-result.stored // BATCH))
    assert _stored(parallel_db) == _stored(serial_db)
    assert _progress(parallel_db) == _progress(serial_db)
    assert parallel.pipeline.stats.snapshot() == serial.pipeline.stats.snapshot()
    done = [count for count, _ in calls]
    assert done == sorted(done)
    assert done[-1] == result.stored
    assert done[:-1] == list(range(BATCH, result.stored, BATCH))
    assert {total for _, total in calls} == {result.stored}  # the chunk headers' count, exact here
    serial_db.dispose()
    parallel_db.dispose()


def test_while_workers_start_the_importer_builds_rows_too_and_the_rows_are_the_same(
    evtx_file: Path, tmp_path: Path
) -> None:
    serial_db, parallel_db = _database(tmp_path / "serial.db"), _database(tmp_path / "parallel.db")

    _importer(serial_db, 0).import_file(evtx_file)
    result = _importer(parallel_db, 1, helping=True).import_file(evtx_file)

    assert 0 <= result.worker_batches <= -(-result.stored // BATCH)
    assert _stored(parallel_db) == _stored(serial_db)
    assert _progress(parallel_db) == _progress(serial_db)
    serial_db.dispose()
    parallel_db.dispose()


def test_parse_failures_built_by_workers_are_counted(evtx_file: Path, tmp_path: Path) -> None:
    database = _database(tmp_path / "failures.db")
    importer = _importer(database, 2)

    result = importer.import_file(evtx_file, timezone="Not/A_Zone")  # every record fails

    counts = importer.pipeline.stats.snapshot()["file"]
    assert counts["parse_failures"] == counts["stored"] == result.stored > 0
    database.dispose()


def test_parallel_import_resumes_after_the_last_committed_batch(evtx_file: Path, tmp_path: Path) -> None:
    database = _database(tmp_path / "resume.db")
    importer = _importer(database, 2)
    store = importer.store
    original = store.insert_with_progress
    commits = 0

    class Interrupted(Exception):
        pass

    def crash_after_three(*args: Any, **kwargs: Any) -> None:
        nonlocal commits
        if commits == 3:
            raise Interrupted
        commits += 1
        original(*args, **kwargs)

    store.insert_with_progress = crash_after_three  # type: ignore[method-assign]
    with pytest.raises(Interrupted):
        importer.import_file(evtx_file)
    assert store.count() == 3 * BATCH
    store.insert_with_progress = original  # type: ignore[method-assign]

    result = importer.import_file(evtx_file)

    assert result.resumed_from == 3 * BATCH
    reference_db = _database(tmp_path / "reference.db")
    _importer(reference_db, 0).import_file(evtx_file)
    assert _stored(database) == _stored(reference_db)
    assert _progress(database)[0][1:] == _progress(reference_db)[0][1:]
    database.dispose()
    reference_db.dispose()


def test_workers_enrich_from_the_same_database(evtx_file: Path, tmp_path: Path) -> None:
    name, domain = _first_host(evtx_file, tmp_path)
    serial_db = _database(tmp_path / "serial.db")
    asset = AssetInput(name=name, domain=domain or "", criticality=Criticality.HIGH)
    AssetService(serial_db).create("cli:tester", asset)
    serial_db.dispose()  # the last connection's close checkpoints the WAL into the file
    shutil.copyfile(tmp_path / "serial.db", tmp_path / "parallel.db")  # the same asset, the same id
    serial_db = Database(f"sqlite:///{tmp_path / 'serial.db'}")
    parallel_db = Database(f"sqlite:///{tmp_path / 'parallel.db'}")

    _importer(serial_db, 0, enrich=True).import_file(evtx_file)
    _importer(parallel_db, 2, enrich=True).import_file(evtx_file)

    enriched = [row for row in _stored(parallel_db) if "socflow" in row["document"]]
    assert enriched, "the asset's host name was not enriched"
    assert _stored(parallel_db) == _stored(serial_db)
    serial_db.dispose()
    parallel_db.dispose()


def _first_host(evtx_file: Path, tmp_path: Path) -> tuple[str, str | None]:
    database = _database(tmp_path / "probe.db")
    _importer(database, 0).import_file(evtx_file)
    host = _stored(database)[0]["document"]["host"]
    database.dispose()
    return host["name"], host.get("domain")


LINES = [f"<13>Nov  1 10:00:{n % 60:02d} web{n} app: message {n}" for n in range(23)]


def _line_records() -> list[RawRecord]:
    received = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    return [
        RawRecord(line, received, Transport.FILE, "/x.log", "file", "auto", None, n)
        for n, line in enumerate(LINES)
    ]


def _batches_then_failure(records: list[RawRecord], size: int, fail_after: int) -> Iterator[list[RawRecord]]:
    for number, start in enumerate(range(0, len(records), size)):
        if number == fail_after:
            raise OSError("the disk went away")
        yield records[start : start + size]


def test_batches_read_before_a_read_error_are_stored_in_order_then_it_is_raised() -> None:
    pipeline = IngestPipeline(EventStore(Database("sqlite://")))
    stored: list[list[str]] = []

    def store(
        batch: list[RawRecord], built: list[dict[str, Any]] | EventValues, failures: dict[str, int]
    ) -> None:
        rows = built.rows() if isinstance(built, EventValues) else built  # workers send values
        assert [row["origin"] for row in rows] == ["/x.log"] * len(batch)
        stored.append([json.loads(row["document"])["event"]["original"] for row in rows])

    with pytest.raises(OSError, match="the disk went away"):
        store_in_parallel(
            _batches_then_failure(_line_records(), 4, fail_after=5),
            lambda batch: batch,
            pipeline.rows,
            store,
            ImportWorkers(2, help_while_starting=False),
        )

    assert stored == [LINES[start : start + 4] for start in range(0, 20, 4)]


def test_a_batch_of_records_from_different_origins_is_refused() -> None:
    records = _line_records()[:2]
    other = RawRecord("x", records[0].received_at, Transport.FILE, "/other.log", "file", "auto")

    assert len(RecordBatch.of(records).records()) == 2
    assert RecordBatch.of(records).records() == records
    with pytest.raises(ValueError, match="share"):
        RecordBatch.of([*records, other])


def test_only_a_database_another_process_can_open_is_shared() -> None:
    assert shareable_database_url("sqlite://") is None
    assert shareable_database_url("sqlite:///:memory:") is None
    assert shareable_database_url("sqlite:////var/lib/socflow.db") == "sqlite:////var/lib/socflow.db"
    assert shareable_database_url("postgresql+psycopg://u@db/socflow") == "postgresql+psycopg://u@db/socflow"


def test_when_no_worker_can_start_the_importer_does_it_all(
    evtx_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_processes(workers: ImportWorkers) -> ProcessPoolExecutor:
        raise OSError("fork: resource temporarily unavailable")

    monkeypatch.setattr(files_parallel, "_process_pool", no_processes)
    serial_db, parallel_db = _database(tmp_path / "serial.db"), _database(tmp_path / "parallel.db")

    _importer(serial_db, 0).import_file(evtx_file)
    result = _importer(parallel_db, 2).import_file(evtx_file)

    assert result.worker_batches == 0
    assert _stored(parallel_db) == _stored(serial_db)
    serial_db.dispose()
    parallel_db.dispose()
