"""Webhooks: the per-playbook secret, the body as trigger.webhook, `?wait` answering with the outputs."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker
from socflow.storage import audit
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
from socflow.worker.webhooks import SECRET_HEADER, WebhookService

HOOKED = """
id: hooked
name: Hooked
kind: sequential
trigger:
  kind: webhook
  path: from-siem
  filter: "webhook.severity != 'info'"
steps:
  - id: say
    type: action
    action: test.echo
    args: {text: "{{ trigger.webhook.message }}"}
    next: done
  - id: done
    type: end
    outcome: said
outputs:
  said: "{{ steps.say.result.text }}"
"""
MANUAL_ONLY = "id: manual_only\nname: m\nkind: sequential\nsteps:\n  - {id: s, type: end}\n"


def _publish(tracker: Tracker, text: str) -> str:
    catalogue = PlaybookCatalogue(tracker.database)
    version = catalogue.save_draft("cli:admin", text)
    catalogue.publish("cli:admin", version.playbook_id, version.number)
    return version.playbook_id


@pytest.fixture
def secret(tracker: Tracker) -> str:
    playbook_id = _publish(tracker, HOOKED)
    runs = RunService(tracker.database, PlaybookCatalogue(tracker.database))
    return WebhookService(tracker.database, runs).rotate_secret("cli:admin", playbook_id)


def _post(anonymous: TestClient, secret: str | None, body: Any = None, **params: Any) -> Any:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return anonymous.post("/api/v1/webhooks/hooked", json=body or {}, headers=headers, params=params)


def test_a_webhook_with_its_secret_starts_a_run_with_the_body(
    anonymous: TestClient, tracker: Tracker, secret: str
) -> None:
    response = _post(anonymous, secret, {"message": "disk full", "severity": "high"})

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] in {"running", "succeeded"}  # an in-process worker may already be on it
    assert response.headers["Location"] == f"/api/v1/runs/{body['run_id']}"
    run = RunService(tracker.database, PlaybookCatalogue(tracker.database)).get(body["run_id"])
    assert run.trigger["kind"] == "webhook"
    assert run.trigger["webhook"] == {"message": "disk full", "severity": "high"}


def test_wait_answers_200_with_the_outputs_when_the_run_finishes(anonymous: TestClient, secret: str) -> None:
    response = _post(anonymous, secret, {"message": "hello", "severity": "high"}, wait=10)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["outcome"], body["outputs"]) == ("succeeded", "said", {"said": "hello"})


def test_the_trigger_path_is_a_second_name(anonymous: TestClient, secret: str) -> None:
    response = anonymous.post(
        "/api/v1/webhooks/from-siem", json={"severity": "high"}, headers={SECRET_HEADER: secret}
    )

    assert response.status_code == 202, response.text
    assert response.json()["playbook_id"] == "hooked"


@pytest.mark.parametrize("presented", [None, "", "whsec_wrong"])
def test_a_missing_or_wrong_secret_is_401(anonymous: TestClient, secret: str, presented: str | None) -> None:
    response = _post(anonymous, presented, {"severity": "high"})

    assert response.status_code == 401
    assert secret not in response.text


def test_a_rotated_secret_replaces_the_old_one(anonymous: TestClient, tracker: Tracker, secret: str) -> None:
    runs = RunService(tracker.database, PlaybookCatalogue(tracker.database))
    newer = WebhookService(tracker.database, runs).rotate_secret("cli:admin", "hooked")

    assert _post(anonymous, secret, {"severity": "high"}).status_code == 401
    assert _post(anonymous, newer, {"severity": "high"}).status_code == 202


def test_the_secret_is_never_stored_or_journaled(tracker: Tracker, secret: str) -> None:
    with tracker.database.session(write=False) as session:
        journal = audit.entries_for(session, "playbook", "hooked")
    text = repr([(e.action, e.after) for e in journal])

    assert "webhook_secret_created" in text
    assert secret not in text
    assert secret[:10] in text  # the hint tells secrets apart


def test_a_body_the_filter_declines_starts_nothing(anonymous: TestClient, secret: str) -> None:
    response = _post(anonymous, secret, {"severity": "info"})

    assert response.status_code == 200
    assert (response.json()["run_id"], response.json()["status"]) == (None, "ignored")


def test_bad_requests_are_named(anonymous: TestClient, secret: str, make_client: Any) -> None:
    headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
    broken = anonymous.post("/api/v1/webhooks/hooked", content=b"{not json", headers=headers)
    too_long = _post(anonymous, secret, {"severity": "high"}, wait=31)
    small = make_client(auth=False, webhook_max_body_bytes=1024)
    too_big = small.post("/api/v1/webhooks/hooked", json={"blob": "x" * 2000}, headers=headers)

    assert (broken.status_code, broken.json()["code"]) == (400, "malformed_input")
    assert too_long.status_code == 422
    assert "wait" in too_long.json()["detail"]
    assert too_big.status_code == 413


def test_a_playbook_without_a_webhook_trigger_is_404(anonymous: TestClient, tracker: Tracker) -> None:
    _publish(tracker, MANUAL_ONLY)

    response = anonymous.post("/api/v1/webhooks/manual_only", json={}, headers={SECRET_HEADER: "whsec_x"})

    assert response.status_code == 404


def test_manual_runs_record_who_started_them_and_the_case(client: TestClient, tracker: Tracker) -> None:
    _publish(tracker, MANUAL_ONLY)
    case = client.post("/api/v1/cases", json={"title": "suspicious login"}).json()

    started = client.post(
        "/api/v1/playbooks/manual_only/runs",
        json={"trigger": {"kind": "alert", "note": "by hand"}, "case_id": case["id"]},
        headers={"X-Socflow-Actor": "alice"},
    )
    missing_case = client.post("/api/v1/playbooks/manual_only/runs", json={"case_id": "case-nope"})

    assert started.status_code == 201, started.text
    run = RunService(tracker.database, PlaybookCatalogue(tracker.database)).get(started.json()["id"])
    assert run.trigger["kind"] == "manual"
    assert run.trigger["by"] == "api:alice"
    assert run.trigger["note"] == "by hand"
    assert run.trigger["case"]["title"] == "suspicious login"
    assert run.case_id == case["id"]
    assert missing_case.status_code == 404


WAITING = """
id: waiting
name: Waiting
kind: sequential
trigger: {kind: webhook}
steps:
  - {id: later, type: wait, duration: 1h}
"""


def test_wait_answers_202_with_a_location_when_the_run_is_still_going(
    anonymous: TestClient, tracker: Tracker
) -> None:
    _publish(tracker, WAITING)
    runs = RunService(tracker.database, PlaybookCatalogue(tracker.database))
    secret = WebhookService(tracker.database, runs).rotate_secret("cli:admin", "waiting")

    response = anonymous.post("/api/v1/webhooks/waiting?wait=0.2", json={}, headers={SECRET_HEADER: secret})

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] in {"running", "waiting"}
    assert body["outputs"] is None
    assert response.headers["Location"] == f"/api/v1/runs/{body['run_id']}"
