"""Case tracker figures on a seeded SQLite: filtered listing, alert intake and audit verification."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench import seed
from bench.timing import Figure, Samples, latency_figure
from socflow.cases.alerts import AlertInput
from socflow.cases.listing import ListQuery, SortField
from socflow.cases.observables import ObservableInput
from socflow.cases.tracker import Tracker
from socflow.model.observable import ObservableType
from socflow.model.severity import Severity
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.migrate import upgrade

WORK_DIR = Path(__file__).parent / ".work"
LIST_TARGET_MS, INGEST_TARGET_MS, VERIFY_TARGET_S = 50.0, 10.0, 20.0
OPEN = ("new", "triage", "investigating", "containment", "eradication", "recovery", "reopened")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Sizes:
    cases: int
    entries: int
    listings: int
    ingests: int
    updates: int


FULL = Sizes(cases=100_000, entries=1_000_000, listings=500, ingests=2_000, updates=500)
QUICK = Sizes(cases=2_000, entries=20_000, listings=500, ingests=500, updates=200)


def prepare(sizes: Sizes) -> tuple[seed.Seeded, Database]:
    """The cached seeded database, migrated to head, copied so the runs never alter the cache."""
    seeded = seed.ensure(WORK_DIR, sizes.cases, sizes.entries)
    cache = Database(f"sqlite:///{seeded.path}")
    upgrade(cache)
    raw = cache.engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    cache.dispose()
    run = WORK_DIR / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{run}{suffix}").unlink(missing_ok=True)
    for suffix in ("", "-wal"):  # all connections are closed: the WAL is normally gone by now
        if Path(f"{seeded.path}{suffix}").exists():
            shutil.copyfile(f"{seeded.path}{suffix}", f"{run}{suffix}")
            with open(f"{run}{suffix}", "rb+") as copied:  # else the first checkpoint's fsync writes it all
                os.fsync(copied.fileno())
    return seeded, Database(f"sqlite:///{run}")


def _queries(seeded: seed.Seeded, rng: random.Random) -> list[tuple[str, Callable[[], ListQuery]]]:
    """Filters an analyst uses, each with fresh values (assignee, tag, 30-day window) per call."""

    def window() -> dict[str, datetime]:
        start = seeded.start + (seeded.end - seeded.start - 30 * DAY) * rng.random()
        return {"created_from": start, "created_to": start + 30 * DAY}

    def who() -> dict[str, str]:
        return {"assignee": rng.choice(seed.ASSIGNEES)}

    high, s, q, inv = (Severity.HIGH, Severity.CRITICAL), SortField, ListQuery, ["investigating"]
    return [
        ("status=investigating, created desc", lambda: q(status=inv)),
        ("severity=high+critical, created desc", lambda: q(severity=high)),
        ("assignee, updated desc", lambda: q(sort=s.UPDATED_AT, extra=who())),
        ("tag, created desc", lambda: q(tag=rng.choice(seed.TAGS))),
        ("tier=2, priority asc", lambda: q(sort=s.PRIORITY, descending=False, extra={"tier": 2})),
        ("30-day window, created desc", lambda: q(**window())),
        ("status+severity, severity desc", lambda: q(status=inv, severity=high, sort=s.SEVERITY)),
        ("assignee+status, created desc", lambda: q(status=["triage", "investigating"], extra=who())),
        ("open queue, priority asc", lambda: q(status=OPEN, sort=s.PRIORITY, descending=False)),
        ("tag+status, updated desc", lambda: q(tag=rng.choice(seed.TAGS), status=OPEN, sort=s.UPDATED_AT)),
        ("window+severity, severity desc", lambda: q(severity=high, sort=s.SEVERITY, **window())),
        ("severity=critical, updated desc", lambda: q(severity=[Severity.CRITICAL], sort=s.UPDATED_AT)),
    ]  # fmt: skip


def bench_listing(
    tracker: Tracker, seeded: seed.Seeded, iterations: int
) -> tuple[Figure, dict[str, Samples]]:
    """Pages of 50 through CaseService.search; every third iteration also follows `next` to page 2."""
    rng = random.Random(7)
    queries = _queries(seeded, rng)
    for _, make in queries:  # warm-up: statement cache, page cache
        tracker.cases.search(make())
    every, per_query = Samples(), {label: Samples() for label, _ in queries}
    for i in range(iterations):
        label, make = queries[i % len(queries)]
        query = make()
        with every.timed(), per_query[label].timed():
            page = tracker.cases.search(query)
        if i % 3 == 0 and page.next:
            second = ListQuery(**{**query.__dict__, "cursor": page.next})
            with every.timed(), per_query[label].timed():
                tracker.cases.search(second)
    figure = latency_figure(
        "list a filtered case page (limit 50)", every, target_ms=LIST_TARGET_MS, note="12 filter/sort shapes"
    )
    return figure, per_query


def _alert(token: str, i: int, rng: random.Random, observables: int) -> AlertInput:
    """Two observables (an IP seen before half of the time, a new domain) and two tags."""
    known = rng.random() < 0.5
    ip = (
        seed.seeded_ip(3 * rng.randrange(observables // 3))
        if known
        else f"172.{16 + i // 65536 % 16}.{i // 256 % 256}.{i % 256}"
    )
    return AlertInput(
        source="bench",
        source_ref=f"{token}-{i}",
        title=f"Suspicious sign-in for user{rng.randrange(500)}",
        severity=rng.choice(list(Severity)),
        description="Impossible travel between two sign-ins.",
        tags=rng.sample(seed.TAGS, 2),
        observables=(
            ObservableInput(ObservableType.IP, ip),
            ObservableInput(ObservableType.DOMAIN, f"login-{i}.{token}.example.org"),
        ),
        event_refs=(f"evt-{token}-{i}",),
    )


def bench_ingest(tracker: Tracker, sizes: Sizes) -> list[Figure]:
    """New alerts (unique source_ref) and re-sent ones (same source_ref: count and last_seen move)."""
    rng = random.Random(11)
    token, observables = f"b{os.getpid()}x{int(time.time())}", seed.observable_count(sizes.cases)
    warm = 20
    for i in range(warm):
        tracker.alerts.ingest("bench", _alert(token, i, rng, observables))
    created = Samples()
    for i in range(warm, warm + sizes.ingests):
        data = _alert(token, i, rng, observables)
        with created.timed():
            _, new = tracker.alerts.ingest("bench", data)
        assert new
    updated = Samples()
    for _ in range(sizes.updates):
        i = rng.randrange(warm + sizes.ingests)
        data = _alert(token, i, rng, observables)
        data = AlertInput(**{**data.__dict__, "event_refs": (f"evt-{rng.random()}",)})
        with updated.timed():
            _, new = tracker.alerts.ingest("bench", data)
        assert not new
    note = "2 observables + 2 tags each, one transaction"
    return [
        latency_figure("ingest a new alert", created, target_ms=INGEST_TARGET_MS, note=note),
        latency_figure("ingest a re-sent alert (update)", updated, note="same source_ref: count += 1"),
    ]


def bench_verify(database: Database) -> Figure:
    start = time.perf_counter()
    report = audit.verify(database)
    wall = time.perf_counter() - start
    state = "chain ok" if report.ok else f"BROKEN at {report.broken}"
    return _verify_figure(
        "audit.verify() (library)", report.entries, wall, f"{report.entries / wall:,.0f} entries/s, {state}"
    )


def _verify_figure(name: str, n: int, wall: float, note: str) -> Figure:
    return Figure(
        name,
        n,
        None,
        None,
        None,
        None,
        wall_s=wall,
        target=f"< {VERIFY_TARGET_S:g} s",
        key_ms=wall * 1000,
        limit_ms=VERIFY_TARGET_S * 1000,
        note=note,
    )


def bench_cli_verify(database: Database, entries: int) -> Figure:
    """`socflow audit verify` as an operator runs it, when the CLI provides the command."""
    exe = Path(sys.executable).with_name("socflow")
    env = {**os.environ, "SOCFLOW_DATABASE_URL": database.url, "SOCFLOW_DATA_DIR": str(WORK_DIR / "cli-data")}
    unavailable = Figure("`socflow audit verify` (CLI)", 0, None, None, None, None, note="CLI not available")
    if not exe.exists():
        return unavailable
    probe = subprocess.run(
        [exe, "audit", "verify", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        return unavailable
    start = time.perf_counter()
    done = subprocess.run([exe, "audit", "verify"], env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    last = (done.stdout.strip() or done.stderr.strip() or "no output").splitlines()[-1]
    last = re.sub(r"\b[0-9a-f]{16,}\b", "…", last)[:80]  # no hashes: the note stays comparable
    note = f"exit {done.returncode}: {last}" + ("" if done.returncode == 0 else " (CLI reported an error)")
    return _verify_figure("`socflow audit verify` (CLI)", entries, wall, note)
