"""Asset enrichment: events are filled in from the inventory as it was at each event's own time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from socflow.ingest.asset_input import AssetInput
from socflow.ingest.assets import AssetService
from socflow.ingest.enrichment import AssetEnricher
from socflow.model.asset import AddressKind, Criticality
from socflow.storage.db import Database

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
MOVED = T0 + timedelta(hours=4)
ACTOR = "cli:tester"


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def inventory(database: Database) -> dict[str, str]:
    """Host A holds 10.0.0.5 from T0; at MOVED the IP moves to host B. A has a MAC throughout."""
    service = AssetService(database)
    a = service.create(
        ACTOR,
        AssetInput(name="laptop-a", domain="corp.example", owner="alice", criticality=Criticality.HIGH),
    )
    b = service.create(ACTOR, AssetInput(name="laptop-b", owner="bob", criticality=Criticality.LOW))
    service.assign_address(ACTOR, a.id, AddressKind.IP, "10.0.0.5", T0)
    service.assign_address(ACTOR, a.id, AddressKind.MAC, "00:11:22:33:44:55", T0)
    service.assign_address(ACTOR, b.id, AddressKind.IP, "10.0.0.5", MOVED)
    return {"a": a.id, "b": b.id}


def _enrich(database: Database, *docs: dict[str, Any]) -> list[dict[str, Any]]:
    AssetEnricher(database).enrich(list(docs))
    return list(docs)


def test_enricher_names_the_host_that_held_the_ip_at_the_events_time(
    database: Database, inventory: dict[str, str]
) -> None:
    before, after = _enrich(
        database,
        {"@timestamp": _stamp(MOVED - timedelta(minutes=1)), "host": {"ip": ["10.0.0.5"]}},
        {"@timestamp": _stamp(MOVED + timedelta(minutes=1)), "host": {"ip": ["10.0.0.5"]}},
    )

    assert before["host"]["name"] == "laptop-a"
    assert before["host"]["domain"] == "corp.example"
    assert before["host"]["mac"] == ["00-11-22-33-44-55"]
    assert before["socflow"]["asset"]["host"] == {
        "id": inventory["a"],
        "name": "laptop-a",
        "domain": "corp.example",
        "owner": "alice",
        "criticality": "high",
    }
    assert after["host"]["name"] == "laptop-b"
    assert "mac" not in after["host"]
    assert after["socflow"]["asset"]["host"]["owner"] == "bob"


def test_enricher_fills_mac_and_ip_from_the_host_name(database: Database, inventory: dict[str, str]) -> None:
    (doc,) = _enrich(database, {"@timestamp": _stamp(T0 + timedelta(hours=1)), "host": {"name": "laptop-a"}})

    assert doc["host"]["mac"] == ["00-11-22-33-44-55"]
    assert doc["host"]["ip"] == ["10.0.0.5"]
    assert doc["related"]["hosts"] == ["laptop-a"]


def test_enricher_keeps_what_the_event_already_says(database: Database, inventory: dict[str, str]) -> None:
    (doc,) = _enrich(
        database,
        {
            "@timestamp": _stamp(T0 + timedelta(hours=1)),
            "host": {"name": "laptop-a", "mac": ["AA-AA-AA-AA-AA-AA"]},
        },
    )

    assert doc["host"]["mac"] == ["AA-AA-AA-AA-AA-AA"]


def test_enricher_marks_source_and_destination_assets(database: Database, inventory: dict[str, str]) -> None:
    (doc,) = _enrich(
        database,
        {
            "@timestamp": _stamp(T0 + timedelta(hours=1)),
            "source": {"ip": "10.0.0.5", "port": 51000},
            "destination": {"ip": "203.0.113.9"},
        },
    )

    assert doc["source"]["domain"] == "laptop-a.corp.example"
    assert doc["source"]["mac"] == "00-11-22-33-44-55"
    assert doc["socflow"]["asset"]["source"]["criticality"] == "high"
    assert "destination" not in doc["socflow"]["asset"]
    assert doc["destination"] == {"ip": "203.0.113.9"}


def test_enricher_leaves_events_before_any_assignment_alone(
    database: Database, inventory: dict[str, str]
) -> None:
    (doc,) = _enrich(database, {"@timestamp": _stamp(T0 - timedelta(days=1)), "host": {"ip": ["10.0.0.5"]}})

    assert doc == {"@timestamp": _stamp(T0 - timedelta(days=1)), "host": {"ip": ["10.0.0.5"]}}


def test_enricher_rereads_the_inventory_after_the_refresh_interval(database: Database) -> None:
    now = [100.0]
    enricher = AssetEnricher(database, refresh_seconds=30, monotonic=lambda: now[0])
    doc: dict[str, Any] = {"@timestamp": _stamp(T0 + timedelta(hours=1)), "source": {"ip": "10.7.0.1"}}
    enricher.enrich([doc])
    service = AssetService(database)
    c = service.create(ACTOR, AssetInput(name="printer"))
    service.assign_address(ACTOR, c.id, AddressKind.IP, "10.7.0.1", T0)

    now[0] = 120.0
    enricher.enrich([doc])
    assert "socflow" not in doc
    now[0] = 130.0
    enricher.enrich([doc])
    assert doc["socflow"]["asset"]["source"]["name"] == "printer"


def test_enricher_resolves_a_shared_host_name_only_by_its_domain(database: Database) -> None:
    service = AssetService(database)
    service.create(ACTOR, AssetInput(name="srv", domain="a.example", owner="team a"))
    service.create(ACTOR, AssetInput(name="srv", domain="b.example", owner="team b"))

    bare, qualified = _enrich(
        database,
        {"@timestamp": _stamp(T0), "host": {"name": "srv"}},
        {"@timestamp": _stamp(T0), "host": {"name": "srv", "domain": "B.example"}},
    )

    assert "socflow" not in bare
    assert qualified["socflow"]["asset"]["host"]["owner"] == "team b"
