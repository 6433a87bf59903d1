"""Bulk .evtx import benchmark: records read (evtx), parsed, normalized to ECS and stored in SQLite.

`python -m bench.intake_evtx [--records 40000] [--quick]`. The corpus's .evtx samples
(/work/shared/corpus/sigma/regression, or --corpus DIR) hold few records each, so they are read
again and again until N records went through. Three figures:
  1. read only (the evtx package renders each record as JSON);
  2. read + parse + normalize + store, in batches of 2,000 as the file importer commits them;
  3. FileImporter on many small files (hard links to the samples): adds a progress row and a
     transaction per file, so it measures per-file overhead as much as per-record work.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bench.procstat import REPO, RssSeries, Run, cpu_seconds
from socflow.ingest.files import FILE_LISTENER, FileImporter
from socflow.ingest.pipeline import IngestPipeline
from socflow.model.records import RawRecord, Transport
from socflow.storage.db import Database
from socflow.storage.events import EventStore
from socflow.storage.migrate import upgrade

TARGET = 20_000
BATCH = 2_000
DEFAULT_CORPUS = Path("/work/shared/corpus/sigma/regression")


def evtx_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.evtx")) if corpus.is_dir() else []


def _records(files: list[Path], count: int) -> Iterator[RawRecord]:
    """`count` records, reading the files round and round with the evtx parser."""
    from evtx import PyEvtxParser

    received = datetime.now(UTC)
    produced = 0
    while produced < count:
        for path in files:
            for record in PyEvtxParser(str(path)).records_json():
                yield RawRecord(
                    str(record["data"]),
                    received,
                    Transport.EVTX,
                    str(path),
                    FILE_LISTENER,
                    "evtx",
                    None,
                    int(record["event_record_id"]),
                )
                produced += 1
                if produced >= count:
                    return


def read_only(files: list[Path], count: int) -> Run:
    wall, cpu = time.perf_counter(), cpu_seconds()
    read = sum(1 for _ in _records(files, count))
    return Run("read (evtx -> JSON)", count, read, time.perf_counter() - wall, cpu_seconds() - cpu)


def _fresh_database(tmp: Path) -> Database:
    database = Database(f"sqlite:///{tmp / 'socflow.db'}")
    upgrade(database)
    return database


def full_path(files: list[Path], count: int, tmp: Path) -> Run:
    database = _fresh_database(tmp)
    try:
        store = EventStore(database)
        pipeline = IngestPipeline(store)
        rss = RssSeries()
        wall, cpu = time.perf_counter(), cpu_seconds()
        batch: list[RawRecord] = []
        stored = 0
        for record in _records(files, count):
            batch.append(record)
            if len(batch) >= BATCH:
                stored += pipeline.process(batch)
                batch = []
                rss.maybe_sample()
        stored += pipeline.process(batch) if batch else 0
        seconds, used = time.perf_counter() - wall, cpu_seconds() - cpu
        failures = pipeline.stats.total("parse_failures")
        note = f"{failures:,} parse failures; {store.count():,} rows in the store"
        return Run("read + parse + normalize + store", count, stored, seconds, used, rss.summary(), note)
    finally:
        database.dispose()


def importer(files: list[Path], copies: int, tmp: Path) -> Run:
    """FileImporter.import_file over `copies` hard links of every sample (distinct paths, same bytes)."""
    links = tmp / "links"
    links.mkdir()
    paths = []
    for copy in range(copies):
        for index, path in enumerate(files):
            target = links / f"{copy:04d}-{index:03d}.evtx"
            try:
                os.link(path, target)
            except OSError:  # another file system: copy instead
                target.write_bytes(path.read_bytes())
            paths.append(target)
    database = _fresh_database(tmp)
    try:
        store = EventStore(database)
        files_importer = FileImporter(IngestPipeline(store), store)
        wall, cpu = time.perf_counter(), cpu_seconds()
        stored = sum(files_importer.import_file(path).stored for path in paths)
        seconds, used = time.perf_counter() - wall, cpu_seconds() - cpu
        note = f"{len(paths):,} files, {len(paths) / seconds:,.0f} files/s"
        return Run("FileImporter, small files", stored, stored, seconds, used, "-", note)
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_evtx", description=__doc__)
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--copies", type=int, default=20, help="hard-linked copies of the corpus for (3)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    files = evtx_files(args.corpus)
    if not files:
        print(f"no .evtx samples under {args.corpus}: skipped")
        return 0
    count = 6_000 if args.quick else args.records
    copies = 3 if args.quick else args.copies
    print(f".evtx import: {len(files)} sample files, {count:,} records")
    work = REPO / "bench" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    runs = [read_only(files, count)]
    with tempfile.TemporaryDirectory(prefix="evtx-", dir=work) as tmp:
        runs.append(full_path(files, count, Path(tmp)))
    with tempfile.TemporaryDirectory(prefix="evtx-", dir=work) as tmp:
        runs.append(importer(files, copies, Path(tmp)))
    print()
    print("| stage | records | wall s | records/s | CPU s | records per CPU-s | RSS | note | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for index, run in enumerate(runs):
        verdict = ""
        if index == 1:
            verdict = f"{'PASS' if run.rate >= TARGET else 'FAIL'} (>= {TARGET:,}/s)"
        per_cpu = f"{run.per_cpu_second:,.0f}" if run.per_cpu_second else "-"
        used = f"{run.cpu_seconds or 0:.2f}"
        print(
            f"| {run.name} | {run.stored:,} | {run.seconds:.2f} | {run.rate:,.0f} | {used} "
            f"| {per_cpu} | {run.rss} | {run.note} | {verdict} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
