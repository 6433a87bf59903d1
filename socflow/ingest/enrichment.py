"""Asset enrichment: what an event lacks (IP -> host, host -> MAC, owner, criticality) as of its time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select

from socflow.normalize.ecs import ECSDocument, add_related
from socflow.storage.db import Database
from socflow.storage.tables_assets import AssetAddressRow, AssetRow

DEFAULT_REFRESH_SECONDS: Final = 30.0
_OPEN: Final = math.inf

Facts = dict[str, str]  # what goes under socflow.asset.<role>: id, name, domain, owner, criticality
Span = tuple[float, float, str]  # (valid_from, valid_to, asset id or address), epoch seconds


@dataclass(frozen=True)
class Snapshot:
    """The inventory in memory: who held each address when, and each asset's own addresses."""

    facts: dict[str, Facts] = field(default_factory=dict)  # asset id -> facts
    by_name: dict[str, list[str]] = field(default_factory=dict)  # host name -> asset ids
    holders: dict[tuple[str, str], list[Span]] = field(default_factory=dict)  # (kind, value) -> spans
    held: dict[tuple[str, str], list[Span]] = field(default_factory=dict)  # (asset id, kind) -> spans

    def holder(self, kind: str, value: Any, at: float) -> str | None:
        """The asset that held the address at `at`."""
        spans = self.holders.get((kind, value)) if isinstance(value, str) else None
        return _at(spans, at) if spans else None

    def addresses(self, asset_id: str, kind: str, at: Callable[[], float]) -> list[str]:
        """The addresses of `kind` the asset held at the moment `at()` (asked only if it has any)."""
        spans = self.held.get((asset_id, kind))
        if not spans:
            return []
        moment = at()
        return [value for start, end, value in spans if start <= moment < end]

    def named(self, name: Any, domain: Any) -> str | None:
        """The asset called `name` (in `domain` when the event gives one; else only when unambiguous)."""
        if not isinstance(name, str):
            return None
        ids = self.by_name.get(name.lower())
        if not ids:
            return None
        if isinstance(domain, str) and domain:
            matching = [asset for asset in ids if self.facts[asset].get("domain") == domain.lower()]
            return matching[0] if len(matching) == 1 else None
        return ids[0] if len(ids) == 1 else None


def _at(spans: list[Span], at: float) -> str | None:
    for start, end, value in reversed(spans):  # sorted by start; few spans per address
        if start <= at:
            return value if at < end else None
    return None


def _epoch(moment: datetime | None) -> float:
    return _OPEN if moment is None else moment.timestamp()


def load_snapshot(database: Database) -> Snapshot:
    """Read the whole inventory (two queries); it is small next to the event stream it enriches."""
    snapshot = Snapshot()
    with database.session(write=False) as session:
        for row in session.execute(select(AssetRow)).scalars():
            facts = {"id": row.id, "name": row.name, "criticality": row.criticality}
            if row.domain:
                facts["domain"] = row.domain
            if row.owner:
                facts["owner"] = row.owner
            snapshot.facts[row.id] = facts
            snapshot.by_name.setdefault(row.name, []).append(row.id)
        stmt = select(AssetAddressRow).order_by(AssetAddressRow.valid_from, AssetAddressRow.id)
        for span in session.execute(stmt).scalars():
            start, end = _epoch(span.valid_from), _epoch(span.valid_to)
            snapshot.holders.setdefault((span.kind, span.value), []).append((start, end, span.asset_id))
            snapshot.held.setdefault((span.asset_id, span.kind), []).append((start, end, span.value))
    return snapshot


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _values(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else (value,)


class _Clock:
    """The event's time in epoch seconds, parsed once and only when a lookup needs it."""

    def __init__(self, doc: ECSDocument) -> None:
        self._doc = doc
        self._value: float | None = None

    def __call__(self) -> float:
        if self._value is None:
            stamp = self._doc.get("@timestamp")
            try:
                moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            self._value = moment.timestamp() if moment is not None else time.time()
        return self._value


class AssetEnricher:
    """`enrich(docs)` for the intake pipeline's hook; the inventory is re-read every `refresh_seconds`."""

    def __init__(
        self,
        database: Database,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._snapshot = Snapshot()
        self._loaded_at: float | None = None

    def refresh(self) -> Snapshot:
        """Re-read the inventory now (the swap is one assignment: readers see the old or the new)."""
        self._snapshot = load_snapshot(self.database)
        self._loaded_at = self._monotonic()
        return self._snapshot

    def snapshot(self) -> Snapshot:
        if self._loaded_at is None or self._monotonic() - self._loaded_at >= self.refresh_seconds:
            return self.refresh()
        return self._snapshot

    def enrich(self, docs: list[ECSDocument]) -> None:
        snapshot = self.snapshot()
        if not snapshot.facts:
            return
        for doc in docs:
            clock = _Clock(doc)
            _enrich_host(snapshot, doc, clock)
            for role in ("source", "destination"):
                _enrich_peer(snapshot, doc, role, clock)


def _mark(doc: ECSDocument, role: str, facts: Facts) -> None:
    doc.setdefault("socflow", {}).setdefault("asset", {})[role] = dict(facts)
    add_related(doc, "hosts", facts["name"])


def _enrich_host(snapshot: Snapshot, doc: ECSDocument, clock: _Clock) -> None:
    host = doc.get("host")
    if not isinstance(host, dict) or not host:
        return
    asset = snapshot.named(host.get("name"), host.get("domain"))
    for kind in ("ip", "mac"):
        for value in _values(host.get(kind)) if asset is None else ():
            asset = snapshot.holder(kind, value, clock())
            if asset is not None:
                break
    if asset is None:
        return
    facts = snapshot.facts[asset]
    if not host.get("name"):
        host["name"] = facts["name"]
    if not host.get("domain") and "domain" in facts:
        host["domain"] = facts["domain"]
    for kind in ("mac", "ip"):
        if not host.get(kind):
            held = snapshot.addresses(asset, kind, clock)
            if held:
                host[kind] = held
    _mark(doc, "host", facts)


def _enrich_peer(snapshot: Snapshot, doc: ECSDocument, role: str, clock: _Clock) -> None:
    side = doc.get(role)
    if not isinstance(side, dict):
        return
    address = _first(side.get("ip"))
    asset = snapshot.holder("ip", address, clock()) if address else None
    if asset is None:
        return
    facts = snapshot.facts[asset]
    if not side.get("domain"):
        side["domain"] = f"{facts['name']}.{facts['domain']}" if "domain" in facts else facts["name"]
    if not side.get("mac"):
        macs = snapshot.addresses(asset, "mac", clock)
        if macs:
            side["mac"] = macs[0]
    _mark(doc, role, facts)
