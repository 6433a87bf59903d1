"""Observables: one row per canonical (type, value), shared by every alert and case that saw it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from socflow.cases.uow import UnitOfWork, check_version, diff, fetch, now, snapshot, unit_of_work
from socflow.errors import Issue, ValidationFailed
from socflow.model.ids import new_id
from socflow.model.observable import ObservableType, canonical_value
from socflow.model.severity import TLP
from socflow.storage.db import Database
from socflow.storage.pagination import Page, paginate
from socflow.storage.tables import CaseObservableRow, ObservableRow

AUDITED = ("type", "value", "ioc", "description", "tlp", "sightings")


@dataclass(frozen=True)
class ObservableInput:
    type: ObservableType
    value: str
    ioc: bool = False
    description: str = ""


def parse_observables(raw: Sequence[ObservableInput], path: str = "observables") -> list[ObservableInput]:
    """Canonicalise every observable, reporting all invalid ones at once."""
    issues: list[Issue] = []
    result: list[ObservableInput] = []
    for index, item in enumerate(raw):
        try:
            value = canonical_value(item.type, item.value, path=f"{path}[{index}].value")
        except ValidationFailed as exc:
            issues.extend(exc.issues)
            continue
        result.append(ObservableInput(item.type, value, item.ioc, item.description))
    if issues:
        raise ValidationFailed("; ".join(issue.message for issue in issues), issues=issues)
    return result


def _created_here(work: UnitOfWork, item: ObservableInput) -> ObservableRow | None:
    """The observable this unit of work created and has not flushed yet, if it is this one."""
    for pending in work.session.new:
        if isinstance(pending, ObservableRow) and pending.type == item.type and pending.value == item.value:
            return pending
    return None


def sight(work: UnitOfWork, item: ObservableInput) -> ObservableRow:
    """Find or create the observable and count one more sighting of it."""
    stored = (
        select(ObservableRow)
        .where(ObservableRow.type == item.type, ObservableRow.value == item.value)
        .with_for_update()  # concurrent sightings wait for each other instead of failing on the version
    )
    row = _created_here(work, item)
    if row is None:
        # Without autoflush: the unit of work flushes once when it ends instead of before every
        # observable (a flush costs more than the query); only rows it created are still unflushed.
        with work.session.no_autoflush:
            row = work.session.execute(stored).scalar_one_or_none()
    stamp = now()
    if row is None:
        row = ObservableRow(
            id=new_id("obs"),
            type=str(item.type),
            value=item.value,
            ioc=item.ioc,
            description=item.description,
            tlp=str(TLP.AMBER),
            sightings=1,
            first_seen=stamp,
            last_seen=stamp,
            created_at=stamp,
            updated_at=stamp,
        )
        work.session.add(row)
        work.record("observable", row.id, "created", after=snapshot(row, AUDITED))
        return row
    before = {"sightings": row.sightings, "ioc": row.ioc}
    row.sightings += 1
    row.last_seen = stamp
    row.ioc = row.ioc or item.ioc
    work.record(
        "observable", row.id, "sighted", before=before, after={"sightings": row.sightings, "ioc": row.ioc}
    )
    return row


def case_counts(session: Session, observable_ids: Sequence[str]) -> dict[str, int]:
    """How many cases link each observable."""
    if not observable_ids:
        return {}
    stmt = (
        select(CaseObservableRow.observable_id, func.count(CaseObservableRow.case_id))
        .where(CaseObservableRow.observable_id.in_(observable_ids))
        .group_by(CaseObservableRow.observable_id)
    )
    return {row[0]: int(row[1]) for row in session.execute(stmt)}


class ObservableService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, observable_id: str) -> tuple[ObservableRow, list[str]]:
        """The observable and the ids of every case it appears in."""
        with self.database.session(write=False) as session:
            row = fetch(session, ObservableRow, observable_id, "observable")
            cases = session.execute(
                select(CaseObservableRow.case_id).where(CaseObservableRow.observable_id == observable_id)
            ).scalars()
            return row, sorted(cases)

    def search(
        self,
        *,
        type: ObservableType | None = None,
        value: str | None = None,
        ioc: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ObservableRow]:
        stmt: Select[tuple[ObservableRow]] = select(ObservableRow)
        if type is not None:
            stmt = stmt.where(ObservableRow.type == type)
            if value is not None:
                stmt = stmt.where(ObservableRow.value == canonical_value(type, value))
        elif value is not None:
            stmt = stmt.where(ObservableRow.value == value.strip())
        if ioc is not None:
            stmt = stmt.where(ObservableRow.ioc.is_(ioc))
        with self.database.session(write=False) as session:
            return paginate(
                session,
                stmt,
                sort_name="last_seen",
                sort_column=ObservableRow.last_seen,
                id_column=ObservableRow.id,
                descending=True,
                limit=limit,
                cursor=cursor,
            )

    def update(
        self,
        actor: str,
        observable_id: str,
        *,
        ioc: bool | None = None,
        description: str | None = None,
        tlp: TLP | None = None,
        expected_version: int | None = None,
    ) -> ObservableRow:
        with unit_of_work(self.database, actor) as work:
            row: ObservableRow = work.get(ObservableRow, observable_id, "observable")
            check_version(row, expected_version, "observable")
            before = snapshot(row, AUDITED)
            if ioc is not None:
                row.ioc = ioc
            if description is not None:
                row.description = description
            if tlp is not None:
                row.tlp = str(tlp)
            old, new = diff(before, snapshot(row, AUDITED))
            if new:
                row.updated_at = now()
                work.record("observable", row.id, "updated", before=old, after=new)
            return row
