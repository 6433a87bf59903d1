"""The data a triggered run sees: plain dicts of the alert, case or task as stored when it is matched."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from socflow.cases.uow import plain
from socflow.storage.tables import (
    AlertObservableRow,
    AlertRow,
    AlertTagRow,
    CaseObservableRow,
    CaseRow,
    CaseTagRow,
    ObservableRow,
    TaskRow,
)

_ALERT_FIELDS: Final = (
    "id",
    "source",
    "source_ref",
    "title",
    "description",
    "severity",
    "status",
    "tlp",
    "pap",
    "event_refs",
    "first_seen",
    "last_seen",
    "count",
    "case_id",
    "created_at",
    "updated_at",
)
_CASE_FIELDS: Final = (
    "id",
    "title",
    "description",
    "severity",
    "priority",
    "tier",
    "assignee",
    "status",
    "resolution",
    "tlp",
    "pap",
    "merged_into_id",
    "created_by",
    "created_at",
    "updated_at",
    "closed_at",
)
_TASK_FIELDS: Final = (
    "id",
    "case_id",
    "title",
    "instructions",
    "checklist",
    "assignee",
    "status",
    "due_at",
    "created_at",
    "completed_at",
)


def _row(session: Session, table: Any, object_id: str, names: tuple[str, ...]) -> dict[str, Any] | None:
    """One row's fields by primary key, through Core: no identity map, no relationship loading."""
    found = session.execute(select(*(table.c[n] for n in names)).where(table.c.id == object_id)).first()
    return None if found is None else {name: plain(value) for name, value in zip(names, found, strict=True)}


def _tags(session: Session, column: Any, owner: Any, object_id: str) -> list[str]:
    return sorted(session.scalars(select(column).where(owner == object_id)))


def _observables(session: Session, link: Any, owner: Any, object_id: str) -> list[dict[str, Any]]:
    query = (
        select(ObservableRow.type, ObservableRow.value)
        .join(link, link.observable_id == ObservableRow.id)
        .where(owner == object_id)
        .order_by(ObservableRow.type, ObservableRow.value)
    )
    return [{"type": kind, "value": value} for kind, value in session.execute(query)]


def alert_view(session: Session, alert_id: str) -> dict[str, Any] | None:
    view = _row(session, AlertRow.__table__, alert_id, _ALERT_FIELDS)
    if view is not None:
        view["tags"] = _tags(session, AlertTagRow.tag, AlertTagRow.alert_id, alert_id)
        view["observables"] = _observables(session, AlertObservableRow, AlertObservableRow.alert_id, alert_id)
    return view


def case_view(session: Session, case_id: str) -> dict[str, Any] | None:
    view = _row(session, CaseRow.__table__, case_id, _CASE_FIELDS)
    if view is not None:
        view["tags"] = _tags(session, CaseTagRow.tag, CaseTagRow.case_id, case_id)
        view["observables"] = _observables(session, CaseObservableRow, CaseObservableRow.case_id, case_id)
    return view


def task_view(session: Session, task_id: str) -> dict[str, Any] | None:
    return _row(session, TaskRow.__table__, task_id, _TASK_FIELDS)
