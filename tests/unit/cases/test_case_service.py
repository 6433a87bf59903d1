"""Cases: creation, edits, the NIST lifecycle, tiers, assignment, observables and the audited timeline."""

from __future__ import annotations

import json
from typing import Any

import pytest

from socflow.cases.case_service import CaseInput, case_tags
from socflow.cases.listing import ListQuery
from socflow.cases.observables import ObservableInput
from socflow.cases.tasks import TaskInput
from socflow.cases.tracker import Tracker
from socflow.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from socflow.model.lifecycle import CaseStatus, Resolution
from socflow.model.observable import ObservableType
from socflow.model.severity import Severity
from socflow.storage import audit
from socflow.storage.tables import CaseRow

S = CaseStatus
NIST_PATH = [
    S.TRIAGE,
    S.INVESTIGATING,
    S.CONTAINMENT,
    S.ERADICATION,
    S.RECOVERY,
    S.POST_INCIDENT_REVIEW,
    S.CLOSED,
]


def _history(tracker: Tracker, case_id: str) -> list[dict[str, Any]]:
    with tracker.database.session(write=False) as session:
        rows = audit.entries_for(session, "case", case_id)
    return [
        {"action": r.action, "actor": r.actor, "before": json.loads(r.before), "after": json.loads(r.after)}
        for r in rows
    ]


def _new_case(tracker: Tracker, **overrides: Any) -> CaseRow:
    return tracker.cases.create("alice", CaseInput(**{"title": "Phishing wave", **overrides}))


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        (Severity.CRITICAL, 1),
        (Severity.HIGH, 2),
        (Severity.MEDIUM, 3),
        (Severity.LOW, 4),
        (Severity.INFORMATIONAL, 4),
    ],
)
def test_case_create_derives_priority_from_severity(
    tracker: Tracker, severity: Severity, priority: int
) -> None:
    case = _new_case(tracker, severity=severity)

    assert case.priority == priority


def test_case_create_starts_new_at_tier_one_and_is_audited(tracker: Tracker) -> None:
    case = _new_case(tracker, tags=["Phishing", " VIP "], priority=1)

    assert case.id.startswith("case_")
    assert (case.status, case.tier, case.priority, case.version) == ("new", 1, 1, 1)
    assert (case.created_by, case.assignee, case.resolution) == ("alice", None, None)
    assert case.created_at == case.updated_at
    assert case_tags(case) == ["phishing", "vip"]
    [entry] = _history(tracker, case.id)
    assert entry["action"] == "created"
    assert entry["actor"] == "alice"
    assert entry["after"]["status"] == "new"
    assert entry["after"]["tags"] == ["phishing", "vip"]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"title": " "}, "title"),
        ({"title": "t" * 501}, "title"),
        ({"tier": 0}, "tier"),
        ({"tier": 4}, "tier"),
        ({"priority": 5}, "priority"),
        ({"priority": 0}, "priority"),
        ({"assignee": "a" * 201}, "assignee"),
        ({"tags": ["x" * 101]}, "tags[0]"),
        ({"observables": [ObservableInput(ObservableType.IP, "nope")]}, "observables[0].value"),
    ],
)
def test_case_create_refuses_invalid_input_naming_the_field(
    tracker: Tracker, overrides: dict[str, Any], path: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _new_case(tracker, **overrides)

    assert [issue.path for issue in caught.value.issues] == [path]
    assert tracker.cases.search(ListQuery()).items == []


def test_case_create_refuses_an_actor_longer_than_its_column(tracker: Tracker) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.create("a" * 201, CaseInput(title="t"))

    assert caught.value.issues[0].path == "actor"


def test_case_get_unknown_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound) as caught:
        tracker.cases.get("case_nope")

    assert caught.value.details == {"object": "case", "id": "case_nope"}


def test_case_walks_the_whole_nist_lifecycle(tracker: Tracker) -> None:
    case = _new_case(tracker)
    confirmed_at = None

    for status in NIST_PATH:
        case = tracker.cases.transition("bob", case.id, status, reason=f"to {status}")
        assert case.status == status
        if status is S.CONTAINMENT:
            confirmed_at = case.incident_confirmed_at
        if confirmed_at is not None:
            assert case.incident_confirmed_at == confirmed_at

    assert confirmed_at is not None
    assert case.resolution == "true_positive"
    assert case.closed_at is not None
    assert case.closed_at >= confirmed_at
    assert case.version == 1 + len(NIST_PATH)
    moves = [(e["before"]["status"], e["after"]["status"]) for e in _history(tracker, case.id)[1:]]
    assert moves == list(zip(["new", *map(str, NIST_PATH[:-1])], map(str, NIST_PATH), strict=True))


