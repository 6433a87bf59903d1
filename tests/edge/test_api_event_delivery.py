"""`POST /api/v1/events/deliver`: one event completes every run waiting for it with matching keys."""

from __future__ import annotations

from fastapi.testclient import TestClient

WAITS = """
id: awaits_scan
name: awaits scan
kind: sequential
inputs:
  - {name: ip, type: string, required: true}
steps:
  - id: scan
    type: wait_event
    event: scan.done
    correlate: {host.ip: "{{ inputs.ip }}"}
    next: done
  - id: done
    type: end
    outcome: scanned
"""


def _publish(client: TestClient) -> str:
    saved = client.post("/api/v1/playbooks", content=WAITS, headers={"Content-Type": "text/yaml"})
    assert saved.status_code == 201, saved.text
    assert client.post("/api/v1/playbooks/awaits_scan/publish").status_code == 200
    return "awaits_scan"


def _start(client: TestClient, playbook_id: str, ip: str) -> str:
    started = client.post(f"/api/v1/playbooks/{playbook_id}/runs", json={"inputs": {"ip": ip}})
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


def test_api_deliver_signals_the_matching_runs_only(client: TestClient) -> None:
    playbook = _publish(client)
    first, second, other = (_start(client, playbook, ip) for ip in ("10.1.1.1", "10.1.1.1", "10.9.9.9"))

    delivered = client.post(
        "/api/v1/events/deliver",
        json={"name": "scan.done", "data": {"host": {"ip": "10.1.1.1"}, "open_ports": [22]}},
        headers={"X-Socflow-Actor": "scanner"},
    )
    again = client.post(
        "/api/v1/events/deliver", json={"name": "scan.done", "data": {"host": {"ip": "10.1.1.1"}}}
    )

    assert delivered.status_code == 200, delivered.text
    assert delivered.json() == {"event": "scan.done", "runs": [first, second]}
    assert again.json()["runs"] == []  # the waits are done: nothing is signalled twice
    assert client.get(f"/api/v1/runs/{first}").json()["status"] == "succeeded"
    assert client.get(f"/api/v1/runs/{other}").json()["status"] == "waiting"


def test_api_deliver_refuses_bad_bodies_and_needs_the_token(
    client: TestClient, anonymous: TestClient
) -> None:
    no_name = client.post("/api/v1/events/deliver", json={"name": "", "data": {}})
    not_object = client.post("/api/v1/events/deliver", json={"name": "x", "data": [1]})
    extra = client.post("/api/v1/events/deliver", json={"name": "x", "payload": {}})

    assert [r.status_code for r in (no_name, not_object, extra)] == [422, 422, 422]
    assert "name" in no_name.text
    assert anonymous.post("/api/v1/events/deliver", json={"name": "x"}).status_code == 401
