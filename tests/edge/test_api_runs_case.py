"""Runs on a case over the API: the case's runs, run events in its timeline, sub-playbook steps."""

from __future__ import annotations

from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker
from socflow.worker.services import build_run_service

TAGGER = """
id: tagger
name: tagger
kind: sequential
steps:
  - id: tag
    type: case_operation
    operation: add_tag
    args: {tag: automated}
    next: note
  - id: note
    type: case_operation
    operation: comment
    args: {text: "tagged by {{ run.id }}"}
    next: done
  - id: done
    type: end
    outcome: tagged
"""

CHILD = """
id: hold_child
name: child
kind: sequential
steps:
  - id: wait
    type: human_task
    instructions: check
"""

PARENT = """
id: holds_parent
name: parent
kind: sequential
steps:
  - id: call
    type: sub_playbook
    playbook: hold_child
"""


def _publish(client: TestClient, text: str) -> None:
    saved = client.post("/api/v1/playbooks", content=text, headers={"Content-Type": "text/yaml"})
    assert saved.status_code == 201, saved.text
    playbook_id = text.split("id: ", 1)[1].split("\n", 1)[0]
    assert client.post(f"/api/v1/playbooks/{playbook_id}/publish").status_code == 200


def _case(client: TestClient) -> str:
    created = client.post("/api/v1/cases", json={"title": "suspicious login"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_api_runs_case_timeline_shows_the_run_and_its_changes(client: TestClient, tracker: Tracker) -> None:
    case_id = _case(client)
    _publish(client, TAGGER)
    started = client.post("/api/v1/playbooks/tagger/runs", json={"case_id": case_id})
    run_id = started.json()["id"]
    build_run_service(tracker.database).drain()

    timeline = client.get(f"/api/v1/cases/{case_id}/timeline").json()["items"]
    runs = client.get(f"/api/v1/cases/{case_id}/runs").json()["items"]

    run_events = [(e["action"], e["after"].get("operation")) for e in timeline if e["object_type"] == "run"]
    assert run_events == [
        ("started", None),
        ("case_operation", "add_tag"),
        ("case_operation", "comment"),
        ("finished", None),
    ]
    actor = f"playbook:tagger/run:{run_id}"
    changes = {(e["object_type"], e["action"]) for e in timeline if e["actor"] == actor}
    assert ("case", "updated") in changes
    assert ("comment", "created") in changes
    assert [e["seq"] for e in timeline] == sorted(e["seq"] for e in timeline)
    assert [(r["id"], r["status"], r["case_id"]) for r in runs] == [(run_id, "succeeded", case_id)]
    assert client.get(f"/api/v1/cases/{case_id}").json()["tags"] == ["automated"]


def test_api_runs_case_runs_of_an_unknown_case_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/cases/case_nope/runs").status_code == 404


def test_api_runs_case_child_runs_are_listed_and_their_step_is_not_answered_by_people(
    client: TestClient, tracker: Tracker
) -> None:
    case_id = _case(client)
    _publish(client, CHILD)
    _publish(client, PARENT)
    run_id = client.post("/api/v1/playbooks/holds_parent/runs", json={"case_id": case_id}).json()["id"]
    build_run_service(tracker.database).drain()

    refused = client.post(f"/api/v1/runs/{run_id}/steps/call/decision", json={"decision": "succeeded"})
    runs = client.get(f"/api/v1/cases/{case_id}/runs").json()["items"]

    assert refused.status_code == 409
    assert "sub_playbook" in refused.json()["detail"]
    assert [(r["playbook_id"], r["parent_run_id"]) for r in runs] == [
        ("holds_parent", None),
        ("hold_child", run_id),
    ]
    child_id = runs[1]["id"]
    done = client.post(f"/api/v1/runs/{child_id}/steps/wait/decision", json={"decision": "done"})
    assert done.json()["status"] == "succeeded"
    parent = client.get(f"/api/v1/runs/{run_id}").json()
    assert parent["status"] == "succeeded"
