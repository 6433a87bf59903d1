"""HTTP intake and event search: JSON, NDJSON, raw lines, 202 after commit, 400/413/415/401, pages."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker
from socflow.storage.events import EventQuery, EventStore

INGEST = "/api/v1/ingest/events"
SSH_FAIL = "<38>Nov  1 10:00:00 bastion sshd[42]: Failed password for root from 203.0.113.9 port 5555 ssh2"


def _post(client: TestClient, body: str | bytes, content_type: str, **params: Any) -> Any:
    return client.post(INGEST, content=body, headers={"Content-Type": content_type}, params=params)


def test_ingest_json_object_is_stored_before_202(client: TestClient, tracker: Tracker) -> None:
    event = {"@timestamp": "2026-11-01T10:00:00Z", "source": {"ip": "203.0.113.5"}, "message": "hello"}

    response = _post(client, json.dumps(event), "application/json")

    assert response.status_code == 202, response.text
    assert response.json() == {"stored": 1}
    rows = EventStore(tracker.database).search(EventQuery()).items  # visible at once: committed
    assert [row.source_ip for row in rows] == ["203.0.113.5"]
    assert json.loads(rows[0].document)["event"]["original"] == json.dumps(event)


def test_ingest_json_array_and_ndjson_and_raw_lines(client: TestClient, tracker: Tracker) -> None:
    array = json.dumps([{"message": "a"}, {"message": "b"}, SSH_FAIL])
    ndjson = '{"message": "c"}\n\n{"message": "d"}\n'
    raw = f"{SSH_FAIL}\r\n{SSH_FAIL}\n"

    answers = [
        _post(client, array, "application/json").json(),
        _post(client, ndjson, "application/x-ndjson").json(),
        _post(client, raw, "text/plain; charset=utf-8", format="auto", timezone="Europe/Paris").json(),
    ]

    assert answers == [{"stored": 3}, {"stored": 2}, {"stored": 2}]
    assert EventStore(tracker.database).count() == 7


def test_ingest_malformed_json_is_400_naming_the_line(client: TestClient, tracker: Tracker) -> None:
    ndjson = '{"message": "ok"}\n{"message": broken}\n'

    response = _post(client, ndjson, "application/x-ndjson")
    whole = _post(client, '{\n"a": 1,\n}', "application/json")

    assert response.status_code == 400
    assert response.json()["issues"][0]["path"] == "line 2"
    assert "line 2" in response.json()["detail"]
    assert whole.status_code == 400
    assert "line 3" in whole.json()["detail"]
    assert EventStore(tracker.database).count() == 0  # nothing of a refused batch is stored


def test_ingest_refuses_unknown_content_type_format_and_zone(client: TestClient) -> None:
    assert _post(client, "x", "application/xml").status_code == 415
    unknown = _post(client, "x", "text/plain", format="nope")
    assert unknown.status_code == 422
    assert "unknown format 'nope'" in unknown.json()["detail"]
    assert _post(client, "x", "text/plain", timezone="Mars/Base").status_code == 422
    assert _post(client, "[1]", "application/json").status_code == 400
    assert _post(client, b"\xff\xfe", "text/plain").status_code == 400


def test_ingest_oversize_body_is_413(make_client: Any) -> None:
    client = make_client(max_body_bytes=2048)

    response = _post(client, "x" * 5000, "text/plain")

    assert response.status_code == 413


def test_ingest_oversize_message_is_413_naming_it(make_client: Any) -> None:
    client = make_client(max_message_bytes=256)

    response = _post(client, "short\n" + "y" * 300 + "\n", "text/plain")

    assert response.status_code == 413
    assert response.json()["issues"][0]["path"] == "line 2"


def test_ingest_and_metrics_need_the_token(anonymous: TestClient) -> None:
    assert _post(anonymous, "x", "text/plain").status_code == 401
    assert anonymous.get("/metrics").status_code == 401
    assert anonymous.get("/api/v1/events").status_code == 401


def test_ingest_stats_and_metrics_count_http_intake(client: TestClient) -> None:
    _post(client, f"{SSH_FAIL}\n{SSH_FAIL}\n", "text/plain")

    stats = client.get("/api/v1/ingest/stats").json()
    metrics = client.get("/metrics")

    assert stats["listeners"]["http"]["received"] == 2
    assert stats["listeners"]["http"]["stored"] == 2
    assert metrics.status_code == 200
    assert 'socflow_intake_stored_total{listener="http"} 2.0' in metrics.text


def test_events_search_filters_and_pages(client: TestClient) -> None:
    lines = [
        json.dumps(
            {"@timestamp": f"2026-11-01T10:00:0{n}Z", "source": {"ip": f"10.0.0.{n}"}, "message": f"m{n}"}
        )
        for n in range(5)
    ]
    _post(client, "\n".join(lines), "application/x-ndjson")

    first = client.get("/api/v1/events", params={"limit": 2, "field": "source.ip:10.0.0.0/29"}).json()
    second = client.get(
        "/api/v1/events", params={"limit": 2, "cursor": first["next"], "field": "source.ip:10.0.0.0/29"}
    )
    ranged = client.get(
        "/api/v1/events", params={"from": "2026-11-01T10:00:01Z", "to": "2026-11-01T10:00:03Z"}
    ).json()
    text = client.get("/api/v1/events", params={"q": "m4"}).json()

    assert [item["source_ip"] for item in first["items"]] == ["10.0.0.4", "10.0.0.3"]
    assert [item["source_ip"] for item in second.json()["items"]] == ["10.0.0.2", "10.0.0.1"]
    assert [item["message"] for item in ranged["items"]] == ["m2", "m1"]
    assert [item["document"]["message"] for item in text["items"]] == ["m4"]


def test_events_search_refuses_a_bad_field_filter(client: TestClient, paths_of: Any) -> None:
    response = client.get("/api/v1/events", params={"field": "source.ip"})

    assert response.status_code == 422
    assert paths_of(response) == ["field"]


def test_ingest_errors_lists_dead_letters(client: TestClient, tracker: Tracker) -> None:
    from socflow.ingest.dead_letters import DeadLetter
    from socflow.model.records import Transport

    letter = DeadLetter(b"bad \xff", "invalid UTF-8 at byte 4", Transport.TCP, "192.0.2.7:5000", "syslog-tcp")
    EventStore(tracker.database).insert([], [letter.to_row()])

    body = client.get("/api/v1/ingest/errors").json()

    item = body["items"][0]
    assert (item["reason"], item["origin"], item["transport"]) == (
        "invalid UTF-8 at byte 4",
        "192.0.2.7:5000",
        "tcp",
    )
    assert item["raw_text"] == "bad \\xff"
