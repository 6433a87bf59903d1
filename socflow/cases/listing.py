"""Filters and sort orders shared by the alert and case listings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import InstrumentedAttribute

from socflow.errors import Issue, ValidationFailed
from socflow.model.severity import Severity


class SortField(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SEVERITY = "severity"
    PRIORITY = "priority"
    LAST_SEEN = "last_seen"


@dataclass(frozen=True)
class ListQuery:
    """What every listing accepts: filters, a time range on creation, sort, page size and cursor."""

    status: Sequence[str] = ()
    severity: Sequence[Severity] = ()
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: SortField = SortField.CREATED_AT
    descending: bool = True
    limit: int = 50
    cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_range(query: ListQuery) -> None:
    for path in ("created_from", "created_to"):
        value = getattr(query, path)
        if value is not None and value.tzinfo is None:  # refused here, not deep in the driver
            raise ValidationFailed(f"{path} needs a time zone", issues=[Issue(path, "needs a time zone")])
    if query.created_from and query.created_to and query.created_from > query.created_to:
        raise ValidationFailed(
            "created_from is after created_to", issues=[Issue("created_from", "must not be after created_to")]
        )


def apply_common(
    stmt: Select[Any],
    query: ListQuery,
    *,
    status_column: InstrumentedAttribute[Any],
    severity_column: InstrumentedAttribute[Any],
    created_column: InstrumentedAttribute[Any],
    tag_table: Any,
    tag_owner_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
) -> Select[Any]:
    check_range(query)
    if query.status:
        stmt = stmt.where(status_column.in_([str(s) for s in query.status]))
    if query.severity:
        stmt = stmt.where(severity_column.in_([Severity(s).rank for s in query.severity]))
    if query.tag:
        tag = query.tag.strip().lower()
        stmt = stmt.where(
            exists(select(tag_table.tag).where(tag_owner_column == id_column, tag_table.tag == tag))
        )
    if query.created_from:
        stmt = stmt.where(created_column >= query.created_from)
    if query.created_to:
        stmt = stmt.where(created_column < query.created_to)
    return stmt


def sort_column(
    query: ListQuery, columns: dict[SortField, InstrumentedAttribute[Any]], kind: str
) -> InstrumentedAttribute[Any]:
    try:
        return columns[query.sort]
    except KeyError:
        names = ", ".join(sorted(columns))
        raise ValidationFailed(
            f"{kind}s cannot be sorted by {str(query.sort)!r}; choose one of: {names}",
            issues=[Issue("sort", f"one of: {names}")],
        ) from None
