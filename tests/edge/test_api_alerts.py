"""Alert endpoints: upsert, listing filters, sorting and cursors, edits, status, history, promotion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

PostAlert = Callable[..., dict[str, Any]]


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_alert_upsert_creates_then_updates_with_count(client: TestClient) -> None:
    body = {
        "source": "edr",
        "source_ref": "det-42",
        "title": "Mimikatz",
        "severity": "high",
        "tags": ["Credential-Access"],
        "observables": [{"type": "ip", "value": "::ffff:10.0.0.5", "ioc": True}],
    }

    first = client.post("/api/v1/alerts", json=body)
    second = client.post("/api/v1/alerts", json={**body, "severity": "critical"})

    assert first.status_code == 201
    assert first.headers["location"] == f"/api/v1/alerts/{first.json()['id']}"
    assert second.status_code == 200
    alert = second.json()
    assert alert["id"] == first.json()["id"]
    assert alert["count"] == 2
    assert alert["severity"] == "critical"
    assert alert["tags"] == ["credential-access"]
    assert [(o["type"], o["value"], o["ioc"]) for o in alert["observables"]] == [("ip", "10.0.0.5", True)]
    assert alert["status"] == "new"
    assert alert["case_id"] is None
    assert alert["version"] > first.json()["version"]
    assert alert["first_seen"] <= alert["last_seen"]


def test_alert_get_returns_etag_and_missing_is_404(client: TestClient, post_alert: PostAlert) -> None:
    alert = post_alert()

    found = client.get(f"/api/v1/alerts/{alert['id']}")
    missing = client.get("/api/v1/alerts/alert_nope")

    assert found.json() == alert
    assert found.headers["etag"] == '"1"'
    assert missing.status_code == 404
    assert "alert_nope" in missing.json()["detail"]


def test_alert_list_filters_by_status(client: TestClient, post_alert: PostAlert) -> None:
    new, resolved, suppressed = post_alert(), post_alert(), post_alert()
    client.post(f"/api/v1/alerts/{resolved['id']}/status", json={"to": "resolved"})
    client.post(f"/api/v1/alerts/{suppressed['id']}/status", json={"to": "suppressed"})

    assert _ids(client.get("/api/v1/alerts", params={"status": "new"})) == {new["id"]}
    both = client.get("/api/v1/alerts", params={"status": ["resolved", "suppressed"]})
    assert _ids(both) == {resolved["id"], suppressed["id"]}


def test_alert_list_filters_by_severity(client: TestClient, post_alert: PostAlert) -> None:
    low, high, critical = (
        post_alert(severity="low"),
        post_alert(severity="high"),
        post_alert(severity="critical"),
    )

    assert _ids(client.get("/api/v1/alerts", params={"severity": "low"})) == {low["id"]}
    severe = client.get("/api/v1/alerts", params={"severity": ["high", "critical"]})
    assert _ids(severe) == {high["id"], critical["id"]}


def test_alert_list_filters_by_tag_and_source(client: TestClient, post_alert: PostAlert) -> None:
    phish = post_alert(source="mail", tags=["phishing"])
    malware = post_alert(source="edr", tags=["malware"])
    edr = post_alert(source="edr")

    assert _ids(client.get("/api/v1/alerts", params={"tag": "PHISHING"})) == {phish["id"]}
    assert _ids(client.get("/api/v1/alerts", params={"source": "edr"})) == {malware["id"], edr["id"]}
    assert _ids(client.get("/api/v1/alerts", params={"source": "edr", "tag": "malware"})) == {malware["id"]}


def test_alert_list_filters_by_time_range(client: TestClient, post_alert: PostAlert) -> None:
    first, second, third = post_alert(), post_alert(), post_alert()

    since_second = client.get("/api/v1/alerts", params={"created_from": second["created_at"]})
    before_second = client.get("/api/v1/alerts", params={"created_to": second["created_at"]})
    window = client.get(
        "/api/v1/alerts", params={"created_from": second["created_at"], "created_to": third["created_at"]}
    )

    assert _ids(since_second) == {second["id"], third["id"]}
    assert _ids(before_second) == {first["id"]}
    assert _ids(window) == {second["id"]}


def test_alert_list_time_range_without_zone_is_422(client: TestClient, paths_of: Any) -> None:
    response = client.get("/api/v1/alerts", params={"created_from": "2024-01-01T00:00:00"})

    assert response.status_code == 422
    assert paths_of(response) == ["query.created_from"]


@pytest.mark.parametrize(("order", "reverse"), [("asc", False), ("desc", True)])
def test_alert_list_sorts_by_severity(
    client: TestClient, post_alert: PostAlert, order: str, reverse: bool
) -> None:
    for severity in ("medium", "critical", "low", "high", "informational"):
        post_alert(severity=severity)
    ranks = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

    items = client.get("/api/v1/alerts", params={"sort": "severity", "order": order}).json()["items"]

    got = [ranks[item["severity"]] for item in items]
    assert got == sorted(got, reverse=reverse)
    assert len(got) == 5


def test_alert_list_cursor_walks_every_page_without_duplicates(
    client: TestClient, post_alert: PostAlert
) -> None:
    created = {post_alert(severity=("low", "high")[i % 2])["id"] for i in range(7)}
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3, "sort": "severity", "order": "asc"}
    pages = 0

    while True:
        page = client.get("/api/v1/alerts", params=params).json()
        pages += 1
        seen.extend(item["id"] for item in page["items"])
        if page["next"] is None:
            break
        params["cursor"] = page["next"]

    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == created


def test_alert_list_cursor_from_another_sort_is_422(client: TestClient, post_alert: PostAlert) -> None:
    for _ in range(3):
        post_alert()
    cursor = client.get("/api/v1/alerts", params={"limit": 1}).json()["next"]

    response = client.get("/api/v1/alerts", params={"limit": 1, "cursor": cursor, "sort": "last_seen"})

    assert response.status_code == 422
    assert response.json()["issues"][0]["path"] == "cursor"


def test_alert_list_sort_unknown_for_alerts_is_422(client: TestClient, paths_of: Any) -> None:
    response = client.get("/api/v1/alerts", params={"sort": "priority"})

    assert response.status_code == 422
    assert paths_of(response) == ["query.sort"]


def test_alert_patch_edits_fields_and_tags(client: TestClient, post_alert: PostAlert) -> None:
    alert = post_alert(tags=["a", "b"])

    response = client.patch(
        f"/api/v1/alerts/{alert['id']}",
        json={"title": "Renamed", "tlp": "red", "add_tags": ["C"], "remove_tags": ["a"], "version": 1},
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert response.json()["tlp"] == "red"
    assert response.json()["tags"] == ["b", "c"]
    assert response.headers["etag"] == '"2"'


def test_alert_patch_null_title_is_422(client: TestClient, post_alert: PostAlert, paths_of: Any) -> None:
    alert = post_alert()

    response = client.patch(f"/api/v1/alerts/{alert['id']}", json={"title": None})

    assert response.status_code == 422
    assert paths_of(response) == ["body.title"]


def test_alert_status_move_and_illegal_move(client: TestClient, post_alert: PostAlert) -> None:
    alert = post_alert()

    moved = client.post(f"/api/v1/alerts/{alert['id']}/status", json={"to": "suppressed", "reason": "noisy"})
    illegal = client.post(f"/api/v1/alerts/{alert['id']}/status", json={"to": "in_progress"})

    assert moved.json()["status"] == "suppressed"
    assert illegal.status_code == 409
    assert illegal.json()["details"] == {
        "current": "suppressed",
        "target": "in_progress",
        "allowed": ["new", "resolved"],
    }


def test_alert_history_lists_journal_entries(client: TestClient, post_alert: PostAlert) -> None:
    alert = post_alert()
    post_alert(source_ref=alert["source_ref"])
    client.post(f"/api/v1/alerts/{alert['id']}/status", json={"to": "resolved", "reason": "benign"})

    history = client.get(f"/api/v1/alerts/{alert['id']}/history").json()["items"]

    assert [entry["action"] for entry in history] == ["created", "updated", "status_changed"]
    assert history[1]["before"]["count"] == 1
    assert history[1]["after"]["count"] == 2
    assert history[2]["after"] == {"status": "resolved", "reason": "benign"}
    assert client.get("/api/v1/alerts/alert_nope/history").status_code == 404


def test_alert_promote_opens_a_case_from_the_alert(client: TestClient, post_alert: PostAlert) -> None:
    alert = post_alert(
        severity="high", tags=["phishing"], observables=[{"type": "domain", "value": "Evil.Example.COM"}]
    )

    response = client.post(f"/api/v1/alerts/{alert['id']}/promote", json={"assignee": "alice"})

    assert response.status_code == 201
    case = response.json()
    assert response.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert (case["title"], case["severity"], case["assignee"], case["tags"]) == (
        alert["title"],
        "high",
        "alice",
        ["phishing"],
    )
    linked = client.get(f"/api/v1/alerts/{alert['id']}").json()
    assert (linked["case_id"], linked["status"]) == (case["id"], "in_progress")
    observables = client.get(f"/api/v1/cases/{case['id']}/observables").json()["items"]
    assert [o["value"] for o in observables] == ["evil.example.com"]
    again = client.post(f"/api/v1/alerts/{alert['id']}/promote")
    assert again.status_code == 409


def test_alert_attach_to_existing_case(client: TestClient, post_alert: PostAlert, post_case: Any) -> None:
    case = post_case()
    first, second = post_alert(), post_alert()

    response = client.post(
        f"/api/v1/cases/{case['id']}/alerts", json={"alert_ids": [first["id"], second["id"]]}
    )

    assert response.status_code == 200
    attached = client.get(f"/api/v1/cases/{case['id']}/alerts").json()["items"]
    assert {a["id"] for a in attached} == {first["id"], second["id"]}
    by_filter = client.get("/api/v1/alerts", params={"case_id": case["id"]})
    assert _ids(by_filter) == {first["id"], second["id"]}


def test_alert_attach_unknown_alert_is_404_and_attaches_nothing(
    client: TestClient, post_alert: PostAlert, post_case: Any
) -> None:
    case = post_case()
    alert = post_alert()

    response = client.post(
        f"/api/v1/cases/{case['id']}/alerts", json={"alert_ids": [alert["id"], "alert_nope"]}
    )

    assert response.status_code == 404
    assert client.get(f"/api/v1/alerts/{alert['id']}").json()["case_id"] is None


def test_alert_attach_empty_list_is_422(client: TestClient, post_case: Any, paths_of: Any) -> None:
    case = post_case()

    response = client.post(f"/api/v1/cases/{case['id']}/alerts", json={"alert_ids": []})

    assert response.status_code == 422
    assert paths_of(response) == ["body.alert_ids"]


def test_alert_ingest_invalid_observable_names_its_path(client: TestClient, paths_of: Any) -> None:
    response = client.post(
        "/api/v1/alerts",
        json={
            "source": "edr",
            "source_ref": "x",
            "title": "t",
            "severity": "low",
            "observables": [{"type": "ip", "value": "1.2.3.4"}, {"type": "ip", "value": "not-an-ip"}],
        },
    )

    assert response.status_code == 422
    assert paths_of(response) == ["observables[1].value"]
