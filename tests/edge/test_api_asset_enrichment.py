"""The API's intake enriches events from the asset inventory, as of each event's own time."""

from __future__ import annotations

from fastapi.testclient import TestClient

LINE = "<38>1 {stamp} gw sshd 4242 - - Failed password for root from 10.0.0.5 port 52000 ssh2"


def test_api_ingest_enriches_the_source_from_the_asset_inventory_at_event_time(client: TestClient) -> None:
    a = client.post(
        "/api/v1/assets",
        json={
            "name": "laptop-a",
            "owner": "alice",
            "criticality": "high",
            "ips": ["10.0.0.5"],
            "valid_from": "2026-11-01T08:00:00Z",
        },
    ).json()
    b = client.post("/api/v1/assets", json={"name": "laptop-b", "owner": "bob"}).json()
    moved = client.post(
        f"/api/v1/assets/{b['id']}/addresses",
        json={"kind": "ip", "value": "10.0.0.5", "at": "2026-11-01T12:00:00Z"},
    )
    assert moved.status_code == 200
    body = (
        "\n".join(LINE.format(stamp=stamp) for stamp in ("2026-11-01T11:00:00Z", "2026-11-01T13:00:00Z"))
        + "\n"
    )

    accepted = client.post("/api/v1/ingest/events", content=body, headers={"Content-Type": "text/plain"})
    assert accepted.status_code == 202, accepted.text
    events = client.get("/api/v1/events", params={"field": "source.ip:10.0.0.5"}).json()["items"]

    owners = {e["timestamp"]: e["document"]["socflow"]["asset"]["source"]["owner"] for e in events}
    assert owners == {"2026-11-01T11:00:00Z": "alice", "2026-11-01T13:00:00Z": "bob"}
    assert {e["document"]["source"]["domain"] for e in events} == {"laptop-a", "laptop-b"}
    assert a["id"] != b["id"]