def test_case_transition_is_audited_with_actor_before_after_and_reason(tracker: Tracker) -> None:
    case = _new_case(tracker)

    tracker.cases.transition("bob", case.id, S.TRIAGE, reason="first look")

    assert _history(tracker, case.id)[-1] == {
        "action": "transitioned",
        "actor": "bob",
        "before": {"status": "new"},
        "after": {"status": "triage", "reason": "first look"},
    }


def test_case_before_an_incident_has_no_confirmation_time(tracker: Tracker) -> None:
    case = _new_case(tracker)
    case = tracker.cases.transition("bob", case.id, S.TRIAGE)
    case = tracker.cases.transition("bob", case.id, S.INVESTIGATING)

    assert case.incident_confirmed_at is None


def test_case_going_back_from_containment_keeps_the_first_confirmation(tracker: Tracker) -> None:
    case = _new_case(tracker)
    for status in (S.TRIAGE, S.INVESTIGATING, S.CONTAINMENT):
        case = tracker.cases.transition("bob", case.id, status)
    confirmed_at = case.incident_confirmed_at

    case = tracker.cases.transition("bob", case.id, S.INVESTIGATING, reason="scope was wrong")
    assert case.status == "investigating"
    case = tracker.cases.transition("bob", case.id, S.CONTAINMENT)

    assert case.incident_confirmed_at == confirmed_at


def test_case_closed_as_benign_from_triage(tracker: Tracker) -> None:
    case = _new_case(tracker)
    tracker.cases.transition("bob", case.id, S.TRIAGE)

    case = tracker.cases.transition("bob", case.id, S.CLOSED, resolution=Resolution.BENIGN)

    assert (case.status, case.resolution) == ("closed", "benign")
    assert case.closed_at is not None
    assert _history(tracker, case.id)[-1]["after"] == {
        "status": "closed",
        "resolution": "benign",
        "reason": "",
    }


def test_case_closing_from_triage_without_a_resolution_is_refused(tracker: Tracker) -> None:
    case = _new_case(tracker)
    tracker.cases.transition("bob", case.id, S.TRIAGE)

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.transition("bob", case.id, S.CLOSED)

    assert caught.value.issues[0].path == "resolution"
    assert tracker.cases.get(case.id).status == "triage"


def test_case_reopen_clears_the_closure(tracker: Tracker) -> None:
    case = _new_case(tracker)
    tracker.cases.transition("bob", case.id, S.CLOSED, resolution=Resolution.FALSE_POSITIVE)

    reopened = tracker.cases.transition("bob", case.id, S.REOPENED, reason="it came back")
    investigating = tracker.cases.transition("bob", case.id, S.INVESTIGATING)

    assert (reopened.status, reopened.resolution, reopened.closed_at) == ("reopened", None, None)
    assert investigating.status == "investigating"
    assert _history(tracker, case.id)[-2]["before"] == {"status": "closed", "resolution": "false_positive"}


def test_case_illegal_transition_names_the_status_and_allowed_moves(tracker: Tracker) -> None:
    case = _new_case(tracker)

    with pytest.raises(InvalidTransition) as caught:
        tracker.cases.transition("bob", case.id, S.RECOVERY)

    assert (
        str(caught.value) == "cannot move case from 'new' to 'recovery'; allowed from 'new': triage, closed"
    )


def test_case_transition_with_a_stale_version_is_a_conflict(tracker: Tracker) -> None:
    case = _new_case(tracker)
    tracker.cases.update("bob", case.id, changes={"title": "Renamed"})

    with pytest.raises(Conflict) as caught:
        tracker.cases.transition("carol", case.id, S.TRIAGE, expected_version=1)

    assert caught.value.details == {"current_version": 2, "expected_version": 1}
    assert tracker.cases.get(case.id).status == "new"


@pytest.mark.parametrize(("start", "target", "action"), [(1, 3, "escalated"), (3, 2, "deescalated")])
def test_case_escalate_moves_tier_with_a_reason(
    tracker: Tracker, start: int, target: int, action: str
) -> None:
    case = _new_case(tracker, tier=start)

    case = tracker.cases.escalate("bob", case.id, target, reason="needs forensics", assignee="dana")

    assert (case.tier, case.assignee) == (target, "dana")
    assert _history(tracker, case.id)[-1] == {
        "action": action,
        "actor": "bob",
        "before": {"tier": start, "assignee": None},
        "after": {"tier": target, "assignee": "dana", "reason": "needs forensics"},
    }


