"""Seed a case tracker database: cases, alerts, observables and a genuine hash-chained audit journal."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import event, insert
from sqlalchemy.orm import DeclarativeBase

from socflow.model.audit import GENESIS_HASH, AuditEntry
from socflow.model.observable import ObservableType, canonical_value
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.migrate import upgrade
from socflow.storage.tables import (
    AlertObservableRow,
    AlertRow,
    AlertTagRow,
    CaseObservableRow,
    CaseRow,
    CaseTagRow,
    ObservableRow,
)

SEED_FORMAT = 1
BATCH = 10_000
SPAN = timedelta(days=365)
ASSIGNEES = tuple(f"analyst{n:02d}" for n in range(1, 21))
ACTORS = (*ASSIGNEES, "system", "playbook:phishing-triage", "playbook:malware-containment")
# fmt: off
TAGS = (
    "phishing", "malware", "ransomware", "bruteforce", "lateral-movement", "exfiltration", "c2", "insider",
    "dlp", "vpn", "edr", "firewall", "mail", "cloud", "aws", "azure", "o365", "windows", "linux", "macos",
    "vip", "pci", "pii", "credential-access", "persistence", "privilege-escalation", "recon", "dos", "web",
    "needs-review",
)
SOURCES = ("sigma", "edr", "mail-gateway", "firewall", "ids")
STATUSES = {
    "new": 8, "triage": 8, "investigating": 12, "containment": 5, "eradication": 3, "recovery": 3,
    "post_incident_review": 2, "closed": 55, "reopened": 4,
}
# fmt: on
SEVERITIES = {"informational": 8, "low": 25, "medium": 37, "high": 20, "critical": 10}
RANK = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4, "informational": 4}
RESOLUTIONS = {"true_positive": 25, "false_positive": 50, "benign": 20, "duplicate": 5}
INCIDENT = {"containment", "eradication", "recovery", "post_incident_review"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Seeded:
    """A seeded database file and what is in it."""

    path: Path
    cases: int
    entries: int
    start: datetime
    end: datetime
    reused: bool
    seconds: float


def ulid(prefix: str, at: datetime, rng: random.Random) -> str:
    """An id like socflow's own, but stamped with `at` so ids sort like the seeded creation times."""
    value = (int(at.timestamp() * 1000) << 80) | rng.getrandbits(80)
    chars = [_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5)]
    return f"{prefix}_{''.join(chars)}"


