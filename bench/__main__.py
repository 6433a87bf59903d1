"""Run every benchmark suite in order, each printing its figures: `python -m bench [--quick] [--suite S]`."""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sqlite3
import time

from rich.console import Console

from bench import (
    case_tracker,
    conductor_bench,
    engine_bench,
    engine_peers,
    intake_evtx,
    intake_syslog,
    normalize_bench,
)
from bench.timing import Figure, markdown_table

SUITES = ("cases", "normalize", "intake-syslog", "intake-evtx", "conductor", "engine", "engine-peers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--suite", choices=(*SUITES, "all"), default="all", help="one suite, or all of them")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (2,000 cases)")
    parser.add_argument("--cases", type=int, help="override the number of seeded cases")
    parser.add_argument("--entries", type=int, help="override the number of seeded audit entries")
    parser.add_argument("--breakdown", action="store_true", help="also print p95 per listing filter")
    args = parser.parse_args(argv)
    chosen = SUITES if args.suite == "all" else (args.suite,)
    quick = ["--quick"] if args.quick else []
    if "cases" in chosen:
        bench_case_tracker(args)
    if "normalize" in chosen:
        print("\n## normalize() micro-benchmark\n")
        normalize_bench.main(["normalize_bench", "5000" if args.quick else "50000"])
    if "intake-syslog" in chosen:
        print("\n## syslog intake over TCP (socflow, rsyslog, aiosyslogd)\n")
        intake_syslog.main(quick)
    if "intake-evtx" in chosen:
        print("\n## .evtx import\n")
        intake_evtx.main(quick)
    if "conductor" in chosen:
        print("\n## playbook conductor\n")
        conductor_bench.main(["--runs", "500"] if args.quick else [])
    if "engine" in chosen:
        print("\n## durable run engine on SQLite (issue 4)\n")
        engine_bench.main(["--quick"] if args.quick else [])
    if "engine-peers" in chosen:
        print("\n## engine side by side with Prefect 3 and n8n\n")
        engine_peers.main(["--runs", "50"] if args.quick else [])
    return 0  # benchmarks report; they do not gate


def bench_case_tracker(args: argparse.Namespace) -> None:
    """Listing, alert intake and audit verification on a seeded database (issue: case tracker)."""
    sizes = case_tracker.QUICK if args.quick else case_tracker.FULL
    sizes = dataclasses.replace(sizes, cases=args.cases or sizes.cases, entries=args.entries or sizes.entries)
    console = Console(highlight=False)
    console.print(f"[bold]case tracker[/]: {sizes.cases:,} cases, {sizes.entries:,} audit entries (SQLite)")
    seeded, database = case_tracker.prepare(sizes)
    how = "reused" if seeded.reused else "seeded"
    console.print(f"database {seeded.path.name}: {how} (seeding took {seeded.seconds:,.1f} s)")
    tracker = case_tracker.Tracker.open(database, case_tracker.WORK_DIR / "evidence")
    figures: list[Figure] = []
    began = time.perf_counter()
    console.print("(1) listing filtered pages ...")
    listing, per_query = case_tracker.bench_listing(tracker, seeded, sizes.listings)
    figures.append(listing)
    console.print("(2) ingesting alerts ...")
    figures += case_tracker.bench_ingest(tracker, sizes)
    console.print("(3) verifying the audit journal ...")
    figures.append(case_tracker.bench_verify(database))
    figures.append(case_tracker.bench_cli_verify(database, figures[-1].n))
    database.dispose()
    console.print(f"done in {time.perf_counter() - began:,.1f} s\n")
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")
    if args.quick:
        print("quick run: the sizes are too small to judge the targets (run `make bench` for that)")
    print()
    print(markdown_table(figures))
    if args.breakdown:
        print("\n| listing filter | n | p50 ms | p95 ms | max ms |\n|---|--:|--:|--:|--:|")
        for label, samples in per_query.items():
            row = (len(samples.values), samples.p(0.5), samples.p(0.95), samples.p(1.0))
            print(f"| {label} | {row[0]} | {row[1]:.2f} | {row[2]:.2f} | {row[3]:.2f} |")
    print()
    for figure in figures:
        if figure.verdict != "-":
            style = "green" if figure.verdict == "PASS" else "bold red"
            console.print(f"[{style}]{figure.verdict}[/] {figure.name}: {figure.target}")


if __name__ == "__main__":
    raise SystemExit(main())