@pytest.mark.parametrize(
    ("tier", "reason", "path"),
    [(2, "", "reason"), (2, "   ", "reason"), (1, "again", "tier"), (0, "low", "tier"), (4, "high", "tier")],
)
def test_case_escalate_refuses_invalid_moves(tracker: Tracker, tier: int, reason: str, path: str) -> None:
    case = _new_case(tracker)

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.escalate("bob", case.id, tier, reason=reason)

    assert caught.value.issues[0].path == path
    assert tracker.cases.get(case.id).version == 1


def test_case_assign_then_reassign_are_recorded_as_such(tracker: Tracker) -> None:
    case = _new_case(tracker)

    tracker.cases.assign("lead", case.id, "bob")
    tracker.cases.assign("lead", case.id, " carol ")
    unassigned = tracker.cases.assign("lead", case.id, None)

    assert unassigned.assignee is None
    assert [(e["action"], e["before"], e["after"]) for e in _history(tracker, case.id)[1:]] == [
        ("assigned", {"assignee": None}, {"assignee": "bob"}),
        ("reassigned", {"assignee": "bob"}, {"assignee": "carol"}),
        ("reassigned", {"assignee": "carol"}, {"assignee": None}),
    ]


def test_case_assign_to_the_same_analyst_changes_nothing(tracker: Tracker) -> None:
    case = tracker.cases.assign("lead", _new_case(tracker).id, "bob")

    again = tracker.cases.assign("lead", case.id, "bob")

    assert again.version == case.version
    assert len(_history(tracker, case.id)) == 2


@pytest.mark.parametrize("assignee", ["", "   ", "x" * 201])
def test_case_assign_refuses_an_empty_or_long_name(tracker: Tracker, assignee: str) -> None:
    case = _new_case(tracker)

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.assign("lead", case.id, assignee)

    assert caught.value.issues[0].path == "assignee"


def test_case_update_edits_descriptive_fields_and_audits_only_the_changes(tracker: Tracker) -> None:
    case = _new_case(tracker)

    updated = tracker.cases.update(
        "bob",
        case.id,
        changes={"title": "Spear phishing", "severity": "high", "priority": 1, "tlp": "red", "pap": "green"},
    )

    assert (updated.title, updated.severity, updated.severity_rank) == ("Spear phishing", "high", 4)
    assert (updated.priority, updated.tlp, updated.pap, updated.version) == (1, "red", "green", 2)
    assert _history(tracker, case.id)[-1] == {
        "action": "updated",
        "actor": "bob",
        "before": {
            "title": "Phishing wave",
            "severity": "medium",
            "priority": 3,
            "tlp": "amber",
            "pap": "amber",
        },
        "after": {"title": "Spear phishing", "severity": "high", "priority": 1, "tlp": "red", "pap": "green"},
    }


def test_case_update_refuses_fields_that_are_not_editable_naming_them(tracker: Tracker) -> None:
    case = _new_case(tracker)

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.update("bob", case.id, changes={"status": "closed", "assignee": "eve", "title": "ok"})

    assert str(caught.value) == "these fields cannot be edited here: assignee, status"
    assert [issue.path for issue in caught.value.issues] == ["assignee", "status"]
    assert tracker.cases.get(case.id).title == "Phishing wave"


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"severity": "apocalyptic"}, "severity"),
        ({"tlp": "purple"}, "tlp"),
        ({"pap": "white"}, "pap"),
        ({"priority": "1"}, "priority"),
        ({"title": ""}, "title"),
    ],
)
def test_case_update_refuses_invalid_values_naming_the_field(
    tracker: Tracker, changes: dict[str, Any], path: str
) -> None:
    case = _new_case(tracker)

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.update("bob", case.id, changes=changes)

    assert [issue.path for issue in caught.value.issues] == [path]


def test_case_update_cleans_tags(tracker: Tracker) -> None:
    case = _new_case(tracker, tags=["old"])

    updated = tracker.cases.update(
        "bob", case.id, changes={}, add_tags=[" Phishing ", "PHISHING", "vip"], remove_tags=["OLD"]
    )

    assert case_tags(updated) == ["phishing", "vip"]
    assert _history(tracker, case.id)[-1]["after"] == {"tags": ["phishing", "vip"]}