def observable_count(cases: int) -> int:
    return max(100, min(50_000, cases // 2))


def seeded_ip(n: int) -> str:
    """The IP of seeded observable `n` (every third observable is an IP)."""
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Plan:
    """Deterministic rows for `cases` cases (one alert each) and `entries` journal entries."""

    def __init__(self, cases: int, entries: int, end: datetime) -> None:
        if entries < 2 * cases:
            raise ValueError("the journal needs at least two entries per case (alert + case creation)")
        self.cases, self.entries, self.end = cases, entries, end
        self.start = end - SPAN
        self.rng = random.Random(20261203)
        self.observables = self._observables(observable_count(cases))
        self.case_rows: list[dict[str, Any]] = []
        self.alert_rows: list[dict[str, Any]] = []
        self.case_tags: list[dict[str, Any]] = []
        self.alert_tags: list[dict[str, Any]] = []
        self.case_links: list[dict[str, Any]] = []
        self.tags_of: list[list[str]] = []
        self.alert_links: list[dict[str, Any]] = []
        for k in range(cases):
            self._case_and_alert(k)

    def at(self, position: int) -> datetime:
        return self.start + SPAN * position / self.entries

    def created_position(self, k: int) -> int:
        """Alert k is journalled at this position, its case right after it."""
        return k * self.entries // self.cases

    def _observables(self, count: int) -> list[dict[str, Any]]:
        rows = []
        for n in range(count):
            kind = (ObservableType.IP, ObservableType.DOMAIN, ObservableType.SHA256)[n % 3]
            raw = {
                ObservableType.IP: seeded_ip(n),
                ObservableType.DOMAIN: f"host-{n}.example-{n % 97}.net",
                ObservableType.SHA256: f"{n:064x}",
            }[kind]
            stamp = self.start + SPAN * self.rng.random()
            rows.append(
                {
                    "id": ulid("obs", stamp, self.rng),
                    "type": str(kind),
                    "value": canonical_value(kind, raw),
                    "ioc": n % 10 == 0,
                    "description": "",
                    "tlp": "amber",
                    "sightings": 2,
                    "first_seen": stamp,
                    "last_seen": stamp,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "version": 1,
                }
            )
        return rows

    def _case_and_alert(self, k: int) -> None:
        rng = self.rng
        alert_at = self.at(self.created_position(k))
        created = self.at(self.created_position(k) + 1)
        severity, status = pick(rng, SEVERITIES), pick(rng, STATUSES)
        updated = min(self.end, created + timedelta(seconds=rng.uniform(0, 30 * 86400)))
        closed = status == "closed"
        tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2, 2, 3)))
        title = f"{(tags or ['suspicious'])[0]} activity on host-{rng.randrange(5000):04d}"
        case_id = ulid("case", created, rng)
        self.case_rows.append(
            {
                "id": case_id,
                "title": title,
                "description": "Raised from an alert.",
                "severity": severity,
                "severity_rank": RANK[severity],
                "priority": PRIORITY[severity],
                "tier": rng.choices((1, 2, 3), (6, 3, 1))[0],
                "assignee": None if rng.random() < 0.1 else rng.choice(ASSIGNEES),
                "status": status,
                "resolution": pick(rng, RESOLUTIONS) if closed else None,
                "tlp": "amber",
                "pap": "amber",
                "merged_into_id": None,
                "created_by": rng.choice(ACTORS),
                "created_at": created,
                "updated_at": updated,
                "incident_confirmed_at": updated if status in INCIDENT else None,
                "closed_at": updated if closed else None,
                "version": 1 + rng.randrange(6),
            }
        )
        self.tags_of.append(sorted(tags))
        self.case_tags += [{"case_id": case_id, "tag": tag} for tag in tags]
        observables = rng.sample(self.observables, 2)
        for obs in observables[: rng.randrange(3)]:
            self.case_links.append(
                {"case_id": case_id, "observable_id": obs["id"], "added_by": "system", "added_at": created}
            )
        alert_id = ulid("alert", alert_at, rng)
        self.alert_rows.append(
            {
                "id": alert_id,
                "source": rng.choice(SOURCES),
                "source_ref": f"seed-{k}",
                "title": title,
                "description": "",
                "severity": severity,
                "severity_rank": RANK[severity],
                "status": "resolved" if closed else "in_progress",
                "tlp": "amber",
                "pap": "amber",
                "event_refs": [f"evt-{k}"],
                "first_seen": alert_at,
                "last_seen": alert_at,
                "count": 1,
                "case_id": case_id,
                "created_at": alert_at,
                "updated_at": created,
                "version": 2,
            }
        )
        self.alert_tags += [{"alert_id": alert_id, "tag": tag} for tag in sorted(tags)[:2]]
        self.alert_links += [{"alert_id": alert_id, "observable_id": obs["id"]} for obs in observables]

    def created_entries(self, k: int) -> list[audit.PendingEntry]:
        case, alert = self.case_rows[k], self.alert_rows[k]
        tags = self.tags_of[k]
        alert_view = {
            name: alert[name]
            for name in ("source", "source_ref", "title", "description", "severity", "status", "tlp", "pap")
        } | {
            "status": "new",
            "first_seen": alert["first_seen"].isoformat(),
            "count": 1,
            "case_id": None,
            "last_seen": alert["last_seen"].isoformat(),
            "tags": tags[:2],
            "event_refs": alert["event_refs"],
        }
        case_view = {
            name: case[name]
            for name in ("title", "description", "severity", "priority", "tier", "assignee", "tlp", "pap")
        } | {"status": "new", "resolution": None, "merged_into_id": None, "tags": tags}
        actor = case["created_by"]
        return [
            audit.PendingEntry(
                "system", "alert", alert["id"], "created", {}, alert_view, alert["created_at"]
            ),
            audit.PendingEntry(actor, "case", case["id"], "created", {}, case_view, case["created_at"]),
        ]

    def change_entry(self, position: int, known: int) -> audit.PendingEntry:
        """A later change to a recently created case (mostly) or alert."""
        rng = self.rng
        k = max(0, known - 1 - int(rng.expovariate(1 / 300)))
        at, actor = self.at(position), rng.choice(ACTORS)
        if rng.random() < 0.15:
            alert_id = self.alert_rows[k]["id"]
            if rng.random() < 0.5:
                before, after = {"status": "new"}, {"status": "in_progress", "reason": ""}
                return audit.PendingEntry(actor, "alert", alert_id, "status_changed", before, after, at)
            before, after = {"case_id": None}, {"case_id": self.case_rows[k]["id"]}
            return audit.PendingEntry(actor, "alert", alert_id, "updated", before, after, at)
        case_id = self.case_rows[k]["id"]
        roll = rng.random()
        if roll < 0.45:
            old, new = rng.sample(list(STATUSES), 2)
            before, after, action = (
                {"status": old},
                {"status": new, "reason": "analyst update"},
                "transitioned",
            )
        elif roll < 0.65:
            before, after, action = {"assignee": None}, {"assignee": rng.choice(ASSIGNEES)}, "assigned"
        elif roll < 0.75:
            old, new = rng.sample(ASSIGNEES, 2)
            before, after, action = {"assignee": old}, {"assignee": new}, "reassigned"
        elif roll < 0.85:
            before, after, action = {"tier": 1}, {"tier": 2, "reason": "needs malware analysis"}, "escalated"
        elif roll < 0.95:
            old, new = rng.sample(list(SEVERITIES), 2)
            before, after, action = {"severity": old}, {"severity": new, "priority": PRIORITY[new]}, "updated"
        else:
            obs = rng.choice(self.observables)["id"]
            before, after, action = {}, {"observable_id": obs}, "observable_added"
        return audit.PendingEntry(actor, "case", case_id, action, before, after, at)

    def journal(self) -> Iterator[list[audit.PendingEntry]]:
        """The journal in order, `BATCH` entries at a time."""
        batch: list[audit.PendingEntry] = []
        next_case, position = 0, 0
        while position < self.entries:
            if next_case < self.cases and position == self.created_position(next_case):
                batch += self.created_entries(next_case)
                next_case, position = next_case + 1, position + 2
            else:
                batch.append(self.change_entry(position, next_case))
                position += 1
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _fill(database: Database, plan: Plan, progress: Progress) -> None:
    tables: list[tuple[str, type[DeclarativeBase], list[dict[str, Any]]]] = [
        ("observables", ObservableRow, plan.observables),
        ("cases", CaseRow, plan.case_rows),
        ("case tags", CaseTagRow, plan.case_tags),
        ("case observables", CaseObservableRow, plan.case_links),
        ("alerts", AlertRow, plan.alert_rows),
        ("alert tags", AlertTagRow, plan.alert_tags),
        ("alert observables", AlertObservableRow, plan.alert_links),
    ]
    for label, table, rows in tables:
        task = progress.add_task(label, total=len(rows))
        for chunk in _chunks(rows):
            with database.session() as session:
                session.execute(insert(table), chunk)
            progress.advance(task, len(chunk))
    task = progress.add_task("audit journal (hash-chained)", total=plan.entries)
    for pending in plan.journal():
        with database.session() as session:
            audit.append(session, pending)
        progress.advance(task, len(pending))


