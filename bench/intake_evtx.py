"""Bulk .evtx import benchmark: one large .evtx file read, parsed, normalized to ECS and stored in SQLite.

`python -m bench.intake_evtx [--records 40000] [--quick] [--corpus DIR]`. The corpus's samples
(/work/shared/corpus/sigma/regression) hold 1-7 records each, so a large file is built from them
first (bench/evtx_synth.py: their chunks filled with copies of their records). Figures:
  1. read only: the evtx package renders each record as JSON;
  2. read + parse + normalize (+ the event row: document serialized), nothing stored;
  3. `FileImporter.import_file` on the large file: what `socflow ingest file X.evtx` does
     (batches of 2,000 committed with the file position);
  4. FileImporter on many small files (hard links to the samples): per-file overhead.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bench.evtx_synth import build
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


def _records(path: Path) -> Iterator[RawRecord]:
    from evtx import PyEvtxParser

    received = datetime.now(UTC)
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


def _timed(name: str, count: int, work: Iterator[int], note: str = "") -> Run:
    rss = RssSeries()
    wall, cpu = time.perf_counter(), cpu_seconds()
    done = 0
    for step in work:
        done += step
        rss.maybe_sample()
    return Run(name, count, done, time.perf_counter() - wall, cpu_seconds() - cpu, rss.summary(), note)


def read_only(path: Path, count: int) -> Run:
    return _timed("read (evtx -> JSON)", count, (1 for _ in _records(path)))


def parse_normalize(path: Path, count: int) -> Run:
    """Everything but the database: records to event rows, in batches."""
    database = Database("sqlite://")  # never written: the pipeline wants a store to exist
    pipeline = IngestPipeline(EventStore(database))

    def work() -> Iterator[int]:
        batch: list[RawRecord] = []
        for record in _records(path):
            batch.append(record)
            if len(batch) >= BATCH:
                yield len(pipeline.rows(batch))
                batch = []
        if batch:
            yield len(pipeline.rows(batch))

    try:
        run = _timed("read + parse + normalize + row", count, work())
    finally:
        database.dispose()
    failures = pipeline.stats.total("parse_failures")
    return Run(run.name, run.sent, run.stored, run.seconds, run.cpu_seconds, run.rss, f"{failures} failures")


def _fresh_database(tmp: Path) -> Database:
    database = Database(f"sqlite:///{tmp / 'socflow.db'}")
    upgrade(database)
    return database


def import_large(path: Path, count: int, tmp: Path) -> Run:
    database = _fresh_database(tmp)
    try:
        store = EventStore(database)
        files_importer = FileImporter(IngestPipeline(store), store)
        imports = (files_importer.import_file(each).stored for each in [path])
        run = _timed("FileImporter, one large file", count, imports)
        note = f"{store.count():,} rows in the store"
        return Run(run.name, run.sent, run.stored, run.seconds, run.cpu_seconds, "-", note)
    finally:
        database.dispose()


def import_small(files: list[Path], copies: int, tmp: Path) -> Run:
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
        run = _timed("FileImporter, small files", 0, (files_importer.import_file(p).stored for p in paths))
        note = f"{len(paths):,} files, {len(paths) / run.seconds:,.0f} files/s"
        return Run(run.name, run.stored, run.stored, run.seconds, run.cpu_seconds, "-", note)
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_evtx", description=__doc__)
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--copies", type=int, default=20, help="hard-linked copies of the corpus for (4)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    files = evtx_files(args.corpus)
    if not files:
        print(f"no .evtx samples under {args.corpus}: skipped")
        return 0
    wanted = 6_000 if args.quick else args.records
    copies = 3 if args.quick else args.copies
    work = REPO / "bench" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="evtx-", dir=work) as tmp:
        large = Path(tmp) / "large.evtx"
        count = build(files, wanted, large)
        size = large.stat().st_size
        megabytes = size / 2**20
        print(f".evtx import: one file of {count:,} records ({megabytes:.1f} MiB) from {len(files)} samples")
        runs.append(read_only(large, count))
        runs.append(parse_normalize(large, count))
        runs.append(import_large(large, count, Path(tmp)))
    with tempfile.TemporaryDirectory(prefix="evtx-", dir=work) as tmp:
        runs.append(import_small(files, copies, Path(tmp)))
    print()
    print("| stage | records | wall s | records/s | CPU s | records per CPU-s | RSS | note | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for index, run in enumerate(runs):
        verdict = f"{'PASS' if run.rate >= TARGET else 'FAIL'} (>= {TARGET:,}/s)" if index == 2 else ""
        per_cpu = f"{run.per_cpu_second:,.0f}" if run.per_cpu_second else "-"
        used = f"{run.cpu_seconds or 0:.2f}"
        print(
            f"| {run.name} | {run.stored:,} | {run.seconds:.2f} | {run.rate:,.0f} | {used} "
            f"| {per_cpu} | {run.rss} | {run.note} | {verdict} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
