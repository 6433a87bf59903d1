"""Evidence endpoints: multipart upload hashed into the store, metadata, safe downloads, size limits."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker


def _upload(client: TestClient, case_id: str, content: bytes, **data: str) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/evidence",
        files={"file": ("mail.eml", content, "message/rfc822")},
        data=data,
    )


def test_evidence_upload_records_sha256_size_and_uploader(client: TestClient, post_case: Any) -> None:
    case = post_case()
    content = b"Received: from evil\r\n\r\nclick here" * 1000

    response = _upload(client, case["id"], content, description="original phish")

    assert response.status_code == 201, response.text
    evidence = response.json()
    assert response.headers["location"] == f"/api/v1/evidence/{evidence['id']}"
    assert evidence["sha256"] == hashlib.sha256(content).hexdigest()
    assert evidence["size"] == len(content)
    assert (evidence["filename"], evidence["content_type"]) == ("mail.eml", "message/rfc822")
    assert (evidence["description"], evidence["added_by"]) == ("original phish", "api:bootstrap-token")
    assert client.get(f"/api/v1/evidence/{evidence['id']}").json() == evidence
    assert client.get(f"/api/v1/cases/{case['id']}/evidence").json()["items"] == [evidence]


def test_evidence_download_is_an_attachment_with_the_same_bytes(client: TestClient, post_case: Any) -> None:
    case = post_case()
    content = b"<html><script>alert(1)</script></html>"
    evidence = client.post(
        f"/api/v1/cases/{case['id']}/evidence", files={"file": ("page.html", content, "text/html")}
    ).json()

    response = client.get(f"/api/v1/evidence/{evidence['id']}/content")

    assert response.status_code == 200
    assert response.content == content
    assert hashlib.sha256(response.content).hexdigest() == evidence["sha256"]
    assert response.headers["content-disposition"].startswith("attachment;")
    assert 'filename="page.html"' in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-evidence-sha256"] == evidence["sha256"]


def test_evidence_upload_path_in_filename_keeps_only_the_name(client: TestClient, post_case: Any) -> None:
    case = post_case()

    response = client.post(
        f"/api/v1/cases/{case['id']}/evidence", files={"file": ("..\\..\\etc\\passwd", b"x", "text/plain")}
    )

    assert response.json()["filename"] == "passwd"


def test_evidence_upload_over_the_limit_is_413_and_stores_nothing(
    make_client: Any, post_case: Any, tracker: Tracker
) -> None:
    limited = make_client(max_upload_bytes=2048)
    case = post_case()

    response = _upload(limited, case["id"], b"x" * 2049)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert limited.get(f"/api/v1/cases/{case['id']}/evidence").json()["items"] == []
    assert list(tracker.notes.evidence_dir.rglob("*")) == []


def test_evidence_upload_at_the_limit_is_accepted(make_client: Any, post_case: Any) -> None:
    limited = make_client(max_upload_bytes=2048)
    case = post_case()

    response = _upload(limited, case["id"], b"y" * 2048)

    assert response.status_code == 201
    assert response.json()["size"] == 2048


def test_evidence_upload_far_over_the_limit_is_refused_by_content_length(
    make_client: Any, post_case: Any
) -> None:
    limited = make_client(max_upload_bytes=2048)
    case = post_case()

    response = _upload(limited, case["id"], b"z" * (200 * 1024))

    assert response.status_code == 413
    assert response.json()["details"]["limit_bytes"] > 2048


def test_evidence_upload_may_exceed_the_json_body_limit(make_client: Any, post_case: Any) -> None:
    sized = make_client(max_body_bytes=1024, max_upload_bytes=1024 * 1024)
    case = post_case()

    response = _upload(sized, case["id"], b"w" * 100_000)

    assert response.status_code == 201


def test_evidence_upload_without_file_is_422(client: TestClient, post_case: Any, paths_of: Any) -> None:
    case = post_case()

    response = client.post(f"/api/v1/cases/{case['id']}/evidence", data={"description": "no file"})

    assert response.status_code == 422
    assert paths_of(response) == ["body.file"]


def test_evidence_upload_unknown_form_field_is_422(client: TestClient, post_case: Any, paths_of: Any) -> None:
    case = post_case()

    response = client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        files={"file": ("a.txt", b"a", "text/plain")},
        data={"note": "x"},
    )

    assert response.status_code == 422
    assert paths_of(response) == ["body.note"]


def test_evidence_upload_to_missing_case_is_404(client: TestClient) -> None:
    response = _upload(client, "case_nope", b"data")

    assert response.status_code == 404
    assert "case_nope" in response.json()["detail"]


def test_evidence_upload_requires_auth(anonymous: TestClient, post_case: Any) -> None:
    case = post_case()

    response = _upload(anonymous, case["id"], b"data")

    assert response.status_code == 401


def test_evidence_missing_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/evidence/evidence_nope").status_code == 404
    assert client.get("/api/v1/evidence/evidence_nope/content").status_code == 404


def test_evidence_moves_with_a_merge(client: TestClient, post_case: Any) -> None:
    survivor, duplicate = post_case(), post_case()
    evidence = _upload(client, duplicate["id"], b"log line").json()

    client.post(f"/api/v1/cases/{survivor['id']}/merge", json={"case_ids": [duplicate["id"]]})

    assert [e["id"] for e in client.get(f"/api/v1/cases/{survivor['id']}/evidence").json()["items"]] == [
        evidence["id"]
    ]