@pytest.mark.parametrize(("add_tags", "path"), [(["ok", ""], "add_tags[1]"), (["t" * 101], "add_tags[0]")])
def test_case_update_refuses_empty_or_long_tags(tracker: Tracker, add_tags: list[str], path: str) -> None:
    case = _new_case(tracker)

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.update("bob", case.id, changes={}, add_tags=add_tags)

    assert caught.value.issues[0].path == path


def test_case_update_without_a_change_writes_no_entry(tracker: Tracker) -> None:
    case = _new_case(tracker)

    same = tracker.cases.update("bob", case.id, changes={"title": "Phishing wave"})

    assert same.version == 1
    assert len(_history(tracker, case.id)) == 1


def test_case_update_with_a_stale_version_is_a_conflict(tracker: Tracker) -> None:
    case = _new_case(tracker)
    tracker.cases.update("bob", case.id, changes={"description": "first"}, expected_version=1)

    with pytest.raises(Conflict, match="is at version 2, not 1"):
        tracker.cases.update("carol", case.id, changes={"description": "second"}, expected_version=1)

    assert tracker.cases.get(case.id).description == "first"


def test_case_observables_count_the_other_cases_that_share_them(tracker: Tracker) -> None:
    ip = ObservableInput(ObservableType.IP, "203.0.113.7")
    first = _new_case(tracker, observables=[ip, ObservableInput(ObservableType.DOMAIN, "Evil.Example")])
    _new_case(tracker, observables=[ObservableInput(ObservableType.IP, "::ffff:203.0.113.7")])
    _new_case(tracker, observables=[ip])

    counts = {link.observable.value: others for link, others in tracker.cases.observables(first.id)}

    assert counts == {"203.0.113.7": 2, "evil.example": 0}


def test_case_add_and_remove_observables_are_audited(tracker: Tracker) -> None:
    case = _new_case(tracker)

    case = tracker.cases.add_observables(
        "bob", case.id, [ObservableInput(ObservableType.SHA256, "A" * 64, ioc=True)]
    )
    [link] = case.observable_links
    tracker.cases.remove_observable("bob", case.id, link.observable_id)

    assert tracker.cases.observables(case.id) == []
    assert [(e["action"], e["before"], e["after"]) for e in _history(tracker, case.id)[1:]] == [
        ("observable_added", {}, {"observable_id": link.observable_id}),
        ("observable_removed", {"observable_id": link.observable_id}, {}),
    ]


def test_case_remove_an_observable_that_is_not_linked_is_refused(tracker: Tracker) -> None:
    case = _new_case(tracker)

    with pytest.raises(ValidationFailed) as caught:
        tracker.cases.remove_observable("bob", case.id, "obs_nope")

    assert caught.value.issues[0].path == "observable_id"


def test_case_search_filters_by_assignee_tier_tag_and_status(tracker: Tracker) -> None:
    mine = _new_case(tracker, assignee="bob", tags=["vip"])
    high = _new_case(tracker, tier=2)
    tracker.cases.transition("bob", high.id, S.TRIAGE)

    def ids(**query: Any) -> set[str]:
        return {row.id for row in tracker.cases.search(ListQuery(**query)).items}

    assert ids(extra={"assignee": "bob"}) == {mine.id}
    assert ids(extra={"assignee": None}) == {high.id}
    assert ids(extra={"tier": 2}) == {high.id}
    assert ids(tag="VIP") == {mine.id}
    assert ids(status=["triage"]) == {high.id}


def test_case_timeline_lists_case_task_and_comment_entries_in_order_with_actors(tracker: Tracker) -> None:
    case = _new_case(tracker)
    tracker.cases.transition("bob", case.id, S.TRIAGE)
    task = tracker.tasks.create("bob", case.id, TaskInput(title="Pull mail headers"))
    comment = tracker.notes.comment("carol", case.id, "Headers attached")
    tracker.tasks.update("dana", task.id, changes={"status": "done"})
    other = _new_case(tracker, title="unrelated")
    tracker.notes.comment("eve", other.id, "not in this timeline")

    timeline = tracker.cases.timeline(case.id)

    assert [(e.object_type, e.object_id, e.action, e.actor) for e in timeline] == [
        ("case", case.id, "created", "alice"),
        ("case", case.id, "transitioned", "bob"),
        ("task", task.id, "created", "bob"),
        ("comment", comment.id, "created", "carol"),
        ("task", task.id, "completed", "dana"),
    ]
    assert [e.seq for e in timeline] == sorted(e.seq for e in timeline)


def test_case_timeline_of_an_unknown_case_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.cases.timeline("case_nope")
