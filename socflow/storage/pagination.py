"""Keyset (cursor) pagination over a sort column plus the id, stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Integer, Select, TypeDecorator, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from socflow.errors import Issue, ValidationFailed

RowT = TypeVar("RowT")
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[RowT]):
    items: list[RowT]
    next: str | None


def _encode(value: Any, row_id: str, sort: str, descending: bool) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, descending, value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str, descending: bool, value_type: type) -> tuple[Any, str]:
    bad = ValidationFailed("cursor is not valid for this listing", issues=[Issue("cursor", "not valid")])
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        got_sort, got_desc, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error, TypeError):
        raise bad from None
    if got_sort != sort or got_desc != descending or not isinstance(row_id, str):
        raise ValidationFailed(
            "cursor was made for another sort order", issues=[Issue("cursor", "sort or order changed")]
        )
    # Check the value's type here: a forged cursor must be refused, not fail inside the driver.
    if value_type is datetime:
        try:
            value = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise bad from None
        if value.tzinfo is None:
            raise bad
    elif not isinstance(value, value_type) or isinstance(value, bool):
        raise bad
    return value, row_id


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    sort_name: str,
    sort_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Any]:
    """One page of `stmt` ordered by (sort, id); `next` resumes after the last item."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_LIMIT}", issues=[Issue("limit", f"1..{MAX_LIMIT}")]
        )
    is_time = isinstance(sort_column.type, DateTime | TypeDecorator) and not isinstance(
        getattr(sort_column.type, "impl_instance", sort_column.type), Integer
    )
    key = tuple_(sort_column, id_column)
    if cursor:
        value_type = datetime if is_time else sort_column.type.python_type
        value, row_id = _decode(cursor, sort_name, descending, value_type)
        # Bind through the columns' own types so UTCDateTime converts the cursor's time like a stored one.
        bound = tuple_(literal(value, sort_column.type), literal(row_id, id_column.type))
        stmt = stmt.where(key < bound if descending else key > bound)
    order = (sort_column.desc(), id_column.desc()) if descending else (sort_column.asc(), id_column.asc())
    rows: Sequence[Any] = session.execute(stmt.order_by(*order).limit(limit + 1)).scalars().all()
    items = list(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode(
            getattr(last, sort_column.key), getattr(last, id_column.key), sort_name, descending
        )
    return Page(items=items, next=next_cursor)
