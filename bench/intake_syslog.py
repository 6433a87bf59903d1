"""Syslog intake benchmark: socflow (TCP -> parse -> ECS -> SQLite) beside rsyslog and aiosyslogd.

`python -m bench.intake_syslog [--count 300000] [--connections 1] [--quick] [--no-peers] [--no-assets]`
A load generator in its own process sends N realistic RFC 3164/5424 lines, newline-framed, to
127.0.0.1; each receiver is timed from the first byte sent until all N are durably stored. CPU is
the receiving process's own (utime + stime), so msgs per CPU-second is the per-core rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import intake_peers
from bench.procstat import RssSeries, Run, cpu_seconds, start_loadgen
from socflow.ingest.enrichment import AssetEnricher
from socflow.ingest.pipeline import Enricher
from socflow.ingest.receivers import ListenerSpec
from socflow.ingest.service import IntakeService
from socflow.model.records import Transport
from socflow.storage.db import Database
from socflow.storage.events import EventStore
from socflow.storage.migrate import upgrade

TARGET_PER_CORE = 30_000
MAX_MESSAGE_BYTES = 64 * 1024


async def _socflow_run(
    database: Database, count: int, connections: int, timeout: float, enrich: Enricher | None
) -> Run:
    service = IntakeService(
        EventStore(database),
        [ListenerSpec("bench-tcp", Transport.TCP, "127.0.0.1", 0)],
        max_message_bytes=MAX_MESSAGE_BYTES,
        enrich=enrich,
        tune_gc=True,  # as `socflow ingest serve` and the API server run it (from_settings)
    )
    ports = await service.start()
    assert service.pipeline is not None
    stats = service.pipeline.stats
    rss = RssSeries()
    cpu_before = cpu_seconds()
    loadgen = start_loadgen(ports["bench-tcp"], count, connections=connections)
    deadline = time.monotonic() + timeout
    try:
        while stats.total("stored") + stats.total("dead_lettered") < count and time.monotonic() < deadline:
            rss.maybe_sample()
            await asyncio.sleep(0.02)
        done_at = time.time()
        cpu = cpu_seconds() - cpu_before
    finally:
        await service.stop()
    out, _ = await asyncio.to_thread(loadgen.communicate, None, 300)
    sent = json.loads(out.strip().splitlines()[-1])
    stored = stats.total("stored")
    failures = stats.total("parse_failures")
    note = f"{failures:,} parse failures" if failures else ""
    if stored + stats.total("dead_lettered") < count:
        note = f"timed out after {timeout:.0f} s; " + note
    name = "socflow (TCP -> ECS -> SQLite" + (" + assets)" if enrich else ")")
    return Run(name, count, stored, done_at - float(sent["began"]), cpu, rss.summary(), note)


def socflow(count: int, connections: int, timeout: float, *, with_assets: bool = False) -> Run:
    """Fresh migrated SQLite file; intake on an ephemeral port; done when N events are committed."""
    with tempfile.TemporaryDirectory(prefix="socflow-intake-", dir=intake_peers._work_dir()) as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'socflow.db'}")
        try:
            upgrade(database)
            enrich = None
            if with_assets:
                _seed_assets(database)
                enrich = AssetEnricher(database).enrich
            return asyncio.run(_socflow_run(database, count, connections, timeout, enrich))
        finally:
            database.dispose()


def _seed_assets(database: Database) -> None:
    """An inventory the benchmark's lines hit: the 27 host names of bench.syslog_lines, 10.0.0.0/24 IPs."""
    from socflow.ingest.assets import AssetService

    rows = ["name,criticality,ips"]
    hosts = (
        [f"web{n:02d}" for n in range(1, 21)] + [f"db{n:02d}" for n in range(1, 6)] + ["fw-edge", "mail01"]
    )
    rows += [f"{host}.corp.example,high,10.0.0.{index + 1}" for index, host in enumerate(hosts)]
    AssetService(database).import_csv("bench", "\n".join(rows) + "\n")


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_table(runs: list[Run | str]) -> None:
    """The figures as markdown, then each socflow run against the target and against every peer."""
    print()
    columns = ["receiver", "stored / sent", "wall s", "msgs/s", "CPU s", "msgs per CPU-s", "RSS", "note"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        if isinstance(run, str):
            print(f"| {run} | | | | | | | |")
            continue
        print(
            f"| {run.name} | {run.stored:,} / {run.sent:,} | {run.seconds:.2f} | {_fmt(run.rate)} | "
            f"{_fmt(run.cpu_seconds, 2)} | {_fmt(run.per_cpu_second)} | {run.rss} | {run.note} |"
        )
    socflow_runs = [run for run in runs if isinstance(run, Run) and run.name.startswith("socflow")]
    peers = [run for run in runs if isinstance(run, Run) and not run.name.startswith("socflow")]
    print()
    for run in socflow_runs:
        per_core = run.per_cpu_second or 0.0
        verdict = "PASS" if per_core >= TARGET_PER_CORE and run.stored == run.sent else "FAIL"
        print(
            f"{run.name}: {per_core:,.0f} msgs per CPU-second (target >= {TARGET_PER_CORE:,}/core): {verdict}"
        )
        for peer in peers:
            wall = run.rate / peer.rate if peer.rate else 0.0
            cpu = per_core / (peer.per_cpu_second or 1)
            print(f"  vs {peer.name}: wall-clock rate {_ratio(wall)}, per CPU-second {_ratio(cpu)}")


def _ratio(value: float) -> str:
    return f"{value:.3f}x (1/{1 / value:,.0f})" if 0 < value < 0.5 else f"{value:.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_syslog", description=__doc__)
    parser.add_argument("--count", type=int, default=300_000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="per receiver, seconds")
    parser.add_argument("--quick", action="store_true", help="30,000 messages (a smoke run)")
    parser.add_argument("--no-peers", action="store_true", help="socflow only")
    parser.add_argument("--no-assets", action="store_true", help="skip the run with asset enrichment")
    parser.add_argument("--udp-rate", type=float, default=2_000.0, help="aiosyslogd paced run, datagrams/s")
    args = parser.parse_args(argv)
    count = 30_000 if args.quick else args.count
    runs: list[Run | str] = []
    steps: list[tuple[str, Callable[[], Run | str]]] = [
        ("socflow", lambda: socflow(count, args.connections, args.timeout)),
    ]
    if not args.no_assets:
        steps.append(
            (
                "socflow + asset enrichment",
                lambda: socflow(count, args.connections, args.timeout, with_assets=True),
            )
        )
    if not args.no_peers:
        udp_count = min(count, 60_000)
        steps += [
            ("rsyslog", lambda: intake_peers.rsyslog(count, args.connections, args.timeout)),
            ("aiosyslogd flat out", lambda: intake_peers.aiosyslogd(udp_count, args.timeout)),
            (
                "aiosyslogd paced",
                lambda: intake_peers.aiosyslogd(udp_count, args.timeout, rate=args.udp_rate),
            ),
        ]
    print(f"syslog intake: {count:,} lines over {args.connections} TCP connection(s) to 127.0.0.1")
    for label, step in steps:
        print(f"- {label} ...", flush=True)
        runs.append(step())
    print_table(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
