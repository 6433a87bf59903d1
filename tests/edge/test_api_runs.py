"""Run routes: start a run of a published playbook, list runs, and read one with its journal."""

from __future__ import annotations

from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService

ECHOING = """
id: echoing
name: Echo
kind: sequential
steps:
  - id: say
    type: action
    action: test.echo
    args: {text: "{{ inputs.text }}"}
    next: done
  - id: done
    type: end
    outcome: said
inputs:
  - {name: text, type: string, required: true}
"""


def _publish(client: TestClient) -> None:
    saved = client.post("/api/v1/playbooks", content=ECHOING, headers={"Content-Type": "text/yaml"})
    assert saved.status_code == 201, saved.text
    assert client.post("/api/v1/playbooks/echoing/publish").status_code == 200


def test_api_run_start_then_drain_and_read_with_journal(client: TestClient, tracker: Tracker) -> None:
    _publish(client)

    started = client.post("/api/v1/playbooks/echoing/runs", json={"inputs": {"text": "hi"}})
    RunService(tracker.database, PlaybookCatalogue(tracker.database)).drain()
    run_id = started.json()["id"]
    detail = client.get(f"/api/v1/runs/{run_id}")
    listed = client.get("/api/v1/runs", params={"status": "succeeded"})

    assert started.status_code == 201, started.text
    assert started.headers["Location"] == f"/api/v1/runs/{run_id}"
    assert started.json()["status"] == "running"
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["outcome"]) == ("succeeded", "said")
    assert [(a["step_id"], a["output"]) for a in body["attempts"]] == [("say", {"text": "hi"})]
    assert [e["seq"] for e in body["journal"]] == list(range(1, len(body["journal"]) + 1))
    assert [item["id"] for item in listed.json()["items"]] == [run_id]


def test_api_run_start_of_an_unpublished_playbook_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/playbooks/nothing/runs", json={"inputs": {}})

    assert response.status_code == 404


def test_api_run_start_with_a_missing_input_is_422(client: TestClient) -> None:
    _publish(client)

    response = client.post("/api/v1/playbooks/echoing/runs", json={})

    assert response.status_code == 422


def test_api_run_unknown_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/runs/nope").status_code == 404


AWAITING = """
id: awaiting
name: Awaiting approval
kind: sequential
steps:
  - id: approve
    type: approval
    role: soc_lead
    prompt: block it?
    authorizes: block
    expires: 2h
    next: block
  - id: block
    type: action
    action: test.echo
    args: {text: blocked}
    next: done
  - id: done
    type: end
    outcome: blocked
"""


def test_api_run_detail_says_what_the_run_waits_on_and_until_when(
    client: TestClient, tracker: Tracker
) -> None:
    saved = client.post("/api/v1/playbooks", content=AWAITING, headers={"Content-Type": "text/yaml"})
    assert saved.status_code == 201, saved.text
    assert client.post("/api/v1/playbooks/awaiting/publish").status_code == 200
    run_id = client.post("/api/v1/playbooks/awaiting/runs", json={"inputs": {}}).json()["id"]

    body = client.get(f"/api/v1/runs/{run_id}").json()

    assert body["status"] == "waiting"
    [waiting] = body["waiting_on"]
    assert (waiting["step_id"], waiting["kind"], waiting["who"]["role"]) == (
        "approve",
        "approval",
        "soc_lead",
    )
    assert waiting["since"] is not None
    assert waiting["expires_at"] is not None
    [attempt] = body["attempts"]
    assert attempt["due_at"] is not None
