"""The case tracker on PostgreSQL: alert dedup, the case lifecycle, promote, merge and pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from socflow.cases.alerts import AlertInput, alert_tags
from socflow.cases.case_service import CaseInput, case_tags
from socflow.cases.listing import ListQuery, SortField
from socflow.cases.observables import ObservableInput
from socflow.cases.tasks import TaskInput
from socflow.cases.tracker import Tracker
from socflow.errors import Conflict, InvalidTransition, StorageError, ValidationFailed
from socflow.model.lifecycle import CaseStatus, Resolution
from socflow.model.observable import ObservableType
from socflow.model.severity import Severity
from socflow.storage import audit
from socflow.storage.tables import CaseRow

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
IP = ObservableInput(ObservableType.IP, "198.51.100.9")


def _alert(ref: str, **overrides: Any) -> AlertInput:
    values: dict[str, Any] = {"source": "edr", "source_ref": ref, "title": f"alert {ref}"}
    return AlertInput(**{**values, "severity": Severity.MEDIUM, **overrides})


def test_postgres_alert_ingest_deduplicates_by_source_and_ref(tracker: Tracker) -> None:
    first, created = tracker.alerts.ingest(
        "edr", _alert("d-1", severity=Severity.HIGH, tags=["a"], first_seen=T0, observables=[IP])
    )
    second, again = tracker.alerts.ingest(
        "edr",
        _alert(
            "d-1",
            severity=Severity.LOW,
            tags=["b"],
            first_seen=T0 + timedelta(minutes=1),
            last_seen=T0 + timedelta(minutes=5),
            observables=[ObservableInput(ObservableType.DOMAIN, "c2.example")],
        ),
    )
    other, other_created = tracker.alerts.ingest("siem", _alert("d-1", source="siem"))

    assert (created, again, other_created) == (True, False, True)
    assert second.id == first.id != other.id
    assert (second.count, second.severity, second.last_seen) == (2, "high", T0 + timedelta(minutes=5))
    assert alert_tags(second) == ["a", "b"]
    assert sorted(link.observable.value for link in second.observable_links) == ["198.51.100.9", "c2.example"]


def test_postgres_case_lifecycle_from_new_to_closed_and_reopened(tracker: Tracker) -> None:
    case = tracker.cases.create("alice", CaseInput(title="Ransomware"))
    path = [
        CaseStatus.TRIAGE,
        CaseStatus.INVESTIGATING,
        CaseStatus.CONTAINMENT,
        CaseStatus.INVESTIGATING,
        CaseStatus.CONTAINMENT,
        CaseStatus.ERADICATION,
        CaseStatus.RECOVERY,
        CaseStatus.POST_INCIDENT_REVIEW,
        CaseStatus.CLOSED,
    ]
    confirmed = None
    for status in path:
        case = tracker.cases.transition("bob", case.id, status)
        confirmed = confirmed or case.incident_confirmed_at
        assert case.incident_confirmed_at == confirmed

    assert (case.status, case.resolution, case.version) == ("closed", "true_positive", 1 + len(path))
    assert case.closed_at is not None
    with pytest.raises(InvalidTransition, match="allowed from 'closed': reopened"):
        tracker.cases.transition("bob", case.id, CaseStatus.TRIAGE)
    reopened = tracker.cases.transition("bob", case.id, CaseStatus.REOPENED)
    assert (reopened.resolution, reopened.closed_at) == (None, None)
    with pytest.raises(ValidationFailed):
        tracker.cases.transition("bob", case.id, CaseStatus.CLOSED, resolution=Resolution.TRUE_POSITIVE)


def test_postgres_promote_then_merge(tracker: Tracker) -> None:
    survivor = tracker.cases.create("alice", CaseInput(title="Campaign", tags=["a"]))
    alert, _ = tracker.alerts.ingest("edr", _alert("d-1", tags=["b"], observables=[IP]))
    duplicate = tracker.linking.promote("bob", alert.id)
    tracker.tasks.create("bob", duplicate.id, TaskInput(title="Block"))
    tracker.notes.comment("bob", duplicate.id, "dup")
    tracker.notes.add_evidence(
        "bob", duplicate.id, filename="x.eml", content_type="", chunks=[b"x"], max_bytes=1024
    )
    with pytest.raises(Conflict):
        tracker.linking.promote("bob", alert.id)

    tracker.linking.merge("carol", survivor.id, [duplicate.id], reason="same")

    merged = tracker.cases.get(duplicate.id)
    assert (merged.status, merged.resolution, merged.merged_into_id) == ("closed", "duplicate", survivor.id)
    assert tracker.alerts.get(alert.id).case_id == survivor.id
    assert case_tags(tracker.cases.get(survivor.id)) == ["a", "b"]
    assert [t.title for t in tracker.tasks.for_case(survivor.id)] == ["Block"]
    assert [c.body for c in tracker.notes.comments(survivor.id)] == ["dup"]
    assert len(tracker.notes.evidence(survivor.id)) == 1
    assert [link.observable.value for link, _ in tracker.cases.observables(survivor.id)] == ["198.51.100.9"]
    with pytest.raises(ValidationFailed, match="was merged into"):
        tracker.cases.transition("carol", duplicate.id, CaseStatus.REOPENED)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", [SortField.CREATED_AT, SortField.SEVERITY, SortField.PRIORITY])
def test_postgres_pagination_walks_every_row_once(
    tracker: Tracker, sort: SortField, descending: bool
) -> None:
    severities = [Severity.LOW, Severity.HIGH, Severity.MEDIUM, Severity.HIGH]
    ids = [
        tracker.cases.create("alice", CaseInput(title=f"c{i}", severity=severities[i % 4])).id
        for i in range(11)
    ]
    with tracker.database.session() as session:
        session.execute(
            update(CaseRow).where(CaseRow.id.in_(ids[2:6])).values(created_at=T0),
            execution_options={"synchronize_session": False},
        )
        rows = list(session.execute(select(CaseRow)).scalars())
    key = {
        SortField.CREATED_AT: "created_at",
        SortField.SEVERITY: "severity_rank",
        SortField.PRIORITY: "priority",
    }
    ordered = sorted(rows, key=lambda row: (getattr(row, key[sort]), row.id), reverse=descending)

    walked: list[str] = []
    cursor = None
    while True:
        page = tracker.cases.search(ListQuery(sort=sort, descending=descending, limit=3, cursor=cursor))
        walked.extend(row.id for row in page.items)
        if page.next is None:
            break
        cursor = page.next

    assert walked == [row.id for row in ordered]
    other = tracker.cases.search(ListQuery(sort=sort, descending=not descending, limit=3))
    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.search(ListQuery(sort=sort, descending=descending, limit=3, cursor=other.next))
    assert caught.value.issues[0].path == "cursor"


def test_postgres_failed_call_writes_no_entry_and_changes_nothing(tracker: Tracker) -> None:
    case = tracker.cases.create("alice", CaseInput(title="t"))
    with tracker.database.session(write=False) as session:
        entries = audit.count(session)

    with pytest.raises(InvalidTransition):
        tracker.cases.transition("bob", case.id, CaseStatus.RECOVERY)

    assert tracker.cases.get(case.id).version == 1
    with tracker.database.session(write=False) as session:
        assert audit.count(session) == entries


def test_postgres_values_longer_than_their_columns_are_refused_before_the_database(tracker: Tracker) -> None:
    long_url = ObservableInput(ObservableType.URL, "https://x.example/" + "a" * 2100)

    with pytest.raises(ValidationFailed) as observable:
        tracker.cases.create("alice", CaseInput(title="t", observables=[long_url]))
    with pytest.raises(ValidationFailed) as actor:
        tracker.cases.create("a" * 201, CaseInput(title="t"))
    with pytest.raises(ValidationFailed) as assignee:
        tracker.cases.create("alice", CaseInput(title="t", assignee="b" * 201))

    assert observable.value.issues[0].path == "observables[0].value"
    assert actor.value.issues[0].path == "actor"
    assert assignee.value.issues[0].path == "assignee"


def test_postgres_driver_errors_leave_as_storage_errors(tracker: Tracker) -> None:
    with pytest.raises(StorageError), tracker.database.session() as session:
        session.execute(text("SELECT * FROM no_such_table"))
