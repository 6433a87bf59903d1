"""GET /api/v1/runs/{id}: a state-machine run resting in a state says which state, left by what."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

TRIAGE = """
id: triage_states
name: Triage in states
kind: state_machine
initial: triage
states:
  - id: triage
    transitions:
      - {event: analyst.decision, when: "event.data.verdict == 'benign'", to: closed}
      - {event: analyst.escalate, to: closed}
  - {id: closed, final: true, outcome: closed}
"""


def test_api_run_detail_shows_the_state_a_run_rests_in(make_client: Any) -> None:
    client = make_client(run_stuck_after=timedelta(hours=2))
    saved = client.post("/api/v1/playbooks", content=TRIAGE, headers={"Content-Type": "text/yaml"})
    assert saved.status_code == 201, saved.text
    assert client.post("/api/v1/playbooks/triage_states/publish").status_code == 200
    run_id = client.post("/api/v1/playbooks/triage_states/runs", json={"inputs": {}}).json()["id"]

    response = client.get(f"/api/v1/runs/{run_id}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "waiting"
    [waiting] = body["waiting_on"]
    assert (waiting["kind"], waiting["step_id"], waiting["name"], waiting["attempt"]) == (
        "state",
        "triage",
        "triage",
        None,
    )
    assert waiting["events"] == [
        {
            "name": "analyst.decision",
            "guarded": True,
            "when": "event.data.verdict == 'benign'",
            "to": "closed",
        },
        {"name": "analyst.escalate", "guarded": False, "when": None, "to": "closed"},
    ]
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(waiting["since"]) == created  # entered when the run started
    assert datetime.fromisoformat(waiting["deadline"]) == created + timedelta(hours=2)
    assert waiting["deadline_kind"] == "stuck_after"

    decided = client.post(f"/api/v1/runs/{run_id}/events", json={"name": "analyst.escalate"})
    assert decided.status_code == 200, decided.text
    after = client.get(f"/api/v1/runs/{run_id}").json()
    assert (after["status"], after["waiting_on"]) == ("succeeded", [])
