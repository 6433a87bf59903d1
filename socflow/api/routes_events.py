"""Event search: time range, field equals (CIDR on IPs), free text; newest first, cursor pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from socflow.api.intake_state import IntakeDep
from socflow.api.schemas_common import Cursor, Instant, Limit, PageOut
from socflow.api.schemas_events import EventOut
from socflow.storage.events import EventQuery, FieldFilter

router = APIRouter(prefix="/events", tags=["events"])


@router.get("")
def search_events(
    intake: IntakeDep,
    start: Annotated[Instant | None, Query(alias="from", description="Events at or after this time")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Events before this time")] = None,
    field: Annotated[
        list[str] | None,
        Query(description="FIELD:VALUE, repeatable; a CIDR on source.ip/destination.ip", max_length=50),
    ] = None,
    q: Annotated[str | None, Query(max_length=500, description="Text in the message or original")] = None,
    limit: Limit = 50,
    cursor: Cursor | None = None,
) -> PageOut[EventOut]:
    query = EventQuery(
        start=start,
        end=end,
        fields=[FieldFilter.parse(text) for text in field or []],
        text=q,
        limit=limit,
        cursor=cursor,
    )
    page = intake.store.search(query)
    return PageOut(items=[EventOut.from_row(row) for row in page.items], next=page.next)
