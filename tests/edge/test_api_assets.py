"""/api/v1/assets: create, list, show, edit, address history, CSV and JSON import, point-in-time lookup."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

T0 = "2026-11-01T08:00:00Z"
MOVED = "2026-11-01T12:00:00Z"


def _create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/assets", json={"name": "web01.corp.example", **fields})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_api_assets_create_returns_the_canonical_asset_with_addresses(client: TestClient) -> None:
    asset = _create(
        client,
        owner="web team",
        criticality="high",
        ips=["10.0.0.5"],
        macs=["00:11:22:33:44:55"],
        valid_from=T0,
    )

    assert (asset["name"], asset["domain"], asset["criticality"]) == ("web01", "corp.example", "high")
    assert [(a["kind"], a["value"], a["valid_to"]) for a in asset["addresses"]] == [
        ("ip", "10.0.0.5", None),
        ("mac", "00-11-22-33-44-55", None),
    ]
    shown = client.get(f"/api/v1/assets/{asset['id']}")
    assert shown.json()["owner"] == "web team"
    assert shown.headers["ETag"] == '"1"'


def test_api_assets_create_names_every_invalid_field(
    client: TestClient, paths_of: Callable[..., list[str]]
) -> None:
    response = client.post("/api/v1/assets", json={"name": "h", "ips": ["10.0.0.300"], "macs": ["zz"]})

    assert response.status_code == 422
    assert paths_of(response) == ["body.ips", "body.macs"]
    assert client.post("/api/v1/assets", json={"name": "h", "criticality": "severe"}).status_code == 422


def test_api_assets_patch_checks_the_version(client: TestClient) -> None:
    asset = _create(client)

    changed = client.patch(f"/api/v1/assets/{asset['id']}", json={"owner": "ops", "version": 1})
    stale = client.patch(f"/api/v1/assets/{asset['id']}", json={"owner": "x"}, headers={"If-Match": '"1"'})

    assert changed.status_code == 200
    assert changed.json()["owner"] == "ops"
    assert stale.status_code == 409
    assert client.patch("/api/v1/assets/asset_nope", json={"owner": "x"}).status_code == 404


def test_api_assets_lookup_answers_as_of_the_given_time(client: TestClient) -> None:
    a = _create(client, name="laptop-a", ips=["10.0.0.5"], valid_from=T0)
    b = _create(client, name="laptop-b")
    moved = client.post(
        f"/api/v1/assets/{b['id']}/addresses", json={"kind": "ip", "value": "10.0.0.5", "at": MOVED}
    )
    assert moved.status_code == 200, moved.text

    before = client.get("/api/v1/assets/lookup", params={"ip": "10.0.0.5", "at": "2026-11-01T11:59:59Z"})
    after = client.get("/api/v1/assets/lookup", params={"ip": "10.0.0.5", "at": MOVED})
    earlier = client.get("/api/v1/assets/lookup", params={"ip": "10.0.0.5", "at": "2026-10-01T00:00:00Z"})

    assert before.json()["id"] == a["id"]
    assert after.json()["id"] == b["id"]
    assert earlier.status_code == 404
    assert client.get("/api/v1/assets/lookup").status_code == 422
    assert (
        client.get(f"/api/v1/assets/{a['id']}").json()["addresses"][0]["valid_to"] == "2026-11-01T12:00:00Z"
    )


def test_api_assets_import_csv_and_json(client: TestClient) -> None:
    csv_text = "name,owner,criticality,ips\nsrv-a,ops,critical,10.2.0.1\nsrv-b,ops,low,\n"
    json_text = json.dumps([{"name": "srv-c", "macs": ["00-aa-bb-cc-dd-ee"]}])

    from_csv = client.post("/api/v1/assets/import", content=csv_text, headers={"Content-Type": "text/csv"})
    from_json = client.post(
        "/api/v1/assets/import", content=json_text, headers={"Content-Type": "application/json"}
    )

    assert from_csv.json() == {"created": 2, "updated": 0, "unchanged": 0, "addresses_assigned": 1}
    assert from_json.json()["created"] == 1
    names = [item["name"] for item in client.get("/api/v1/assets", params={"name": "srv"}).json()["items"]]
    assert names == ["srv-a", "srv-b", "srv-c"]
    critical = client.get("/api/v1/assets", params={"criticality": "critical"}).json()["items"]
    assert [item["name"] for item in critical] == ["srv-a"]


def test_api_assets_import_refuses_bad_rows_whole_and_unknown_media(
    client: TestClient, paths_of: Callable[..., list[str]]
) -> None:
    bad = client.post(
        "/api/v1/assets/import",
        content="name,criticality\nok,low\nbad,severe\n",
        headers={"Content-Type": "text/csv"},
    )
    wrong = client.post("/api/v1/assets/import", content="x", headers={"Content-Type": "text/plain"})

    assert bad.status_code == 422
    assert paths_of(bad) == ["line 3.criticality"]
    assert client.get("/api/v1/assets").json()["items"] == []
    assert wrong.status_code == 422


def test_api_assets_need_the_token(anonymous: TestClient) -> None:
    assert anonymous.get("/api/v1/assets").status_code == 401
