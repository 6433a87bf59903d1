"""Promoting alerts to cases, attaching alerts, and merging duplicate cases into a survivor."""

from __future__ import annotations

import json
from typing import Any

import pytest

from socflow.cases.alerts import AlertInput
from socflow.cases.case_service import CaseInput, case_tags
from socflow.cases.listing import ListQuery
from socflow.cases.observables import ObservableInput
from socflow.cases.tasks import TaskInput
from socflow.cases.tracker import Tracker
from socflow.errors import Conflict, NotFound, ValidationFailed
from socflow.model.lifecycle import CaseStatus
from socflow.model.observable import ObservableType
from socflow.model.severity import PAP, TLP, Severity
from socflow.storage import audit
from socflow.storage.tables import AlertRow, CaseRow

IP = ObservableInput(ObservableType.IP, "198.51.100.9")
DOMAIN = ObservableInput(ObservableType.DOMAIN, "phish.example")


def _alert(tracker: Tracker, ref: str, **overrides: Any) -> AlertRow:
    values: dict[str, Any] = {"source": "mail-gw", "source_ref": ref, "title": f"Phish {ref}"}
    row, _ = tracker.alerts.ingest(
        "mail-gw", AlertInput(**{**values, "severity": Severity.HIGH, **overrides})
    )
    return row


def _history(tracker: Tracker, object_type: str, object_id: str) -> list[dict[str, Any]]:
    with tracker.database.session(write=False) as session:
        rows = audit.entries_for(session, object_type, object_id)
    return [{"action": r.action, "actor": r.actor, "after": json.loads(r.after)} for r in rows]


def _observable_values(tracker: Tracker, case_id: str) -> list[str]:
    return sorted(link.observable.value for link, _ in tracker.cases.observables(case_id))


def test_promote_opens_a_case_carrying_the_alert_over(tracker: Tracker) -> None:
    alert = _alert(
        tracker,
        "m-1",
        tags=["phishing"],
        tlp=TLP.RED,
        pap=PAP.GREEN,
        description="d",
        observables=[IP, DOMAIN],
    )

    case = tracker.linking.promote("bob", alert.id)

    assert (case.title, case.severity, case.priority, case.description) == ("Phish m-1", "high", 2, "d")
    assert (case.tlp, case.pap, case.created_by, case.status) == ("red", "green", "bob", "new")
    assert case_tags(case) == ["phishing"]
    assert _observable_values(tracker, case.id) == ["198.51.100.9", "phish.example"]
    linked = tracker.alerts.get(alert.id)
    assert (linked.case_id, linked.status) == (case.id, "in_progress")
    assert [e["action"] for e in _history(tracker, "case", case.id)] == [
        "created",
        "observable_added",
        "observable_added",
        "alert_attached",
    ]
    assert _history(tracker, "alert", alert.id)[-1]["after"] == {"case_id": case.id, "status": "in_progress"}


def test_promote_takes_a_title_and_an_assignee(tracker: Tracker) -> None:
    alert = _alert(tracker, "m-1")

    case = tracker.linking.promote("bob", alert.id, title="Campaign against finance", assignee="carol")

    assert (case.title, case.assignee) == ("Campaign against finance", "carol")


def test_promote_twice_is_a_conflict(tracker: Tracker) -> None:
    alert = _alert(tracker, "m-1")
    tracker.linking.promote("bob", alert.id)

    with pytest.raises(Conflict, match="already belongs to case"):
        tracker.linking.promote("bob", alert.id)

    assert len(tracker.cases.search(ListQuery()).items) == 1


def test_promote_unknown_alert_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.linking.promote("bob", "alert_nope")


def test_attach_links_alerts_and_their_observables_to_a_case(tracker: Tracker) -> None:
    case = tracker.cases.create("bob", CaseInput(title="Campaign"))
    first, second = _alert(tracker, "m-1", observables=[IP]), _alert(tracker, "m-2", observables=[IP, DOMAIN])

    tracker.linking.attach("bob", [first.id, second.id], case.id)

    assert {tracker.alerts.get(a.id).case_id for a in (first, second)} == {case.id}
    assert _observable_values(tracker, case.id) == ["198.51.100.9", "phish.example"]
    attached = [e["after"] for e in _history(tracker, "case", case.id) if e["action"] == "alert_attached"]
    assert attached == [{"alert_id": first.id}, {"alert_id": second.id}]


def test_attach_an_alert_that_belongs_to_another_case_is_a_conflict(tracker: Tracker) -> None:
    alert = _alert(tracker, "m-1")
    owner = tracker.linking.promote("bob", alert.id)
    other = tracker.cases.create("bob", CaseInput(title="Other"))

    with pytest.raises(Conflict) as caught:
        tracker.linking.attach("bob", [alert.id], other.id)

    assert caught.value.details == {"case_id": owner.id}


def test_attach_needs_at_least_one_alert(tracker: Tracker) -> None:
    case = tracker.cases.create("bob", CaseInput(title="Campaign"))

    with pytest.raises(ValidationFailed) as caught:
        tracker.linking.attach("bob", [], case.id)

    assert caught.value.issues[0].path == "alert_ids"


def test_attach_to_a_merged_case_is_refused(tracker: Tracker) -> None:
    survivor = tracker.cases.create("bob", CaseInput(title="Survivor"))
    merged = tracker.cases.create("bob", CaseInput(title="Duplicate"))
    tracker.linking.merge("bob", survivor.id, [merged.id])

    with pytest.raises(ValidationFailed, match="was merged into"):
        tracker.linking.attach("bob", [_alert(tracker, "m-1").id], merged.id)


