"""Task and comment endpoints: tasks with checklists and their lifecycle, and case comments."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_task_create_with_checklist_and_list_in_order(client: TestClient, post_case: Any) -> None:
    case = post_case()

    first = client.post(
        f"/api/v1/cases/{case['id']}/tasks",
        json={
            "title": "Isolate host",
            "instructions": "Use the EDR console",
            "checklist": [{"text": "Isolate"}, {"text": "Confirm", "done": True}],
            "assignee": "alice",
            "due_at": "2030-01-01T12:00:00+02:00",
        },
    )
    second = client.post(f"/api/v1/cases/{case['id']}/tasks", json={"title": "Reset password"})

    assert first.status_code == 201
    task = first.json()
    assert first.headers["location"] == f"/api/v1/tasks/{task['id']}"
    assert task["checklist"] == [{"text": "Isolate", "done": False}, {"text": "Confirm", "done": True}]
    assert (task["status"], task["assignee"], task["case_id"]) == ("open", "alice", case["id"])
    assert task["due_at"] == "2030-01-01T10:00:00Z"
    listed = client.get(f"/api/v1/cases/{case['id']}/tasks").json()
    assert [t["id"] for t in listed["items"]] == [task["id"], second.json()["id"]]
    assert [t["position"] for t in listed["items"]] == [1, 2]
    assert listed["next"] is None


def test_task_get_and_missing(client: TestClient, post_case: Any) -> None:
    case = post_case()
    task = client.post(f"/api/v1/cases/{case['id']}/tasks", json={"title": "Triage"}).json()

    assert client.get(f"/api/v1/tasks/{task['id']}").json() == task
    missing = client.get("/api/v1/tasks/task_nope")
    assert missing.status_code == 404
    assert "task_nope" in missing.json()["detail"]


def test_task_update_checklist_and_complete(client: TestClient, post_case: Any) -> None:
    case = post_case()
    task = client.post(
        f"/api/v1/cases/{case['id']}/tasks", json={"title": "Collect", "checklist": [{"text": "memory"}]}
    ).json()

    progressed = client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"checklist": [{"text": "memory", "done": True}, {"text": "disk"}], "status": "in_progress"},
    )
    done = client.patch(
        f"/api/v1/tasks/{task['id']}", json={"status": "done", "version": progressed.json()["version"]}
    )

    assert progressed.status_code == 200, progressed.text
    assert progressed.json()["checklist"] == [
        {"text": "memory", "done": True},
        {"text": "disk", "done": False},
    ]
    assert done.json()["status"] == "done"
    assert done.json()["completed_at"] is not None
    actions = [e["action"] for e in client.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]]
    assert actions[-3:] == ["created", "updated", "completed"]


def test_task_clear_assignee_and_due_with_null(client: TestClient, post_case: Any) -> None:
    case = post_case()
    task = client.post(
        f"/api/v1/cases/{case['id']}/tasks",
        json={"title": "Call user", "assignee": "bob", "due_at": "2030-01-01T00:00:00Z"},
    ).json()

    cleared = client.patch(f"/api/v1/tasks/{task['id']}", json={"assignee": None, "due_at": None}).json()

    assert (cleared["assignee"], cleared["due_at"]) == (None, None)
    assert cleared["title"] == "Call user"


def test_task_null_title_or_status_is_422(client: TestClient, post_case: Any, paths_of: Any) -> None:
    case = post_case()
    task = client.post(f"/api/v1/cases/{case['id']}/tasks", json={"title": "x"}).json()

    response = client.patch(f"/api/v1/tasks/{task['id']}", json={"title": None, "status": None})

    assert response.status_code == 422
    assert sorted(paths_of(response)) == ["body.status", "body.title"]


def test_task_illegal_status_move_is_409(client: TestClient, post_case: Any) -> None:
    case = post_case()
    task = client.post(f"/api/v1/cases/{case['id']}/tasks", json={"title": "x"}).json()
    client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "cancelled"})

    response = client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "done"})

    assert response.status_code == 409
    assert response.json()["details"] == {"current": "cancelled", "target": "done", "allowed": ["open"]}


def test_task_stale_version_is_409(client: TestClient, post_case: Any) -> None:
    case = post_case()
    task = client.post(f"/api/v1/cases/{case['id']}/tasks", json={"title": "x"}).json()
    client.patch(f"/api/v1/tasks/{task['id']}", json={"title": "y"})

    response = client.patch(
        f"/api/v1/tasks/{task['id']}", json={"title": "z"}, headers={"If-Match": f'"{task["version"]}"'}
    )

    assert response.status_code == 409


def test_task_naive_due_time_is_422(client: TestClient, post_case: Any, paths_of: Any) -> None:
    case = post_case()

    response = client.post(
        f"/api/v1/cases/{case['id']}/tasks", json={"title": "x", "due_at": "2030-01-01T00:00:00"}
    )

    assert response.status_code == 422
    assert paths_of(response) == ["body.due_at"]


def test_task_on_missing_case_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/cases/case_nope/tasks", json={"title": "x"})

    assert response.status_code == 404
    assert "case_nope" in response.json()["detail"]


def test_comment_add_and_list_oldest_first(client: TestClient, post_case: Any) -> None:
    case = post_case()

    first = client.post(
        f"/api/v1/cases/{case['id']}/comments",
        json={"body": "First look"},
        headers={"X-Socflow-Actor": "alice"},
    )
    client.post(f"/api/v1/cases/{case['id']}/comments", json={"body": "Second look"})

    assert first.status_code == 201
    assert first.json()["author"] == "api:alice"
    comments = client.get(f"/api/v1/cases/{case['id']}/comments").json()["items"]
    assert [c["body"] for c in comments] == ["First look", "Second look"]
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]
    assert [e["object_type"] for e in timeline].count("comment") == 2


def test_comment_empty_body_is_422(client: TestClient, post_case: Any, paths_of: Any) -> None:
    case = post_case()

    response = client.post(f"/api/v1/cases/{case['id']}/comments", json={"body": ""})

    assert response.status_code == 422
    assert paths_of(response) == ["body.body"]


def test_comment_list_on_missing_case_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/cases/case_nope/comments").status_code == 404
