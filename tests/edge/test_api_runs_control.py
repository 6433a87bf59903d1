"""Run control over the API: pause, resume, cancel, retry with edited args, decisions, bulk re-drive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service

APPROVAL = """
id: contain_host
name: contain host
kind: sequential
steps:
  - id: approve
    type: approval
    role: soc_lead
    prompt: isolate it?
    authorizes: isolate
    next: isolate
  - id: isolate
    type: action
    action: test.echo
    args: {text: isolated}
    next: done
  - id: done
    type: end
    outcome: contained
"""

SLEEPY = """
id: sleepy
name: sleepy
kind: sequential
steps:
  - id: nap
    type: action
    action: test.sleep
    args: {seconds: lots}
    next: done
  - id: done
    type: end
    outcome: rested
"""

FAILING = """
id: {id}
name: failing
kind: sequential
steps:
  - id: call
    type: action
    action: test.fail
    args: {{code: {code}}}
"""

TASK = """
id: with_task
name: with task
kind: sequential
steps:
  - id: review
    type: human_task
    instructions: review the mailbox
    next: done
  - id: done
    type: end
    outcome: reviewed
"""


def _publish(client: TestClient, text: str) -> str:
    saved = client.post("/api/v1/playbooks", content=text, headers={"Content-Type": "text/yaml"})
    assert saved.status_code == 201, saved.text
    playbook_id = str(saved.json()["playbook_id"] if "playbook_id" in saved.json() else saved.json()["id"])
    assert client.post(f"/api/v1/playbooks/{playbook_id}/publish").status_code == 200
    return playbook_id


def _start(client: TestClient, playbook_id: str, actor: str = "bob", **body: Any) -> str:
    started = client.post(
        f"/api/v1/playbooks/{playbook_id}/runs", json=body, headers={"X-Socflow-Actor": actor}
    )
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


@pytest.fixture
def worker(tracker: Tracker) -> RunService:
    return build_run_service(tracker.database)


def test_api_runs_approval_is_decided_with_role_and_four_eyes(client: TestClient, worker: RunService) -> None:
    run_id = _start(client, _publish(client, APPROVAL), actor="bob")
    path = f"/api/v1/runs/{run_id}/steps/approve/decision"

    no_role = client.post(path, json={"decision": "approved"}, headers={"X-Socflow-Actor": "alice"})
    own = client.post(
        path, json={"decision": "approved", "roles": ["soc_lead"]}, headers={"X-Socflow-Actor": "bob"}
    )
    approved = client.post(
        path, json={"decision": "approved", "roles": ["soc_lead"]}, headers={"X-Socflow-Actor": "alice"}
    )
    worker.drain()

    assert no_role.status_code == 403
    assert "soc_lead" in no_role.json()["detail"]
    assert own.status_code == 403
    assert approved.status_code == 200, approved.text
    run = client.get(f"/api/v1/runs/{run_id}").json()
    assert (run["status"], run["outcome"]) == ("succeeded", "contained")
    signalled = [e for e in run["journal"] if e["kind"] == "signalled"]
    assert signalled[0]["actor"] == "api:alice"


def test_api_runs_human_task_answer_and_refusals(client: TestClient, worker: RunService) -> None:
    run_id = _start(client, _publish(client, TASK))

    wrong_step = client.post(f"/api/v1/runs/{run_id}/steps/nope/decision", json={"decision": "done"})
    blank = client.post(f"/api/v1/runs/{run_id}/steps/review/decision", json={"decision": ""})
    answered = client.post(
        f"/api/v1/runs/{run_id}/steps/review/decision", json={"decision": "done", "data": {"note": "clean"}}
    )

    assert wrong_step.status_code == 409
    assert "review" in wrong_step.json()["detail"]  # names what does wait for people
    assert blank.status_code == 422
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "succeeded"
    detail = client.get(f"/api/v1/runs/{run_id}").json()
    review = next(a for a in detail["attempts"] if a["step_id"] == "review")
    assert review["status"] == "succeeded"


def test_api_runs_pause_resume_cancel(client: TestClient, worker: RunService) -> None:
    run_id = _start(client, _publish(client, TASK))

    paused = client.post(f"/api/v1/runs/{run_id}/pause")
    paused_again = client.post(f"/api/v1/runs/{run_id}/pause")
    resumed = client.post(f"/api/v1/runs/{run_id}/resume")
    cancelled = client.post(f"/api/v1/runs/{run_id}/cancel", json={"reason": "duplicate alert"})
    resumed_late = client.post(f"/api/v1/runs/{run_id}/resume")

    assert paused.json()["status"] == "paused"
    assert paused_again.status_code == 409
    assert resumed.json()["status"] in ("running", "waiting")
    assert (cancelled.json()["status"], cancelled.json()["outcome"]) == ("cancelled", "duplicate alert")
    assert resumed_late.status_code == 409
    assert client.post("/api/v1/runs/nope/pause").status_code == 404


def test_api_runs_retry_a_failed_step_with_edited_arguments(client: TestClient, worker: RunService) -> None:
    run_id = _start(client, _publish(client, SLEEPY))
    worker.drain()
    assert client.get(f"/api/v1/runs/{run_id}").json()["status"] == "failed"

    unknown_field = client.post(f"/api/v1/runs/{run_id}/retry", json={"step": "nap", "seconds": 0})
    retried = client.post(f"/api/v1/runs/{run_id}/retry", json={"step": "nap", "args": {"seconds": 0}})
    worker.drain()

    assert unknown_field.status_code == 422
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "running"
    detail = client.get(f"/api/v1/runs/{run_id}").json()
    assert (detail["status"], detail["outcome"]) == ("succeeded", "rested")
    naps = [a for a in detail["attempts"] if a["step_id"] == "nap"]
    assert [a["status"] for a in naps] == ["failed", "succeeded"]
    assert naps[1]["args"] == {"seconds": 0}
    assert naps[0]["idempotency_key"] != naps[1]["idempotency_key"]


def test_api_runs_redrive_by_playbook_and_error_code(client: TestClient, worker: RunService) -> None:
    first = _publish(client, FAILING.format(id="flaky_feed", code="upstream_down"))
    other = _publish(client, FAILING.format(id="other_feed", code="bad_token"))
    runs = [_start(client, first), _start(client, first), _start(client, other)]
    worker.drain()

    dry = client.post("/api/v1/runs/redrive", json={"playbook": first, "dry_run": True})
    wrong_code = client.post("/api/v1/runs/redrive", json={"error_code": "nothing_like_it"})
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    later = client.post("/api/v1/runs/redrive", json={"since": future})
    naive = client.post("/api/v1/runs/redrive", json={"since": "2026-01-01T00:00:00"})
    statuses_after_dry = {client.get(f"/api/v1/runs/{r}").json()["status"] for r in runs}
    real = client.post("/api/v1/runs/redrive", json={"error_code": "upstream_down"})

    assert dry.status_code == 200, dry.text
    assert (dry.json()["matched"], dry.json()["redriven"]) == (2, 0)
    assert {item["run_id"] for item in dry.json()["items"]} == set(runs[:2])
    assert statuses_after_dry == {"failed"}
    assert wrong_code.json()["matched"] == 0
    assert later.json()["matched"] == 0
    assert naive.status_code == 422
    assert (real.json()["matched"], real.json()["redriven"]) == (2, 2)
    assert [item["step"] for item in real.json()["items"]] == ["call", "call"]
    assert [client.get(f"/api/v1/runs/{r}").json()["status"] for r in runs] == [
        "running",
        "running",
        "failed",
    ]


def test_api_runs_control_needs_the_token(anonymous: TestClient) -> None:
    for path in ("/api/v1/runs/x/pause", "/api/v1/runs/x/cancel", "/api/v1/runs/redrive"):
        assert anonymous.post(path, json={}).status_code == 401
    assert anonymous.get("/api/v1/cases/x/runs").status_code == 401


WAITS_EVENT = """
id: awaits_callback
name: awaits callback
kind: sequential
steps:
  - id: callback
    type: wait_event
    event: user_replied
    correlate: {ticket: "{{ inputs.ticket }}"}
    next: done
  - id: done
    type: end
    outcome: replied
inputs:
  - {name: ticket, type: string, required: true}
"""


def test_api_runs_event_completes_the_correlated_wait(client: TestClient) -> None:
    run_id = _start(client, _publish(client, WAITS_EVENT), inputs={"ticket": "T-1"})

    other = client.post(
        f"/api/v1/runs/{run_id}/events", json={"name": "user_replied", "data": {"ticket": "T-2"}}
    )
    matching = client.post(
        f"/api/v1/runs/{run_id}/events",
        json={"name": "user_replied", "data": {"ticket": "T-1", "reply": "yes"}},
    )
    empty = client.post(f"/api/v1/runs/{run_id}/events", json={"name": ""})

    assert other.json()["status"] == "waiting"
    assert (matching.json()["status"], matching.json()["outcome"]) == ("succeeded", "replied")
    assert empty.status_code == 422
