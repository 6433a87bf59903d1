"""Authentication, the recorded actor, health, the OpenAPI document and the request log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from socflow.api.app import create_app
from socflow.cases.tracker import Tracker
from socflow.config import Settings
from socflow.storage.db import Database


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token-wrong-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["missing", "wrong", "not-bearer"],
)
def test_auth_required_without_valid_bearer_token(anonymous: TestClient, headers: dict[str, str]) -> None:
    response = anonymous.get("/api/v1/cases", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


def test_auth_required_on_writes_too(anonymous: TestClient) -> None:
    response = anonymous.post("/api/v1/cases", json={"title": "nope"})

    assert response.status_code == 401


def test_auth_accepts_the_token(anonymous: TestClient, api_token: str) -> None:
    response = anonymous.get("/api/v1/cases", headers={"Authorization": f"Bearer {api_token}"})

    assert response.status_code == 200
    assert response.json() == {"items": [], "next": None}


def test_actor_header_recorded_in_timeline(client: TestClient) -> None:
    case = client.post("/api/v1/cases", json={"title": "Phish"}, headers={"X-Socflow-Actor": "alice@soc"})
    case_id = case.json()["id"]
    client.post(
        f"/api/v1/cases/{case_id}/transition", json={"to": "triage"}, headers={"X-Socflow-Actor": "bob"}
    )

    timeline = client.get(f"/api/v1/cases/{case_id}/timeline").json()["items"]

    assert case.json()["created_by"] == "api:alice@soc"
    assert [(entry["actor"], entry["action"]) for entry in timeline] == [
        ("api:alice@soc", "created"),
        ("api:bob", "transitioned"),
    ]


def test_actor_defaults_to_bootstrap_token(client: TestClient) -> None:
    case = client.post("/api/v1/cases", json={"title": "Phish"}).json()

    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]

    assert timeline[0]["actor"] == "api:bootstrap-token"


@pytest.mark.parametrize("actor", ["", "a b", "x" * 101, "eve;drop"])
def test_actor_header_invalid_is_422_naming_the_header(
    client: TestClient, paths_of: Callable[[Any], list[str]], actor: str
) -> None:
    response = client.post("/api/v1/cases", json={"title": "Phish"}, headers={"X-Socflow-Actor": actor})

    assert response.status_code == 422
    assert paths_of(response) == ["header.X-Socflow-Actor"]
    assert client.get("/api/v1/cases").json()["items"] == []


def test_healthz_needs_no_auth_and_reports_the_database(anonymous: TestClient) -> None:
    response = anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_healthz_reports_unreachable_database(tmp_path: Path, api_token: str) -> None:
    (tmp_path / "not-a-database").mkdir()  # SQLite cannot open a directory as its file
    database = Database(f"sqlite:///{tmp_path / 'not-a-database'}")
    tracker = Tracker.open(database, tmp_path / "evidence")
    app = create_app(Settings(data_dir=tmp_path, api_token=api_token), tracker)

    with TestClient(app) as anonymous:
        response = anonymous.get("/healthz")

    database.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


def test_openapi_document_served_without_auth(anonymous: TestClient) -> None:
    response = anonymous.get("/openapi.json")

    document = response.json()
    assert response.status_code == 200
    assert document["info"]["title"] == "socflow"
    assert "/api/v1/cases/{case_id}/transition" in document["paths"]
    assert "/api/v1/cases/{case_id}/evidence" in document["paths"]
    assert "bearer" in document["components"]["securitySchemes"]
    upload = document["paths"]["/api/v1/cases/{case_id}/evidence"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    not_found = document["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"]["404"]
    assert list(not_found["content"]) == ["application/problem+json"]


def test_request_log_has_method_path_status_duration_and_no_token(client: TestClient, api_token: str) -> None:
    with structlog.testing.capture_logs() as logs:
        client.get("/api/v1/cases", params={"limit": 5})

    (line,) = [entry for entry in logs if entry["event"] == "request"]
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/cases"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert api_token not in repr(logs)
