"""Bulk .evtx import benchmark: one large .evtx file read, parsed, normalized to ECS and stored in SQLite.

`python -m bench.intake_evtx [--records 40000] [--quick] [--corpus DIR]`. The corpus's samples
(/work/shared/corpus/sigma/regression) hold 1-7 records each, so a large file is built from them
first (bench/evtx_synth.py: their chunks filled with copies of their records). Figures:
  1. read only: the evtx package renders each record as JSON;
  2. read + parse + normalize (+ the event row: document serialized), nothing stored;
  3. `FileImporter.import_file` on the large file: what `socflow ingest file X.evtx` does
     (batches of 2,000 committed with the file position), without worker processes;
  4. the same with `--workers N` worker processes (default: one per CPU) building the rows, this
     process reading and storing (socflow/ingest/files_parallel.py); CPU includes the workers';
  5. FileImporter on many small files (hard links to the samples): per-file overhead.
Runs 3 and 4 alternate `--repeat` times (default 1) on the same file; each run has a fresh database.
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
from socflow.ingest.files_parallel import ImportWorkers, default_worker_count
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


def _children_cpu() -> float:
    """CPU seconds of this process's living children and of the children they reaped.

    Import workers are forked by multiprocessing's fork server (a child of this process), which
    reaps them, so their time shows in the server's cutime/cstime once they have exited."""
    total = 0
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if fields[1] == me:  # ppid
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def import_large(path: Path, count: int, tmp: Path, workers: int) -> Run:
    database = _fresh_database(tmp)
    try:
        store = EventStore(database)
        setup = ImportWorkers(workers, min_bytes=0)
        files_importer = FileImporter(IngestPipeline(store), store, workers=setup)
        results = []
        children = _children_cpu()

        def imports() -> Iterator[int]:
            for each in [path]:
                results.append(files_importer.import_file(each))
                yield results[-1].stored

        name = (
            f"FileImporter, one large file, {workers} workers" if workers else "FileImporter, one large file"
        )
        run = _timed(name, count, imports())
        time.sleep(0.2)  # the fork server reaps its workers
        cpu = (run.cpu_seconds or 0) + _children_cpu() - children
        note = f"{store.count():,} rows in the store"
        if workers:
            note += f", {results[0].worker_batches} of {-(-count // BATCH)} batches built by workers"
        return Run(run.name, run.sent, run.stored, run.seconds, cpu, "-", note)
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
    parser.add_argument("--workers", type=int, default=default_worker_count(), help="for run (4)")
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs (3) and (4) this often")
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
        for repeat in range(args.repeat):
            for workers in dict.fromkeys((0, args.workers)):  # `--workers 0`: the serial run only
                work_dir = Path(tmp) / f"{repeat}-{workers}"
                work_dir.mkdir()
                runs.append(import_large(large, count, work_dir, workers))
    with tempfile.TemporaryDirectory(prefix="evtx-", dir=work) as tmp:
        runs.append(import_small(files, copies, Path(tmp)))
    print()
    print("| stage | records | wall s | records/s | CPU s | records per CPU-s | RSS | note | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        large = run.name.startswith("FileImporter, one large")
        verdict = f"{'PASS' if run.rate >= TARGET else 'FAIL'} (>= {TARGET:,}/s)" if large else ""
        per_cpu = f"{run.per_cpu_second:,.0f}" if run.per_cpu_second else "-"
        used = f"{run.cpu_seconds or 0:.2f}"
        print(
            f"| {run.name} | {run.stored:,} | {run.seconds:.2f} | {run.rate:,.0f} | {used} "
            f"| {per_cpu} | {run.rss} | {run.note} | {verdict} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
