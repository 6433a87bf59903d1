"""Observable endpoints: a case's observables with shared-case counts, the store, edits and unlinking."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _add(client: TestClient, case_id: str, *observables: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/observables", json={"observables": list(observables)})


def test_observables_other_cases_counts_sharing_cases(client: TestClient, post_case: Any) -> None:
    first, second, third = post_case(), post_case(), post_case()
    ip = {"type": "ip", "value": "198.51.100.7"}
    _add(client, first["id"], ip, {"type": "user", "value": "CORP\\Alice"})
    _add(client, second["id"], {"type": "ip", "value": "198.51.100.007".replace("007", "7")})
    _add(client, third["id"], ip)

    items = client.get(f"/api/v1/cases/{first['id']}/observables").json()["items"]

    counts = {(item["type"], item["value"]): item["other_cases"] for item in items}
    assert counts == {("ip", "198.51.100.7"): 2, ("user", "CORP\\alice"): 0}
    assert all(item["added_by"] == "api:bootstrap-token" for item in items)


def test_observables_add_returns_the_case_observables(client: TestClient, post_case: Any) -> None:
    case = post_case(observables=[{"type": "domain", "value": "example.org"}])

    response = _add(client, case["id"], {"type": "sha256", "value": "A" * 64, "ioc": True})

    assert response.status_code == 200
    values = sorted(item["value"] for item in response.json()["items"])
    assert values == ["a" * 64, "example.org"]


def test_observables_invalid_value_is_422_naming_its_index(
    client: TestClient, post_case: Any, paths_of: Any
) -> None:
    case = post_case()

    response = _add(client, case["id"], {"type": "md5", "value": "xyz"})

    assert response.status_code == 422
    assert paths_of(response) == ["observables[0].value"]


def test_observables_unknown_type_is_422(client: TestClient, post_case: Any, paths_of: Any) -> None:
    case = post_case()

    response = _add(client, case["id"], {"type": "planet", "value": "mars"})

    assert response.status_code == 422
    assert paths_of(response) == ["body.observables[0].type"]


def test_observables_remove_from_case(client: TestClient, post_case: Any) -> None:
    case = post_case(observables=[{"type": "ip", "value": "10.1.1.1"}])
    observable_id = client.get(f"/api/v1/cases/{case['id']}/observables").json()["items"][0]["id"]

    removed = client.delete(f"/api/v1/cases/{case['id']}/observables/{observable_id}")
    again = client.delete(f"/api/v1/cases/{case['id']}/observables/{observable_id}")
    unknown = client.delete(f"/api/v1/cases/{case['id']}/observables/obs_nope")

    assert removed.status_code == 204
    assert client.get(f"/api/v1/cases/{case['id']}/observables").json()["items"] == []
    assert again.status_code == 422
    assert unknown.status_code == 404
    assert client.get(f"/api/v1/observables/{observable_id}").json()["cases"] == []


def test_observables_search_by_type_value_and_ioc(client: TestClient, post_case: Any) -> None:
    post_case(
        observables=[
            {"type": "ip", "value": "203.0.113.9", "ioc": True},
            {"type": "domain", "value": "Bad.Example"},
            {"type": "host", "value": "bad.example"},
        ]
    )

    by_canonical = client.get(
        "/api/v1/observables", params={"type": "domain", "value": "BAD.example."}
    ).json()
    by_value = client.get("/api/v1/observables", params={"value": "bad.example"}).json()
    iocs = client.get("/api/v1/observables", params={"ioc": "true"}).json()

    assert [(o["type"], o["value"]) for o in by_canonical["items"]] == [("domain", "bad.example")]
    assert sorted(o["type"] for o in by_value["items"]) == ["domain", "host"]
    assert [o["value"] for o in iocs["items"]] == ["203.0.113.9"]


def test_observables_search_pages_with_cursor(client: TestClient, post_case: Any) -> None:
    post_case(observables=[{"type": "ip", "value": f"192.0.2.{i}"} for i in range(1, 6)])
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}

    while True:
        page = client.get("/api/v1/observables", params=params).json()
        seen.extend(o["id"] for o in page["items"])
        if page["next"] is None:
            break
        params["cursor"] = page["next"]

    assert len(seen) == len(set(seen)) == 5


def test_observable_get_shows_cases_and_patch_marks_ioc(client: TestClient, post_case: Any) -> None:
    first = post_case(observables=[{"type": "email", "value": "Eve@Example.com"}])
    second = post_case(observables=[{"type": "email", "value": "eve@example.com"}])
    observable = client.get(f"/api/v1/cases/{first['id']}/observables").json()["items"][0]

    detail = client.get(f"/api/v1/observables/{observable['id']}")
    patched = client.patch(
        f"/api/v1/observables/{observable['id']}",
        json={"ioc": True, "description": "phisher", "tlp": "red", "version": detail.json()["version"]},
    )

    assert sorted(detail.json()["cases"]) == sorted([first["id"], second["id"]])
    assert patched.status_code == 200
    assert (patched.json()["ioc"], patched.json()["description"], patched.json()["tlp"]) == (
        True,
        "phisher",
        "red",
    )
    assert patched.json()["cases"] == detail.json()["cases"]
    assert patched.headers["etag"] == f'"{patched.json()["version"]}"'


def test_observable_patch_stale_version_is_409(client: TestClient, post_case: Any) -> None:
    case = post_case(observables=[{"type": "ip", "value": "10.9.9.9"}])
    observable = client.get(f"/api/v1/cases/{case['id']}/observables").json()["items"][0]

    response = client.patch(
        f"/api/v1/observables/{observable['id']}", json={"ioc": True, "version": observable["version"] + 1}
    )

    assert response.status_code == 409


def test_observable_missing_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/observables/obs_nope")

    assert response.status_code == 404
    assert "obs_nope" in response.json()["detail"]
