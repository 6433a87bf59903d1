"""Alerts: idempotent intake by (source, source_ref), status moves, and linking to cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from socflow.cases.listing import ListQuery, SortField, apply_common, sort_column
from socflow.cases.observables import ObservableInput, parse_observables, sight
from socflow.cases.uow import (
    UnitOfWork,
    check_version,
    diff,
    fetch,
    now,
    require_aware,
    snapshot,
    unit_of_work,
)
from socflow.errors import DuplicateKey, Issue, ValidationFailed
from socflow.model.ids import new_id
from socflow.model.lifecycle import AlertStatus, check_alert_transition
from socflow.model.severity import PAP, TLP, Severity
from socflow.model.tags import clean_tags
from socflow.storage.db import Database
from socflow.storage.pagination import Page, paginate
from socflow.storage.tables import AlertObservableRow, AlertRow, AlertTagRow

AUDITED = (
    "source",
    "source_ref",
    "title",
    "description",
    "severity",
    "status",
    "tlp",
    "pap",
    "first_seen",
    "last_seen",
    "count",
    "case_id",
    "tags",
    "event_refs",
)


@dataclass(frozen=True)
class AlertInput:
    source: str
    source_ref: str
    title: str
    severity: Severity
    description: str = ""
    tlp: TLP = TLP.AMBER
    pap: PAP = PAP.AMBER
    tags: Sequence[str] = ()
    observables: Sequence[ObservableInput] = ()
    event_refs: Sequence[str] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None


def alert_tags(row: AlertRow) -> list[str]:
    return sorted(tag.tag for tag in row.tag_rows)


def _audit_view(row: AlertRow) -> dict[str, Any]:
    view = snapshot(row, tuple(name for name in AUDITED if name != "tags"))
    view["tags"] = alert_tags(row)
    return view


def _check_text(value: str, path: str, limit: int) -> None:
    if not value.strip() or len(value) > limit:
        raise ValidationFailed(
            f"{path} must be 1 to {limit} characters", issues=[Issue(path, f"1 to {limit} characters")]
        )


def link_observables(work: UnitOfWork, row: AlertRow, items: Sequence[ObservableInput]) -> None:
    linked = {link.observable_id for link in row.observable_links}
    for item in sorted(items, key=lambda entry: (entry.type, entry.value)):  # one lock order: no deadlock
        observable = sight(work, item)
        if observable.id not in linked:
            row.observable_links.append(
                AlertObservableRow(observable_id=observable.id, observable=observable)
            )
            linked.add(observable.id)


class AlertService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def ingest(self, actor: str, data: AlertInput) -> tuple[AlertRow, bool]:
        """Create the alert, or update the one the source already sent; True when it is new."""
        _check_text(data.source, "source", 200)
        _check_text(data.source_ref, "source_ref", 200)
        _check_text(data.title, "title", 500)
        observables = parse_observables(data.observables)
        tags = clean_tags(list(data.tags))
        stamp = now()
        first_seen = require_aware(data.first_seen, "first_seen") or stamp
        last_seen = require_aware(data.last_seen, "last_seen") or first_seen
        if last_seen < first_seen:
            raise ValidationFailed(
                "last_seen is before first_seen", issues=[Issue("last_seen", "before first_seen")]
            )
        try:
            return self._store(actor, data, observables, tags, stamp, first_seen, last_seen)
        except DuplicateKey:
            # Another writer created the same alert (or one of its observables) at the same instant;
            # on PostgreSQL our insert lost the race. Once more, and it finds their row and updates it.
            return self._store(actor, data, observables, tags, stamp, first_seen, last_seen)

    def _store(
        self,
        actor: str,
        data: AlertInput,
        observables: Sequence[ObservableInput],
        tags: list[str],
        stamp: datetime,
        first_seen: datetime,
        last_seen: datetime,
    ) -> tuple[AlertRow, bool]:
        with unit_of_work(self.database, actor) as work:
            row = work.session.execute(
                select(AlertRow)
                .where(AlertRow.source == data.source, AlertRow.source_ref == data.source_ref)
                .with_for_update()  # a repeated send waits for the one in flight, then counts on top of it
            ).scalar_one_or_none()
            if row is None:
                row = AlertRow(
                    id=new_id("alert"),
                    source=data.source,
                    source_ref=data.source_ref,
                    title=data.title,
                    description=data.description,
                    severity=str(data.severity),
                    severity_rank=data.severity.rank,
                    status=str(AlertStatus.NEW),
                    tlp=str(data.tlp),
                    pap=str(data.pap),
                    event_refs=list(dict.fromkeys(data.event_refs)),
                    first_seen=first_seen,
                    last_seen=last_seen,
                    count=1,
                    case_id=None,
                    created_at=stamp,
                    updated_at=stamp,
                    tag_rows=[AlertTagRow(tag=tag) for tag in tags],
                    observable_links=[],  # set, not defaulted: the returned row is read after its session
                )
                work.session.add(row)
                link_observables(work, row, observables)
                work.record("alert", row.id, "created", after=_audit_view(row))
                return row, True
            before = _audit_view(row)
            row.title, row.description = data.title, data.description or row.description
            if data.severity.rank > row.severity_rank:
                row.severity, row.severity_rank = str(data.severity), data.severity.rank
            row.first_seen = min(row.first_seen, first_seen)
            row.last_seen = max(row.last_seen, last_seen)
            row.count += 1
            row.event_refs = list(dict.fromkeys([*row.event_refs, *data.event_refs]))
            known = set(alert_tags(row))
            row.tag_rows.extend(AlertTagRow(tag=tag) for tag in tags if tag not in known)
            link_observables(work, row, observables)
            row.updated_at = stamp
            old, new = diff(before, _audit_view(row))
            work.record("alert", row.id, "updated", before=old, after=new)
            return row, False

    def get(self, alert_id: str) -> AlertRow:
        with self.database.session(write=False) as session:
            row: AlertRow = fetch(session, AlertRow, alert_id, "alert")
            return row

    def search(self, query: ListQuery) -> Page[AlertRow]:
        stmt = apply_common(
            select(AlertRow),
            query,
            status_column=AlertRow.status,
            severity_column=AlertRow.severity_rank,
            created_column=AlertRow.created_at,
            tag_table=AlertTagRow,
            tag_owner_column=AlertTagRow.alert_id,
            id_column=AlertRow.id,
        )
        if source := query.extra.get("source"):
            stmt = stmt.where(AlertRow.source == source)
        if case_id := query.extra.get("case_id"):
            stmt = stmt.where(AlertRow.case_id == case_id)
        column = sort_column(
            query,
            {
                SortField.CREATED_AT: AlertRow.created_at,
                SortField.UPDATED_AT: AlertRow.updated_at,
                SortField.SEVERITY: AlertRow.severity_rank,
                SortField.LAST_SEEN: AlertRow.last_seen,
            },
            "alert",
        )
        with self.database.session(write=False) as session:
            return paginate(
                session,
                stmt,
                sort_name=str(query.sort),
                sort_column=column,
                id_column=AlertRow.id,
                descending=query.descending,
                limit=query.limit,
                cursor=query.cursor,
            )

    def update(
        self,
        actor: str,
        alert_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        severity: Severity | None = None,
        tlp: TLP | None = None,
        pap: PAP | None = None,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        expected_version: int | None = None,
    ) -> AlertRow:
        with unit_of_work(self.database, actor) as work:
            row: AlertRow = work.get(AlertRow, alert_id, "alert")
            check_version(row, expected_version, "alert")
            before = _audit_view(row)
            if title is not None:
                _check_text(title, "title", 500)
                row.title = title
            if description is not None:
                row.description = description
            if severity is not None:
                row.severity, row.severity_rank = str(severity), severity.rank
            if tlp is not None:
                row.tlp = str(tlp)
            if pap is not None:
                row.pap = str(pap)
            drop = set(clean_tags(list(remove_tags), "remove_tags"))
            row.tag_rows = [tag for tag in row.tag_rows if tag.tag not in drop]
            known = set(alert_tags(row))
            row.tag_rows.extend(
                AlertTagRow(tag=t) for t in clean_tags(list(add_tags), "add_tags") if t not in known
            )
            old, new = diff(before, _audit_view(row))
            if new:
                row.updated_at = now()
                work.record("alert", row.id, "updated", before=old, after=new)
            return row

    def set_status(
        self,
        actor: str,
        alert_id: str,
        status: AlertStatus,
        reason: str = "",
        expected_version: int | None = None,
    ) -> AlertRow:
        with unit_of_work(self.database, actor) as work:
            row: AlertRow = work.get(AlertRow, alert_id, "alert")
            check_version(row, expected_version, "alert")
            check_alert_transition(AlertStatus(row.status), status)
            before = row.status
            row.status, row.updated_at = str(status), now()
            work.record(
                "alert",
                row.id,
                "status_changed",
                {"status": before},
                {"status": row.status, "reason": reason},
            )
            return row