def chain_fingerprint() -> str:
    """The hash of a fixed entry: a cached journal chained by an older hash recipe is re-seeded."""
    sample = AuditEntry(
        1, "2026-01-01T00:00:00+00:00", "bench", "case", "c", "created", "{}", "{}", GENESIS_HASH
    )
    return sample.compute_hash()


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".done")


def ensure(work_dir: Path, cases: int, entries: int) -> Seeded:
    """Reuse `cases-<N>.db` when its marker says it was seeded completely with these sizes, else seed it."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"cases-{cases}.db"
    marker = marker_path(path)
    wanted = {"format": SEED_FORMAT, "cases": cases, "entries": entries, "chain": chain_fingerprint()}
    if marker.exists():
        recorded = json.loads(marker.read_text())
        if {key: recorded.get(key) for key in wanted} == wanted and path.exists():
            start, end = (datetime.fromisoformat(recorded[key]) for key in ("start", "end"))
            return Seeded(path, cases, entries, start, end, True, recorded["seconds"])
    for stale in (marker, path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    began = time.perf_counter()
    end = datetime.now(UTC).replace(microsecond=0)
    database = Database(f"sqlite:///{path}")

    @event.listens_for(database.engine, "connect")
    def _big_cache(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA cache_size=-262144")  # seeding only: 256 MiB page cache

    upgrade(database)
    columns = (TextColumn("{task.description:<30}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        plan_task = progress.add_task("planning rows", total=None)
        plan = Plan(cases, entries, end)
        progress.update(plan_task, total=1, completed=1)
        _fill(database, plan, progress)
    raw = database.engine.raw_connection()
    try:
        # Statistics, as the connections' PRAGMA optimize leaves them in a database that grew by use.
        raw.driver_connection.execute("ANALYZE")
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    database.dispose()
    seconds = time.perf_counter() - began
    recorded = wanted | {"start": plan.start.isoformat(), "end": end.isoformat(), "seconds": seconds}
    marker.write_text(json.dumps(recorded, indent=2))
    return Seeded(path, cases, entries, plan.start, end, False, seconds)
