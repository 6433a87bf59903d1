"""Error contract: problem bodies for bad input, missing objects, unknown routes, oversize bodies, crashes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:socflow:problem:{body['code']}"
    assert {"title", "detail"} <= set(body)
    return body


def test_errors_unknown_field_is_422_naming_it(client: TestClient) -> None:
    body = _problem(client.post("/api/v1/cases", json={"title": "x", "colour": "red"}), 422)

    assert body["code"] == "validation_failed"
    assert body["issues"] == [{"path": "body.colour", "message": "Extra inputs are not permitted"}]


def test_errors_unknown_nested_field_is_422_naming_its_path(client: TestClient) -> None:
    response = client.post(
        "/api/v1/cases", json={"title": "x", "observables": [{"type": "ip", "value": "1.1.1.1", "seen": 3}]}
    )

    assert [issue["path"] for issue in _problem(response, 422)["issues"]] == ["body.observables[0].seen"]


def test_errors_unknown_query_parameter_is_422_naming_it(client: TestClient) -> None:
    response = client.get("/api/v1/cases", params={"colour": "red"})

    assert [issue["path"] for issue in _problem(response, 422)["issues"]] == ["query.colour"]


def test_errors_wrong_type_is_422_naming_it(client: TestClient) -> None:
    response = client.post("/api/v1/cases", json={"title": "x", "severity": "urgent", "tier": "two"})

    issues = _problem(response, 422)["issues"]
    assert sorted(issue["path"] for issue in issues) == ["body.severity", "body.tier"]
    assert all(issue["message"] for issue in issues)


def test_errors_wrong_query_type_is_422_naming_it(client: TestClient) -> None:
    response = client.get("/api/v1/cases", params={"limit": "many", "tier": 9})

    assert sorted(issue["path"] for issue in _problem(response, 422)["issues"]) == [
        "query.limit",
        "query.tier",
    ]


def test_errors_limit_out_of_range_is_422(client: TestClient) -> None:
    response = client.get("/api/v1/alerts", params={"limit": 501})

    assert [issue["path"] for issue in _problem(response, 422)["issues"]] == ["query.limit"]


def test_errors_missing_required_field_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/alerts", json={"source": "edr"})

    paths = sorted(issue["path"] for issue in _problem(response, 422)["issues"])
    assert paths == ["body.severity", "body.source_ref", "body.title"]


def test_errors_invalid_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/cases", content=b'{"title": ', headers={"Content-Type": "application/json"}
    )

    assert _problem(response, 422)["issues"][0]["path"].startswith("body")


def test_errors_invalid_input_is_never_echoed(client: TestClient) -> None:
    response = client.post("/api/v1/cases", json={"title": "x", "severity": "s3cr3t-value"})

    assert "s3cr3t-value" not in response.text


@pytest.mark.parametrize(
    "path",
    ["/api/v1/cases/case_x", "/api/v1/alerts/alert_x", "/api/v1/tasks/task_x", "/api/v1/observables/obs_x"],
)
def test_errors_missing_object_is_404_naming_it(client: TestClient, path: str) -> None:
    body = _problem(client.get(path), 404)

    assert body["code"] == "not_found"
    assert path.rsplit("/", 1)[1] in body["detail"]


def test_errors_unknown_route_is_404_problem(client: TestClient) -> None:
    body = _problem(client.get("/api/v1/nothing-here"), 404)

    assert body["code"] == "not_found"


def test_errors_wrong_method_is_405_problem(client: TestClient) -> None:
    response = client.put("/api/v1/cases", json={})

    assert _problem(response, 405)["code"] == "method_not_allowed"


def test_errors_oversize_json_body_is_413(make_client: Any) -> None:
    limited = make_client(max_body_bytes=1024)

    response = limited.post("/api/v1/cases", json={"title": "x", "description": "d" * 2000})

    body = _problem(response, 413)
    assert body["code"] == "payload_too_large"
    assert body["details"] == {"limit_bytes": 1024}
    assert limited.get("/api/v1/cases").json()["items"] == []


def test_errors_oversize_streamed_body_without_length_is_413(make_client: Any) -> None:
    limited = make_client(max_body_bytes=1024)

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "x", "description": "'
        yield b"d" * 4096
        yield b'"}'

    response = limited.post("/api/v1/cases", content=chunks(), headers={"Content-Type": "application/json"})

    assert "content-length" not in response.request.headers
    assert _problem(response, 413)["code"] == "payload_too_large"
    assert limited.get("/api/v1/cases").json()["items"] == []


def test_errors_body_within_limit_passes(make_client: Any) -> None:
    limited = make_client(max_body_bytes=1024)

    response = limited.post("/api/v1/cases", json={"title": "x", "description": "d" * 500})

    assert response.status_code == 201


def test_errors_unexpected_exception_is_generic_500_and_logged(
    client: TestClient, tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(case_id: str) -> None:
        raise RuntimeError("password=hunter2 at /srv/secret/path")

    monkeypatch.setattr(tracker.cases, "get", explode)

    with structlog.testing.capture_logs() as logs:
        response = client.get("/api/v1/cases/case_x")

    body = _problem(response, 500)
    assert body["code"] == "internal_error"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert any(entry["event"] == "unhandled_error" for entry in logs)
    assert [entry["status"] for entry in logs if entry["event"] == "request"] == [500]


def test_errors_storage_failure_is_503_without_driver_details(
    client: TestClient, tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socflow.errors import StorageError

    def unavailable(case_id: str) -> None:
        raise StorageError("database error: disk I/O error at /var/lib/socflow/socflow.db")

    monkeypatch.setattr(tracker.cases, "get", unavailable)

    body = _problem(client.get("/api/v1/cases/case_x"), 503)

    assert body["code"] == "storage_error"
    assert "/var/lib" not in body["detail"]


def test_audit_verify_reports_an_intact_chain(client: TestClient, post_case: Any) -> None:
    post_case()
    post_case()

    report = client.get("/api/v1/audit/verify").json()

    assert report["ok"] is True
    assert report["entries"] == 2
    assert report["first_break"] is None
    assert len(report["head_hash"]) == 64


def test_audit_verify_names_the_first_altered_entry(
    client: TestClient, post_case: Any, tracker: Tracker
) -> None:
    from sqlalchemy import update

    from socflow.storage.tables import AuditEntryRow

    for _ in range(3):
        post_case()
    with tracker.database.session() as session:
        session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 2).values(actor="api:mallory"))

    report = client.get("/api/v1/audit/verify").json()

    assert report["ok"] is False
    assert report["first_break"]["seq"] == 2
    assert "altered" in report["first_break"]["reason"]
