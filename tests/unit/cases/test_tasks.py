"""Case tasks: a checklist, an assignee, a due time, and status moves by the task table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from socflow.cases.case_service import CaseInput
from socflow.cases.tasks import ChecklistItem, TaskInput
from socflow.cases.tracker import Tracker
from socflow.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from socflow.storage import audit
from socflow.storage.tables import TaskRow


@pytest.fixture
def case_id(tracker: Tracker) -> str:
    return tracker.cases.create("alice", CaseInput(title="Ransomware on FS01")).id


def _task(tracker: Tracker, case_id: str, **overrides: Any) -> TaskRow:
    return tracker.tasks.create("alice", case_id, TaskInput(**{"title": "Isolate FS01", **overrides}))


def _history(tracker: Tracker, task_id: str) -> list[dict[str, Any]]:
    with tracker.database.session(write=False) as session:
        rows = audit.entries_for(session, "task", task_id)
    return [
        {"action": r.action, "actor": r.actor, "before": json.loads(r.before), "after": json.loads(r.after)}
        for r in rows
    ]


def test_task_create_with_a_checklist(tracker: Tracker, case_id: str) -> None:
    due = datetime(2026, 5, 1, 17, 0, tzinfo=timezone(timedelta(hours=-4)))

    task = _task(
        tracker,
        case_id,
        instructions="Pull the network cable",
        checklist=[ChecklistItem(" Unplug "), ChecklistItem("Photograph", done=True)],
        assignee="bob",
        due_at=due,
    )

    assert task.id.startswith("task_")
    assert (task.status, task.position, task.assignee, task.completed_at) == ("open", 1, "bob", None)
    assert task.checklist == [{"text": "Unplug", "done": False}, {"text": "Photograph", "done": True}]
    assert tracker.tasks.get(task.id).due_at == due
    [entry] = _history(tracker, task.id)
    assert entry["action"] == "created"
    assert entry["after"]["case_id"] == case_id
    assert entry["after"]["due_at"] == "2026-05-01T21:00:00+00:00"


def test_task_assignee_is_trimmed_and_an_empty_one_unassigns(tracker: Tracker, case_id: str) -> None:
    task = _task(tracker, case_id, assignee=" bob ")

    unassigned = tracker.tasks.update("carol", task.id, changes={"assignee": ""})

    assert task.assignee == "bob"
    assert unassigned.assignee is None


def test_task_positions_follow_creation_order(tracker: Tracker, case_id: str) -> None:
    titles = ["Isolate", "Image disk", "Restore"]
    for title in titles:
        _task(tracker, case_id, title=title)

    tasks = tracker.tasks.for_case(case_id)

    assert [(t.position, t.title) for t in tasks] == [(1, "Isolate"), (2, "Image disk"), (3, "Restore")]


@pytest.mark.parametrize(
    ("overrides", "paths"),
    [
        ({"title": "  "}, ["title"]),
        (
            {"checklist": [ChecklistItem("ok"), ChecklistItem(" "), ChecklistItem("")]},
            ["checklist[1].text", "checklist[2].text"],
        ),
        ({"due_at": datetime(2026, 5, 1, 17, 0)}, ["due_at"]),
        ({"assignee": "b" * 201}, ["assignee"]),
        ({"assignee": "   "}, ["assignee"]),
    ],
)
def test_task_create_refuses_invalid_input_naming_every_field(
    tracker: Tracker, case_id: str, overrides: dict[str, Any], paths: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _task(tracker, case_id, **overrides)

    assert [issue.path for issue in caught.value.issues] == paths
    assert tracker.tasks.for_case(case_id) == []


def test_task_create_on_an_unknown_case_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.tasks.create("alice", "case_nope", TaskInput(title="x"))


def test_task_update_edits_the_checklist_and_assignee(tracker: Tracker, case_id: str) -> None:
    task = _task(tracker, case_id, checklist=[ChecklistItem("Unplug")])

    updated = tracker.tasks.update(
        "bob",
        task.id,
        changes={
            "checklist": [ChecklistItem("Unplug", done=True)],
            "assignee": "carol",
            "title": " Isolate ",
        },
    )

    assert updated.checklist == [{"text": "Unplug", "done": True}]
    assert (updated.assignee, updated.title, updated.version) == ("carol", "Isolate", 2)
    assert _history(tracker, task.id)[-1] == {
        "action": "updated",
        "actor": "bob",
        "before": {
            "title": "Isolate FS01",
            "checklist": [{"text": "Unplug", "done": False}],
            "assignee": None,
        },
        "after": {"title": "Isolate", "checklist": [{"text": "Unplug", "done": True}], "assignee": "carol"},
    }


def test_task_done_sets_completed_at_and_reopening_clears_it(tracker: Tracker, case_id: str) -> None:
    task = _task(tracker, case_id)

    started = tracker.tasks.update("bob", task.id, changes={"status": "in_progress"})
    done = tracker.tasks.update("bob", task.id, changes={"status": "done"})
    reopened = tracker.tasks.update("bob", task.id, changes={"status": "in_progress"})

    assert started.completed_at is None
    assert done.completed_at is not None
    assert done.completed_at.tzinfo is UTC
    assert reopened.completed_at is None
    assert [e["action"] for e in _history(tracker, task.id)] == ["created", "updated", "completed", "updated"]


def test_task_cancelled_can_only_be_reopened(tracker: Tracker, case_id: str) -> None:
    task = _task(tracker, case_id)
    tracker.tasks.update("bob", task.id, changes={"status": "cancelled"})

    with pytest.raises(InvalidTransition, match="allowed from 'cancelled': open"):
        tracker.tasks.update("bob", task.id, changes={"status": "done"})

    assert tracker.tasks.update("bob", task.id, changes={"status": "open"}).status == "open"


def test_task_illegal_move_changes_nothing(tracker: Tracker, case_id: str) -> None:
    task = _task(tracker, case_id)
    tracker.tasks.update("bob", task.id, changes={"status": "done"})

    with pytest.raises(InvalidTransition) as caught:
        tracker.tasks.update("bob", task.id, changes={"status": "cancelled", "title": "Changed"})

    assert caught.value.details == {"current": "done", "target": "cancelled", "allowed": ["in_progress"]}
    stored = tracker.tasks.get(task.id)
    assert (stored.status, stored.title, stored.version) == ("done", "Isolate FS01", 2)


def test_task_move_to_the_status_it_has_is_no_change(tracker: Tracker, case_id: str) -> None:
    task = _task(tracker, case_id)

    same = tracker.tasks.update("bob", task.id, changes={"status": "open"})

    assert same.version == 1
    assert len(_history(tracker, task.id)) == 1


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"status": "finished"}, "status"),
        ({"due_at": datetime(2026, 1, 1)}, "due_at"),
        ({"title": ""}, "title"),
        ({"checklist": [ChecklistItem("")]}, "checklist[0].text"),
        ({"case_id": "case_other"}, "case_id"),
        ({"assignee": "b" * 201}, "assignee"),
    ],
)
def test_task_update_refuses_invalid_changes_naming_the_field(
    tracker: Tracker, case_id: str, changes: dict[str, Any], path: str
) -> None:
    task = _task(tracker, case_id)

    with pytest.raises(ValidationFailed) as caught:
        tracker.tasks.update("bob", task.id, changes=changes)

    assert [issue.path for issue in caught.value.issues] == [path]


def test_task_update_with_a_stale_version_is_a_conflict(tracker: Tracker, case_id: str) -> None:
    task = _task(tracker, case_id)
    tracker.tasks.update("bob", task.id, changes={"assignee": "bob"})

    with pytest.raises(Conflict):
        tracker.tasks.update("carol", task.id, changes={"assignee": "carol"}, expected_version=1)


def test_task_get_unknown_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound, match="task 'task_nope' does not exist"):
        tracker.tasks.get("task_nope")
