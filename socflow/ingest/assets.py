"""The asset inventory service: hosts, their address history, imports, and point-in-time lookups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from socflow.errors import Conflict, Issue, NotFound, ValidationFailed
from socflow.ingest.asset_input import AssetInput, canonical_address, host_key, parse_csv, parse_json
from socflow.model.asset import AddressKind, Criticality
from socflow.model.ids import new_id
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.pagination import Page, paginate
from socflow.storage.tables_assets import AssetAddressRow, AssetRow

OBJECT_TYPE: Final = "asset"
_FIELDS: Final = ("name", "domain", "owner", "criticality", "description", "tags")
MAX_ACTOR: Final = 200


def _now() -> datetime:
    return datetime.now(UTC)


def _snapshot(row: AssetRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _FIELDS}


@dataclass
class _Work:
    """One transaction and the journal entries it writes on commit (same contract as the case tracker's)."""

    session: Session
    actor: str
    pending: list[audit.PendingEntry] = field(default_factory=list)

    def record(self, object_id: str, action: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        entry = audit.PendingEntry(self.actor, OBJECT_TYPE, object_id, action, before, after, _now())
        self.pending.append(entry)


@dataclass(frozen=True)
class ImportReport:
    """What an import did; an import with any invalid row is refused whole (ValidationFailed)."""

    created: int
    updated: int
    unchanged: int
    addresses_assigned: int

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _require_actor(actor: str) -> str:
    text = (actor or "").strip()
    if not text or len(text) > MAX_ACTOR:
        raise ValidationFailed(
            f"every change needs an actor of 1 to {MAX_ACTOR} characters", issues=[Issue("actor", "1 to 200")]
        )
    return text


def _aware(value: datetime, path: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed(f"{path} needs a time zone", issues=[Issue(path, "a time without a zone")])
    return value.astimezone(UTC)


class AssetService:
    """Create, change, find and import assets; every change is journaled under its actor."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def _work(self, actor: str) -> Iterator[_Work]:
        with self.database.session() as session:
            work = _Work(session, _require_actor(actor))
            yield work
            session.flush()
            audit.append(session, work.pending)

    # -- reading -------------------------------------------------------------------------------

    def get(self, asset_id: str) -> AssetRow:
        with self.database.session(write=False) as session:
            row = session.get(AssetRow, asset_id)
            if row is None:
                raise NotFound(
                    f"asset {asset_id!r} does not exist", details={"object": "asset", "id": asset_id}
                )
            return row

    def find(self, host: str) -> AssetRow | None:
        """The asset named `host` (any spelling: FQDN, NetBIOS, upper case)."""
        name, domain = host_key(host)
        with self.database.session(write=False) as session:
            stmt = select(AssetRow).where(AssetRow.name == name)
            if domain:
                stmt = stmt.where(AssetRow.domain == domain)
            rows = list(session.execute(stmt.order_by(AssetRow.id)).scalars())
            return rows[0] if rows else None

    def search(
        self,
        *,
        name: str | None = None,
        criticality: Criticality | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[AssetRow]:
        """Assets by name; `name` matches the start of the canonical name."""
        stmt = select(AssetRow)
        if name:
            prefix = name.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(AssetRow.name.like(prefix + "%", escape="\\"))
        if criticality is not None:
            stmt = stmt.where(AssetRow.criticality == criticality.value)
        with self.database.session(write=False) as session:
            return paginate(
                session,
                stmt,
                sort_name="name",
                sort_column=AssetRow.name,
                id_column=AssetRow.id,
                descending=False,
                limit=limit,
                cursor=cursor,
            )

    def lookup(self, kind: AddressKind, value: str, at: datetime | None = None) -> AssetRow | None:
        """The asset that held the address at `at` (now when None)."""
        try:
            address = canonical_address(kind, value)
        except ValueError:
            raise ValidationFailed(
                f"{value!r} is not a valid {kind.value}", issues=[Issue(kind.value, "not valid")]
            ) from None
        moment = _aware(at, "at") if at is not None else _now()
        with self.database.session(write=False) as session:
            stmt = (
                select(AssetRow)
                .join(AssetAddressRow, AssetAddressRow.asset_id == AssetRow.id)
                .where(
                    AssetAddressRow.kind == kind.value,
                    AssetAddressRow.value == address,
                    AssetAddressRow.valid_from <= moment,
                    or_(AssetAddressRow.valid_to.is_(None), AssetAddressRow.valid_to > moment),
                )
                .order_by(AssetAddressRow.valid_from.desc())
                .limit(1)
            )
            return session.execute(stmt).scalars().first()

    # -- changing ------------------------------------------------------------------------------

    def create(self, actor: str, item: AssetInput) -> AssetRow:
        with self._work(actor) as work:
            row = self._create(work, item)
        return self.get(row.id)

    def update(
        self,
        actor: str,
        asset_id: str,
        *,
        owner: str | None = None,
        criticality: Criticality | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
        expected_version: int | None = None,
    ) -> AssetRow:
        with self._work(actor) as work:
            row = work.session.get(AssetRow, asset_id, with_for_update=True)
            if row is None:
                raise NotFound(
                    f"asset {asset_id!r} does not exist", details={"object": "asset", "id": asset_id}
                )
            if expected_version is not None and row.version != expected_version:
                raise Conflict(
                    f"asset {asset_id!r} is at version {row.version}, not {expected_version}",
                    details={"current_version": row.version, "expected_version": expected_version},
                )
            changes: dict[str, Any] = {}
            if owner is not None:
                changes["owner"] = owner.strip()
            if criticality is not None:
                changes["criticality"] = criticality.value
            if description is not None:
                changes["description"] = description
            if tags is not None:
                changes["tags"] = list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))
            self._apply(work, row, changes)
        return self.get(asset_id)

    def assign_address(
        self, actor: str, asset_id: str, kind: AddressKind, value: str, at: datetime | None = None
    ) -> AssetRow:
        """The asset holds the address from `at` on; whoever held it then stops holding it at `at`."""
        try:
            address = canonical_address(kind, value)
        except ValueError:
            raise ValidationFailed(
                f"{value!r} is not a valid {kind.value}", issues=[Issue("value", f"not a valid {kind.value}")]
            ) from None
        moment = _aware(at, "at") if at is not None else _now()
        with self._work(actor) as work:
            row = work.session.get(AssetRow, asset_id, with_for_update=True)
            if row is None:
                raise NotFound(
                    f"asset {asset_id!r} does not exist", details={"object": "asset", "id": asset_id}
                )
            self._assign(work, row, kind, address, moment)
        return self.get(asset_id)

    def import_csv(self, actor: str, text: str) -> ImportReport:
        """Create or update every asset of a CSV (see asset_input.parse_csv); all rows or none."""
        return self._import(actor, parse_csv(text))

    def import_json(self, actor: str, text: str) -> ImportReport:
        return self._import(actor, parse_json(text))

    # -- internals -----------------------------------------------------------------------------

    def _create(self, work: _Work, item: AssetInput) -> AssetRow:
        existing = work.session.execute(
            select(AssetRow.id).where(AssetRow.name == item.name, AssetRow.domain == item.domain)
        ).scalar_one_or_none()
        if existing is not None:
            host = f"{item.name}.{item.domain}" if item.domain else item.name
            raise Conflict(f"asset {host!r} already exists as {existing}", details={"id": existing})
        now = _now()
        row = AssetRow(
            id=new_id("asset"),
            name=item.name,
            domain=item.domain,
            owner=item.owner,
            criticality=item.criticality.value,
            description=item.description,
            tags=list(item.tags),
            created_at=now,
            updated_at=now,
        )
        work.session.add(row)
        work.session.flush()
        work.record(row.id, "created", {}, _snapshot(row))
        self._assign_all(work, row, item)
        return row

    def _apply(self, work: _Work, row: AssetRow, changes: dict[str, Any]) -> bool:
        before = _snapshot(row)
        changed = {key: value for key, value in changes.items() if before.get(key) != value}
        if not changed:
            return False
        for key, value in changed.items():
            setattr(row, key, value)
        row.updated_at = _now()
        work.record(row.id, "updated", {key: before[key] for key in changed}, changed)
        return True

    def _assign_all(self, work: _Work, row: AssetRow, item: AssetInput) -> int:
        moment = item.valid_from or _now()
        count = 0
        for kind, values in ((AddressKind.IP, item.ips), (AddressKind.MAC, item.macs)):
            for address in values:
                count += self._assign(work, row, kind, address, moment)
        return count

    def _assign(self, work: _Work, row: AssetRow, kind: AddressKind, address: str, at: datetime) -> int:
        """Insert [at, next holder's start) into the address's history; 0 when it is already so."""
        session = work.session
        history = list(
            session.execute(
                select(AssetAddressRow)
                .where(AssetAddressRow.kind == kind.value, AssetAddressRow.value == address)
                .order_by(AssetAddressRow.valid_from)
                .with_for_update()
            ).scalars()
        )
        covering = [
            span
            for span in history
            if span.valid_from <= at and (span.valid_to is None or span.valid_to > at)
        ]
        if covering and covering[0].asset_id == row.id:
            return 0
        later = [span.valid_from for span in history if span.valid_from > at]
        for span in covering:
            work.record(
                span.asset_id,
                "address_released",
                {"kind": kind.value, "value": address, "valid_to": _iso(span.valid_to)},
                {
                    "kind": kind.value,
                    "value": address,
                    "valid_to": _iso(at),
                    "reason": f"assigned to {row.id}",
                },
            )
            if span.valid_from == at:
                session.delete(span)
            else:
                span.valid_to = at
        valid_to = min(later) if later else None
        session.add(
            AssetAddressRow(asset_id=row.id, kind=kind.value, value=address, valid_from=at, valid_to=valid_to)
        )
        work.record(
            row.id,
            "address_assigned",
            {},
            {"kind": kind.value, "value": address, "valid_from": _iso(at), "valid_to": _iso(valid_to)},
        )
        session.flush()
        return 1

    def _import(self, actor: str, items: list[AssetInput]) -> ImportReport:
        created = updated = unchanged = assigned = 0
        with self._work(actor) as work:
            for item in items:
                row = work.session.execute(
                    select(AssetRow).where(AssetRow.name == item.name, AssetRow.domain == item.domain)
                ).scalar_one_or_none()
                if row is None:
                    row = self._create(work, item)
                    created += 1
                    assigned += len(item.ips) + len(item.macs)
                    continue
                # Only the columns the file gave are changed: a file of IPs alone keeps owners as they are.
                changes: dict[str, Any] = {}
                for key in ("owner", "criticality", "description", "tags"):
                    if key in item.present:
                        value = getattr(item, key)
                        changes[key] = list(value) if isinstance(value, tuple) else str(value)
                changed = self._apply(work, row, changes)
                moved = self._assign_all(work, row, item)
                assigned += moved
                if changed or moved:
                    updated += 1
                else:
                    unchanged += 1
        return ImportReport(created, updated, unchanged, assigned)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()
