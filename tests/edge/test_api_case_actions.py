"""Case lifecycle actions: the NIST path, illegal moves, closing, assignment, tiers and merging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

PostCase = Callable[..., dict[str, Any]]
NIST_PATH = [
    "triage",
    "investigating",
    "containment",
    "eradication",
    "recovery",
    "post_incident_review",
    "closed",
]


def _move(client: TestClient, case_id: str, to: str, **fields: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/transition", json={"to": to, **fields})


def test_case_lifecycle_full_nist_path_to_closed(client: TestClient, post_case: PostCase) -> None:
    case = post_case()

    for status in NIST_PATH:
        response = _move(client, case["id"], status, reason=f"to {status}")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status

    closed = client.get(f"/api/v1/cases/{case['id']}").json()
    assert closed["resolution"] == "true_positive"
    assert closed["incident_confirmed_at"] is not None
    assert closed["closed_at"] is not None
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]
    moves = [(entry["before"]["status"], entry["after"]["status"]) for entry in timeline[1:]]
    assert moves == list(zip(["new", *NIST_PATH[:-1]], NIST_PATH, strict=True))
    assert timeline[-1]["after"]["reason"] == "to closed"


def test_case_close_as_false_positive_from_triage(client: TestClient, post_case: PostCase) -> None:
    case = post_case()
    _move(client, case["id"], "triage")

    response = _move(client, case["id"], "closed", resolution="false_positive")

    assert response.status_code == 200
    assert response.json()["resolution"] == "false_positive"
    assert response.json()["incident_confirmed_at"] is None


def test_case_reopen_after_close(client: TestClient, post_case: PostCase) -> None:
    case = post_case()
    _move(client, case["id"], "closed", resolution="benign")

    reopened = _move(client, case["id"], "reopened", reason="new evidence")

    assert reopened.json()["status"] == "reopened"
    assert reopened.json()["closed_at"] is None
    assert reopened.json()["resolution"] is None


def test_case_illegal_transition_is_409_naming_current_and_allowed(
    client: TestClient, post_case: PostCase
) -> None:
    case = post_case()

    response = _move(client, case["id"], "eradication")

    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "invalid_transition"
    assert problem["details"] == {"current": "new", "target": "eradication", "allowed": ["triage", "closed"]}
    assert "'new'" in problem["detail"]
    assert "triage, closed" in problem["detail"]


def test_case_close_without_resolution_is_422_naming_resolution(
    client: TestClient, post_case: PostCase, paths_of: Any
) -> None:
    case = post_case()
    _move(client, case["id"], "triage")

    response = _move(client, case["id"], "closed")

    assert response.status_code == 422
    assert paths_of(response) == ["resolution"]
    assert client.get(f"/api/v1/cases/{case['id']}").json()["status"] == "triage"


def test_case_transition_unknown_status_is_422(
    client: TestClient, post_case: PostCase, paths_of: Any
) -> None:
    case = post_case()

    response = _move(client, case["id"], "done")

    assert response.status_code == 422
    assert paths_of(response) == ["body.to"]


def test_case_assign_and_unassign(client: TestClient, post_case: PostCase) -> None:
    case = post_case()

    assigned = client.post(f"/api/v1/cases/{case['id']}/assign", json={"assignee": "alice"})
    unassigned = client.post(f"/api/v1/cases/{case['id']}/assign", json={"assignee": None})

    assert assigned.json()["assignee"] == "alice"
    assert unassigned.json()["assignee"] is None
    actions = [e["action"] for e in client.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]]
    assert actions == ["created", "assigned", "reassigned"]


def test_case_assign_requires_the_field(client: TestClient, post_case: PostCase, paths_of: Any) -> None:
    case = post_case()

    response = client.post(f"/api/v1/cases/{case['id']}/assign", json={})

    assert response.status_code == 422
    assert paths_of(response) == ["body.assignee"]


def test_case_escalate_changes_tier_with_reason_and_assignee(client: TestClient, post_case: PostCase) -> None:
    case = post_case(assignee="tier1-bob")

    escalated = client.post(
        f"/api/v1/cases/{case['id']}/escalate",
        json={"tier": 2, "reason": "lateral movement", "assignee": "carol"},
    )
    back = client.post(f"/api/v1/cases/{case['id']}/escalate", json={"tier": 1, "reason": "contained"})

    assert (escalated.json()["tier"], escalated.json()["assignee"]) == (2, "carol")
    assert (back.json()["tier"], back.json()["assignee"]) == (1, "carol")
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]
    assert [(e["action"], e["after"].get("reason")) for e in timeline[1:]] == [
        ("escalated", "lateral movement"),
        ("deescalated", "contained"),
    ]


def test_case_escalate_needs_a_reason_and_a_valid_tier(
    client: TestClient, post_case: PostCase, paths_of: Any
) -> None:
    case = post_case()

    response = client.post(f"/api/v1/cases/{case['id']}/escalate", json={"tier": 4, "reason": ""})

    assert response.status_code == 422
    assert sorted(paths_of(response)) == ["body.reason", "body.tier"]


def test_case_merge_moves_alerts_tasks_comments_and_points_to_survivor(
    client: TestClient, post_case: PostCase, post_alert: Any
) -> None:
    survivor, duplicate = post_case(title="Survivor"), post_case(title="Duplicate", tags=["dup"])
    alert = post_alert()
    client.post(f"/api/v1/cases/{duplicate['id']}/alerts", json={"alert_ids": [alert["id"]]})
    task = client.post(f"/api/v1/cases/{duplicate['id']}/tasks", json={"title": "Image disk"}).json()
    comment = client.post(f"/api/v1/cases/{duplicate['id']}/comments", json={"body": "seen before"}).json()

    response = client.post(
        f"/api/v1/cases/{survivor['id']}/merge", json={"case_ids": [duplicate["id"]], "reason": "same host"}
    )

    assert response.status_code == 200, response.text
    assert "dup" in response.json()["tags"]
    merged = client.get(f"/api/v1/cases/{duplicate['id']}").json()
    assert (merged["merged_into_id"], merged["status"], merged["resolution"]) == (
        survivor["id"],
        "closed",
        "duplicate",
    )
    assert client.get(f"/api/v1/alerts/{alert['id']}").json()["case_id"] == survivor["id"]
    assert [t["id"] for t in client.get(f"/api/v1/cases/{survivor['id']}/tasks").json()["items"]] == [
        task["id"]
    ]
    comments = client.get(f"/api/v1/cases/{survivor['id']}/comments").json()["items"]
    assert [c["id"] for c in comments] == [comment["id"]]
    assert client.get(f"/api/v1/cases/{duplicate['id']}/tasks").json()["items"] == []


def test_case_merge_into_itself_is_422(client: TestClient, post_case: PostCase, paths_of: Any) -> None:
    case = post_case()

    response = client.post(f"/api/v1/cases/{case['id']}/merge", json={"case_ids": [case["id"]]})

    assert response.status_code == 422
    assert paths_of(response) == ["case_ids"]
