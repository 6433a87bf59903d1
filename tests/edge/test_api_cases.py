"""Case endpoints: creation, reads, edits, optimistic concurrency, listing filters, sort, the timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

PostCase = Callable[..., dict[str, Any]]


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def _move(client: TestClient, case_id: str, to: str, **fields: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/transition", json={"to": to, **fields})


def test_case_create_returns_the_full_case(client: TestClient) -> None:
    response = client.post(
        "/api/v1/cases",
        json={
            "title": "Ransomware on FS01",
            "severity": "critical",
            "description": "Files encrypted",
            "tags": ["Ransomware"],
            "tlp": "red",
            "observables": [{"type": "host", "value": "FS01."}],
        },
    )

    assert response.status_code == 201
    case = response.json()
    assert response.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert response.headers["etag"] == f'"{case["version"]}"'
    assert case["priority"] == 1  # derived from critical
    assert (case["status"], case["tier"], case["assignee"], case["resolution"]) == ("new", 1, None, None)
    assert case["tags"] == ["ransomware"]
    assert case["tlp"] == "red"
    assert case["pap"] == "amber"
    assert case["merged_into_id"] is None
    assert case["created_by"] == "api:bootstrap-token"
    assert case["incident_confirmed_at"] is None
    assert case["closed_at"] is None
    assert client.get(f"/api/v1/cases/{case['id']}").json() == case


def test_case_get_missing_is_404_naming_it(client: TestClient) -> None:
    response = client.get("/api/v1/cases/case_missing")

    assert response.status_code == 404
    problem = response.json()
    assert problem["code"] == "not_found"
    assert "case_missing" in problem["detail"]
    assert problem["details"] == {"object": "case", "id": "case_missing"}


def test_case_patch_edits_descriptive_fields(client: TestClient, post_case: PostCase) -> None:
    case = post_case(tags=["one"])

    response = client.patch(
        f"/api/v1/cases/{case['id']}",
        json={
            "title": "Renamed",
            "description": "more",
            "severity": "high",
            "priority": 2,
            "tlp": "green",
            "pap": "red",
            "add_tags": ["two"],
            "remove_tags": ["one"],
            "version": case["version"],
        },
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["title"], patched["description"], patched["severity"], patched["priority"]) == (
        "Renamed",
        "more",
        "high",
        2,
    )
    assert (patched["tlp"], patched["pap"], patched["tags"]) == ("green", "red", ["two"])
    assert patched["version"] > case["version"]


def test_case_patch_status_is_unknown_field_422(
    client: TestClient, post_case: PostCase, paths_of: Any
) -> None:
    case = post_case()

    response = client.patch(f"/api/v1/cases/{case['id']}", json={"status": "closed"})

    assert response.status_code == 422
    assert paths_of(response) == ["body.status"]


def test_case_patch_stale_version_is_409(client: TestClient, post_case: PostCase) -> None:
    case = post_case()
    client.patch(f"/api/v1/cases/{case['id']}", json={"title": "first edit"})

    response = client.patch(
        f"/api/v1/cases/{case['id']}", json={"title": "late edit", "version": case["version"]}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["details"]["expected_version"] == case["version"]
    assert client.get(f"/api/v1/cases/{case['id']}").json()["title"] == "first edit"


@pytest.mark.parametrize("if_match", ['"{v}"', "{v}", 'W/"{v}"'])
def test_case_if_match_header_is_honoured(client: TestClient, post_case: PostCase, if_match: str) -> None:
    case = post_case()
    current = client.get(f"/api/v1/cases/{case['id']}")
    version = int(current.headers["etag"].strip('"'))

    stale = client.post(
        f"/api/v1/cases/{case['id']}/transition",
        json={"to": "triage"},
        headers={"If-Match": if_match.format(v=version + 5)},
    )
    fresh = client.post(
        f"/api/v1/cases/{case['id']}/transition",
        json={"to": "triage"},
        headers={"If-Match": if_match.format(v=version)},
    )

    assert stale.status_code == 409
    assert fresh.status_code == 200


def test_case_if_match_disagreeing_with_body_is_422(
    client: TestClient, post_case: PostCase, paths_of: Any
) -> None:
    case = post_case()

    response = client.patch(
        f"/api/v1/cases/{case['id']}", json={"title": "x", "version": 1}, headers={"If-Match": '"2"'}
    )

    assert response.status_code == 422
    assert paths_of(response) == ["header.If-Match"]


def test_case_if_match_garbage_is_422(client: TestClient, post_case: PostCase, paths_of: Any) -> None:
    case = post_case()

    response = client.patch(f"/api/v1/cases/{case['id']}", json={"title": "x"}, headers={"If-Match": "abc"})

    assert response.status_code == 422
    assert paths_of(response) == ["header.If-Match"]


def test_case_list_filters_by_status_severity_tag_assignee_and_tier(
    client: TestClient, post_case: PostCase
) -> None:
    a = post_case(severity="high", tags=["phishing"], assignee="alice")
    b = post_case(severity="low", tier=2)
    c = post_case(severity="critical", assignee="bob", tier=3)
    _move(client, b["id"], "triage")

    assert _ids(client.get("/api/v1/cases", params={"status": "triage"})) == {b["id"]}
    assert _ids(client.get("/api/v1/cases", params={"status": ["new", "triage"]})) == {
        a["id"],
        b["id"],
        c["id"],
    }
    assert _ids(client.get("/api/v1/cases", params={"severity": ["high", "critical"]})) == {a["id"], c["id"]}
    assert _ids(client.get("/api/v1/cases", params={"tag": "phishing"})) == {a["id"]}
    assert _ids(client.get("/api/v1/cases", params={"assignee": "bob"})) == {c["id"]}
    assert _ids(client.get("/api/v1/cases", params={"assignee": ""})) == {b["id"]}
    assert _ids(client.get("/api/v1/cases", params={"tier": 2})) == {b["id"]}


def test_case_list_filters_by_time_range(client: TestClient, post_case: PostCase) -> None:
    first, second = post_case(), post_case()

    assert _ids(client.get("/api/v1/cases", params={"created_from": second["created_at"]})) == {second["id"]}
    assert _ids(client.get("/api/v1/cases", params={"created_to": second["created_at"]})) == {first["id"]}


def test_case_list_inverted_time_range_is_422(client: TestClient, paths_of: Any) -> None:
    response = client.get(
        "/api/v1/cases", params={"created_from": "2024-02-01T00:00:00Z", "created_to": "2024-01-01T00:00:00Z"}
    )

    assert response.status_code == 422
    assert paths_of(response) == ["created_from"]


def test_case_list_sorts_by_priority_and_walks_pages(client: TestClient, post_case: PostCase) -> None:
    created = {post_case(priority=p)["id"] for p in (3, 1, 4, 2, 1)}
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"sort": "priority", "order": "asc", "limit": 2}

    while True:
        page = client.get("/api/v1/cases", params=params).json()
        seen.extend(page["items"])
        if not page["next"]:
            break
        params["cursor"] = page["next"]

    assert [case["priority"] for case in seen] == [1, 1, 2, 3, 4]
    assert {case["id"] for case in seen} == created
    assert len(seen) == len({case["id"] for case in seen})


def test_case_list_sorts_by_updated_at(client: TestClient, post_case: PostCase) -> None:
    older, newer = post_case(), post_case()
    client.patch(f"/api/v1/cases/{older['id']}", json={"title": "touched"})

    items = client.get("/api/v1/cases", params={"sort": "updated_at"}).json()["items"]

    assert [case["id"] for case in items] == [older["id"], newer["id"]]


def test_case_timeline_parses_before_and_after(client: TestClient, post_case: PostCase) -> None:
    case = post_case()
    client.patch(f"/api/v1/cases/{case['id']}", json={"severity": "high"})

    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]

    assert timeline[0]["after"]["title"] == case["title"]
    assert (timeline[1]["before"], timeline[1]["after"]) == ({"severity": "medium"}, {"severity": "high"})
    assert [entry["seq"] for entry in timeline] == sorted(entry["seq"] for entry in timeline)
    assert all(len(entry["hash"]) == 64 for entry in timeline)