@pytest.fixture
def two_cases(tracker: Tracker) -> tuple[CaseRow, CaseRow]:
    """A survivor and a duplicate; the duplicate has an alert, a task, a comment, evidence and observables."""
    survivor = tracker.cases.create("alice", CaseInput(title="Survivor", tags=["a"], observables=[IP]))
    duplicate = tracker.linking.promote(
        "bob", _alert(tracker, "m-1", tags=["b"], observables=[IP, DOMAIN]).id
    )
    tracker.tasks.create("bob", duplicate.id, TaskInput(title="Block sender"))
    tracker.notes.comment("bob", duplicate.id, "same campaign as the survivor")
    tracker.notes.add_evidence(
        "bob",
        duplicate.id,
        filename="mail.eml",
        content_type="message/rfc822",
        chunks=[b"From: x"],
        max_bytes=1024,
    )
    return survivor, duplicate


def test_merge_moves_everything_to_the_survivor(tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]) -> None:
    survivor, duplicate = two_cases

    result = tracker.linking.merge("carol", survivor.id, [duplicate.id], reason="same campaign")

    assert result.id == survivor.id
    assert case_tags(tracker.cases.get(survivor.id)) == ["a", "b"]
    assert _observable_values(tracker, survivor.id) == ["198.51.100.9", "phish.example"]
    assert [t.title for t in tracker.tasks.for_case(survivor.id)] == ["Block sender"]
    assert [c.body for c in tracker.notes.comments(survivor.id)] == ["same campaign as the survivor"]
    assert [e.filename for e in tracker.notes.evidence(survivor.id)] == ["mail.eml"]
    assert [alert.case_id for alert in tracker.alerts.search(ListQuery()).items] == [survivor.id]
    assert tracker.tasks.for_case(duplicate.id) == []
    assert tracker.notes.comments(duplicate.id) == []


def test_merge_closes_the_merged_case_as_a_duplicate_of_the_survivor(
    tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]
) -> None:
    survivor, duplicate = two_cases

    tracker.linking.merge("carol", survivor.id, [duplicate.id], reason="same campaign")

    merged = tracker.cases.get(duplicate.id)
    assert (merged.status, merged.resolution, merged.merged_into_id) == ("closed", "duplicate", survivor.id)
    assert merged.closed_at is not None
    assert _history(tracker, "case", duplicate.id)[-1] == {
        "action": "merged_into",
        "actor": "carol",
        "after": {
            "status": "closed",
            "resolution": "duplicate",
            "merged_into_id": survivor.id,
            "reason": "same campaign",
        },
    }
    merged_from = _history(tracker, "case", survivor.id)[-1]
    assert merged_from["action"] == "merged_from"
    assert merged_from["after"]["case_id"] == duplicate.id
    assert set(merged_from["after"]["moved"]) == {"alerts", "tasks", "comments", "evidence", "observables"}


def test_merge_records_the_move_in_each_moved_objects_history(
    tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]
) -> None:
    survivor, duplicate = two_cases

    tracker.linking.merge("carol", survivor.id, [duplicate.id])

    [alert] = tracker.alerts.search(ListQuery()).items
    moved = [
        ("alert", alert.id),
        ("task", tracker.tasks.for_case(survivor.id)[0].id),
        ("comment", tracker.notes.comments(survivor.id)[0].id),
        ("evidence", tracker.notes.evidence(survivor.id)[0].id),
    ]
    for kind, object_id in moved:
        assert _history(tracker, kind, object_id)[-1] == {
            "action": "moved_to_case",
            "actor": "carol",
            "after": {"case_id": survivor.id},
        }
    timeline = tracker.cases.timeline(survivor.id)
    assert {(e.object_type, e.action) for e in timeline} >= {
        ("task", "moved_to_case"),
        ("comment", "moved_to_case"),
    }


def test_merge_into_itself_is_refused(tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]) -> None:
    survivor, _ = two_cases

    with pytest.raises(ValidationFailed, match="cannot be merged into itself"):
        tracker.linking.merge("carol", survivor.id, [survivor.id])


def test_merge_needs_a_case_to_merge(tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.linking.merge("carol", two_cases[0].id, [])

    assert caught.value.issues[0].path == "case_ids"


def test_merge_a_case_that_was_already_merged_is_a_conflict(
    tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]
) -> None:
    survivor, duplicate = two_cases
    third = tracker.cases.create("alice", CaseInput(title="Third"))
    tracker.linking.merge("carol", survivor.id, [duplicate.id])

    with pytest.raises(Conflict, match="already merged"):
        tracker.linking.merge("carol", third.id, [duplicate.id])
    with pytest.raises(ValidationFailed, match="was itself merged"):
        tracker.linking.merge("carol", duplicate.id, [third.id])


def test_transition_on_a_merged_case_is_refused(tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]) -> None:
    survivor, duplicate = two_cases
    tracker.linking.merge("carol", survivor.id, [duplicate.id])

    with pytest.raises(ValidationFailed, match=f"was merged into '{survivor.id}'"):
        tracker.cases.transition("carol", duplicate.id, CaseStatus.REOPENED)


def test_merge_with_an_unknown_case_changes_nothing(
    tracker: Tracker, two_cases: tuple[CaseRow, CaseRow]
) -> None:
    survivor, duplicate = two_cases
    with tracker.database.session(write=False) as session:
        entries = audit.count(session)

    with pytest.raises(NotFound):
        tracker.linking.merge("carol", survivor.id, [duplicate.id, "case_nope"])

    assert tracker.cases.get(duplicate.id).merged_into_id is None
    assert tracker.tasks.for_case(survivor.id) == []
    with tracker.database.session(write=False) as session:
        assert audit.count(session) == entries
