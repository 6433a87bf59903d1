"""Keyset pagination: pages walk every row once in (sort, id) order; a foreign or forged cursor is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from socflow.cases.case_service import CaseInput
from socflow.cases.listing import ListQuery, SortField
from socflow.cases.tracker import Tracker
from socflow.errors import ValidationFailed
from socflow.model.severity import Severity
from socflow.storage.pagination import MAX_LIMIT, paginate
from socflow.storage.tables import CaseRow

SEVERITIES = [Severity.LOW, Severity.HIGH, Severity.MEDIUM, Severity.CRITICAL, Severity.HIGH]
SORT_KEYS = {
    SortField.CREATED_AT: lambda row: row.created_at,
    SortField.SEVERITY: lambda row: row.severity_rank,
    SortField.PRIORITY: lambda row: row.priority,
}


@pytest.fixture
def case_ids(tracker: Tracker) -> list[str]:
    """Seventeen cases with repeated severities and priorities, and five sharing one creation time."""
    ids = [
        tracker.cases.create("alice", CaseInput(title=f"case {i}", severity=SEVERITIES[i % 5])).id
        for i in range(17)
    ]
    with tracker.database.session() as session:
        session.execute(
            update(CaseRow)
            .where(CaseRow.id.in_(ids[3:8]))
            .values(created_at=datetime(2001, 1, 1, tzinfo=UTC)),  # older than any case made now
            execution_options={"synchronize_session": False},
        )
    return ids


def _walk(tracker: Tracker, sort: SortField, descending: bool, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = tracker.cases.search(ListQuery(sort=sort, descending=descending, limit=limit, cursor=cursor))
        pages.append([row.id for row in page.items])
        if page.next is None:
            return pages
        cursor = page.next


def _expected(tracker: Tracker, sort: SortField, descending: bool) -> list[str]:
    with tracker.database.session(write=False) as session:
        rows = list(session.execute(select(CaseRow)).scalars())
    ordered = sorted(rows, key=lambda row: (SORT_KEYS[sort](row), row.id))
    return [row.id for row in (reversed(ordered) if descending else ordered)]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_paginate_walks_every_row_once_in_order(
    tracker: Tracker, case_ids: list[str], sort: SortField, descending: bool
) -> None:
    pages = _walk(tracker, sort, descending, limit=4)
    walked = [case_id for page in pages for case_id in page]

    assert walked == _expected(tracker, sort, descending)
    assert sorted(walked) == sorted(case_ids)  # no duplicates, no gaps
    assert [len(page) for page in pages] == [4, 4, 4, 4, 1]


def test_paginate_has_no_next_cursor_when_the_page_is_the_last(tracker: Tracker, case_ids: list[str]) -> None:
    page = tracker.cases.search(ListQuery(limit=17))

    assert len(page.items) == 17
    assert page.next is None


def test_paginate_keeps_its_place_when_rows_are_added_meanwhile(
    tracker: Tracker, case_ids: list[str]
) -> None:
    first = tracker.cases.search(ListQuery(sort=SortField.CREATED_AT, descending=True, limit=5))
    tracker.cases.create("bob", CaseInput(title="arrived while paging"))

    rest = _walk_from(tracker, first.next)

    assert [row.id for row in first.items] + rest == _expected(tracker, SortField.CREATED_AT, True)[1:]


def _walk_from(tracker: Tracker, cursor: str | None) -> list[str]:
    walked: list[str] = []
    while cursor is not None:
        page = tracker.cases.search(ListQuery(limit=5, cursor=cursor))
        walked.extend(row.id for row in page.items)
        cursor = page.next
    return walked


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [
        (ListQuery(sort=SortField.SEVERITY), ListQuery(sort=SortField.PRIORITY)),
        (ListQuery(sort=SortField.CREATED_AT), ListQuery(sort=SortField.SEVERITY)),
        (ListQuery(descending=True), ListQuery(descending=False)),
    ],
)
def test_paginate_refuses_a_cursor_made_for_another_sort(
    tracker: Tracker, case_ids: list[str], made_for: ListQuery, used_for: ListQuery
) -> None:
    cursor = tracker.cases.search(ListQuery(sort=made_for.sort, descending=made_for.descending, limit=2)).next

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.search(
            ListQuery(sort=used_for.sort, descending=used_for.descending, limit=2, cursor=cursor)
        )

    assert [issue.path for issue in caught.value.issues] == ["cursor"]


def _forge(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        pytest.param(SortField.CREATED_AT, "not-a-cursor", id="not-json"),
        pytest.param(SortField.CREATED_AT, "%%%", id="not-base64"),
        pytest.param(SortField.CREATED_AT, base64.urlsafe_b64encode(b"\xff\xfe").decode(), id="not-utf8"),
        pytest.param(SortField.CREATED_AT, _forge("created_at", True), id="too-short"),
        pytest.param(SortField.CREATED_AT, _forge("created_at", True, "yesterday", "c"), id="bad-time"),
        pytest.param(
            SortField.CREATED_AT, _forge("created_at", True, "2026-01-01T00:00:00", "c"), id="naive"
        ),
        pytest.param(SortField.CREATED_AT, _forge("created_at", True, 5, "c"), id="number-for-time"),
        pytest.param(SortField.CREATED_AT, _forge("created_at", True, "2026-01-01T00:00Z", 7), id="int-id"),
        pytest.param(SortField.SEVERITY, _forge("severity", True, [3], "c"), id="list-for-int"),
        pytest.param(SortField.SEVERITY, _forge("severity", True, "high", "c"), id="text-for-int"),
        pytest.param(SortField.SEVERITY, _forge("severity", True, True, "c"), id="bool-for-int"),
        pytest.param(SortField.SEVERITY, _forge("severity", True, None, "c"), id="null-for-int"),
    ],
)
def test_paginate_refuses_a_garbage_or_forged_cursor(
    tracker: Tracker, case_ids: list[str], sort: SortField, cursor: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.search(ListQuery(sort=sort, cursor=cursor))

    assert [issue.path for issue in caught.value.issues] == ["cursor"]


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_paginate_refuses_a_limit_outside_1_to_500(tracker: Tracker, limit: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.search(ListQuery(limit=limit))

    assert [issue.path for issue in caught.value.issues] == ["limit"]


@pytest.mark.parametrize("limit", [1, MAX_LIMIT])
def test_paginate_accepts_the_limits_at_the_edges(tracker: Tracker, case_ids: list[str], limit: int) -> None:
    assert len(tracker.cases.search(ListQuery(limit=limit)).items) == min(limit, 17)


def test_paginate_over_a_plain_statement(tracker: Tracker, case_ids: list[str]) -> None:
    with tracker.database.session(write=False) as session:
        page = paginate(
            session,
            select(CaseRow).where(CaseRow.severity == "high"),
            sort_name="priority",
            sort_column=CaseRow.priority,
            id_column=CaseRow.id,
            descending=False,
            limit=100,
            cursor=None,
        )

    assert {row.severity for row in page.items} == {"high"}
    assert len(page.items) == 7
