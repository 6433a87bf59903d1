"""The playbook catalogue over HTTP: drafts as YAML or JSON, validation, publishing, versions, rehearsal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker
from socflow.storage import audit

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"
YAML = {"Content-Type": "application/x-yaml"}

SIMPLE = """
id: notify_owner
name: Notify the owner
version: {version}
kind: sequential
steps:
  - id: tell
    type: action
    action: chat.send_message
    args: {{text: hello}}
    next: done
  - id: done
    type: end
    outcome: told
"""

CASES = """
cases:
  - name: the owner is told
    expect: {status: succeeded, outcome: told, path: [tell, done]}
  - name: a wrong expectation fails
    expect: {outcome: ignored}
"""

BROKEN = """
id: broken
name: Broken
kind: sequential
steps:
  - id: first
    type: action
    action: NotAnAction
    timeout: soon
  - id: second
    type: wait
    duration: forever
"""


def _save(client: TestClient, version: int = 1) -> dict[str, Any]:
    response = client.post("/api/v1/playbooks", content=SIMPLE.format(version=version), headers=YAML)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_api_playbook_post_yaml_creates_a_draft_with_a_location(client: TestClient) -> None:
    response = client.post(
        "/api/v1/playbooks", content=SIMPLE.format(version=1), headers={"Content-Type": "text/yaml"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["playbook_id"], body["number"], body["status"]) == ("notify_owner", 1, "draft")
    assert body["id"].startswith("notify_owner@1:")
    assert response.headers["Location"] == "/api/v1/playbooks/notify_owner/versions/1"


def test_api_playbook_post_json_source_and_same_content_again_answers_200(client: TestClient) -> None:
    first = client.post("/api/v1/playbooks", json={"source": SIMPLE.format(version=1)})
    again = client.post("/api/v1/playbooks", content=SIMPLE.format(version=1), headers=YAML)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_api_playbook_post_invalid_lists_every_issue_path(
    client: TestClient, paths_of: Callable[[Any], list[str]]
) -> None:
    response = client.post("/api/v1/playbooks", content=BROKEN, headers=YAML)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert {"steps[0].action", "steps[0].timeout", "steps[1].duration"} <= set(paths_of(response))


def test_api_playbook_post_other_media_type_is_415(client: TestClient) -> None:
    response = client.post("/api/v1/playbooks", content="x", headers={"Content-Type": "text/csv"})

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_api_playbook_post_json_without_source_names_the_field(
    client: TestClient, paths_of: Callable[[Any], list[str]]
) -> None:
    response = client.post("/api/v1/playbooks", json={"text": "x"})

    assert response.status_code == 422
    assert "body.source" in paths_of(response)


def test_api_playbook_validate_answers_valid_and_issues(client: TestClient) -> None:
    good = client.post("/api/v1/playbooks/validate", content=SIMPLE.format(version=1), headers=YAML)
    bad = client.post("/api/v1/playbooks/validate", json={"source": BROKEN})

    assert good.json() == {"valid": True, "issues": []}
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert len(bad.json()["issues"]) >= 3
    assert client.get("/api/v1/playbooks").json()["items"] == []


def test_api_playbook_publish_then_list_get_and_versions(client: TestClient) -> None:
    _save(client, 1)
    client.post("/api/v1/playbooks/notify_owner/publish")
    draft = _save(client, 2)

    listed = client.get("/api/v1/playbooks").json()["items"]
    entry = client.get("/api/v1/playbooks/notify_owner").json()
    versions = client.get("/api/v1/playbooks/notify_owner/versions").json()
    published = client.post("/api/v1/playbooks/notify_owner/publish", json={"version": 2})

    assert [item["id"] for item in listed] == ["notify_owner"]
    assert entry["published_version_id"] == versions[0]["id"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "published"), (2, "draft")]
    assert published.status_code == 200
    assert published.json()["id"] == draft["id"]
    assert published.json()["published_by"] == "api:bootstrap-token"


def test_api_playbook_version_detail_has_the_source_as_saved(client: TestClient) -> None:
    _save(client, 1)

    detail = client.get("/api/v1/playbooks/notify_owner/versions/1").json()

    assert detail["source"] == SIMPLE.format(version=1)


def test_api_playbook_unknown_playbook_or_version_is_404(client: TestClient) -> None:
    _save(client, 1)

    assert client.get("/api/v1/playbooks/missing").status_code == 404
    assert client.get("/api/v1/playbooks/notify_owner/versions/7").status_code == 404
    assert client.post("/api/v1/playbooks/missing/publish").status_code == 404


def test_api_playbook_publish_without_a_draft_is_409(client: TestClient) -> None:
    _save(client, 1)
    client.post("/api/v1/playbooks/notify_owner/publish")

    response = client.post("/api/v1/playbooks/notify_owner/publish", json={})

    assert response.status_code == 409


def test_api_playbook_rehearse_reports_each_case(client: TestClient) -> None:
    _save(client, 1)

    response = client.post("/api/v1/playbooks/notify_owner/versions/1/rehearse", content=CASES, headers=YAML)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["passed"] is False
    assert [(case["name"], case["passed"]) for case in report["cases"]] == [
        ("the owner is told", True),
        ("a wrong expectation fails", False),
    ]
    assert report["cases"][0]["path"] == ["tell", "done"]


def test_api_playbook_rehearse_shipped_cases_pass(client: TestClient) -> None:
    source = (SHIPPED / "phishing_triage.yaml").read_text(encoding="utf-8")
    cases = (SHIPPED / "phishing_triage.tests.yaml").read_text(encoding="utf-8")
    client.post("/api/v1/playbooks", json={"source": source})

    response = client.post("/api/v1/playbooks/phishing_triage/versions/1/rehearse", json={"source": cases})

    assert response.json()["passed"] is True
    assert response.json()["uncovered"] == []


def test_api_playbook_routes_need_the_token(anonymous: TestClient) -> None:
    assert anonymous.get("/api/v1/playbooks").status_code == 401
    assert anonymous.post("/api/v1/playbooks/validate", json={"source": "x"}).status_code == 401


def test_api_playbook_changes_are_in_the_audit_journal(client: TestClient, tracker: Tracker) -> None:
    _save(client, 1)
    client.post("/api/v1/playbooks/notify_owner/publish", headers={"X-Socflow-Actor": "lead"})

    with tracker.database.session(write=False) as session:
        entries = audit.entries_for(session, "playbook", "notify_owner")

    assert [(entry.actor, entry.action) for entry in entries] == [
        ("api:bootstrap-token", "created"),
        ("api:bootstrap-token", "draft_saved"),
        ("api:lead", "published"),
    ]
