"""The asset service: create and update with journal entries, DHCP-style address history, imports, lookups."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from socflow.errors import Conflict, NotFound, ValidationFailed
from socflow.ingest.asset_input import AssetInput
from socflow.ingest.assets import AssetService
from socflow.model.asset import AddressKind, Criticality
from socflow.storage import audit
from socflow.storage.db import Database

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
ACTOR = "cli:tester"


@pytest.fixture
def assets(database: Database) -> AssetService:
    return AssetService(database)


def _history(database: Database, asset_id: str) -> list[tuple[str, dict[str, object]]]:
    with database.session(write=False) as session:
        return [(row.action, json.loads(row.after)) for row in audit.entries_for(session, "asset", asset_id)]


def test_asset_create_stores_canonical_name_and_journals_it(assets: AssetService, database: Database) -> None:
    row = assets.create(ACTOR, AssetInput(name="web01", domain="corp.example", criticality=Criticality.HIGH))

    assert (row.name, row.domain, row.criticality, row.version) == ("web01", "corp.example", "high", 1)
    assert assets.find("WEB01.corp.example.").id == row.id  # type: ignore[union-attr]
    assert [action for action, _ in _history(database, row.id)] == ["created"]


def test_asset_create_refuses_a_duplicate_host(assets: AssetService) -> None:
    assets.create(ACTOR, AssetInput(name="web01"))

    with pytest.raises(Conflict):
        assets.create(ACTOR, AssetInput(name="web01"))


def test_asset_update_changes_only_given_fields_and_checks_the_version(
    assets: AssetService, database: Database
) -> None:
    row = assets.create(ACTOR, AssetInput(name="db01", owner="dba team"))

    updated = assets.update(ACTOR, row.id, criticality=Criticality.CRITICAL, expected_version=1)

    assert (updated.owner, updated.criticality, updated.version) == ("dba team", "critical", 2)
    assert _history(database, row.id)[-1] == ("updated", {"criticality": "critical"})
    with pytest.raises(Conflict):
        assets.update(ACTOR, row.id, owner="x", expected_version=1)
    with pytest.raises(NotFound):
        assets.update(ACTOR, "asset_missing", owner="x")


def test_assign_address_moves_an_ip_and_closes_the_previous_holders_interval(
    assets: AssetService, database: Database
) -> None:
    a = assets.create(ACTOR, AssetInput(name="laptop-a"))
    b = assets.create(ACTOR, AssetInput(name="laptop-b"))
    moved_at = T0 + timedelta(hours=2)

    assets.assign_address(ACTOR, a.id, AddressKind.IP, "10.0.0.5", T0)
    assets.assign_address(ACTOR, b.id, AddressKind.IP, "::ffff:10.0.0.5", moved_at)

    spans = [(s.valid_from, s.valid_to) for s in assets.get(a.id).addresses]
    assert spans == [(T0, moved_at)]
    assert assets.lookup(AddressKind.IP, "10.0.0.5", moved_at - timedelta(seconds=1)).id == a.id  # type: ignore[union-attr]
    assert assets.lookup(AddressKind.IP, "10.0.0.5", moved_at).id == b.id  # type: ignore[union-attr]
    assert assets.lookup(AddressKind.IP, "10.0.0.5", T0 - timedelta(seconds=1)) is None
    assert (
        "address_released",
        {
            "kind": "ip",
            "value": "10.0.0.5",
            "valid_to": moved_at.isoformat(),
            "reason": f"assigned to {b.id}",
        },
    ) in _history(database, a.id)


def test_assign_address_back_in_time_ends_where_the_next_holder_starts(assets: AssetService) -> None:
    a = assets.create(ACTOR, AssetInput(name="a"))
    b = assets.create(ACTOR, AssetInput(name="b"))
    assets.assign_address(ACTOR, b.id, AddressKind.MAC, "aa:bb:cc:dd:ee:ff", T0 + timedelta(days=1))

    assets.assign_address(ACTOR, a.id, AddressKind.MAC, "AABB.CCDD.EEFF", T0)

    assert [(s.value, s.valid_to) for s in assets.get(a.id).addresses] == [
        ("AA-BB-CC-DD-EE-FF", T0 + timedelta(days=1))
    ]
    assert assets.get(b.id).addresses[0].valid_to is None


def test_assign_address_twice_to_the_same_asset_is_a_no_op(assets: AssetService, database: Database) -> None:
    a = assets.create(ACTOR, AssetInput(name="a"))
    assets.assign_address(ACTOR, a.id, AddressKind.IP, "192.0.2.1", T0)

    assets.assign_address(ACTOR, a.id, AddressKind.IP, "192.0.2.1", T0 + timedelta(hours=1))

    assert len(assets.get(a.id).addresses) == 1
    assert [action for action, _ in _history(database, a.id)] == ["created", "address_assigned"]


def test_assign_address_refuses_an_invalid_ip_and_a_naive_time(assets: AssetService) -> None:
    a = assets.create(ACTOR, AssetInput(name="a"))

    with pytest.raises(ValidationFailed):
        assets.assign_address(ACTOR, a.id, AddressKind.IP, "10.0.0.300")
    with pytest.raises(ValidationFailed):
        assets.assign_address(ACTOR, a.id, AddressKind.IP, "10.0.0.3", datetime(2026, 1, 1))


CSV = """name,owner,criticality,tags,ips,macs,valid_from
web01.corp.example,web team,high,dmz;linux,10.1.0.10,00:11:22:33:44:55,2026-11-01T08:00:00Z
CORP\\DC01,it ops,critical,,10.1.0.2;10.1.0.3,,2026-11-01T08:00:00Z
"""


def test_import_csv_creates_then_updates_and_reports_counts(assets: AssetService) -> None:
    first = assets.import_csv(ACTOR, CSV)
    again = assets.import_csv(ACTOR, CSV)
    changed = assets.import_csv(ACTOR, "name,owner\nweb01.corp.example,platform team\n")

    assert first.to_dict() == {"created": 2, "updated": 0, "unchanged": 0, "addresses_assigned": 4}
    assert again.to_dict() == {"created": 0, "updated": 0, "unchanged": 2, "addresses_assigned": 0}
    assert changed.to_dict() == {"created": 0, "updated": 1, "unchanged": 0, "addresses_assigned": 0}
    web = assets.find("web01.corp.example")
    assert web is not None
    assert (web.owner, web.criticality, web.tags) == ("platform team", "high", ["dmz", "linux"])
    dc = assets.find("dc01")
    assert dc is not None
    assert dc.domain == "corp"


def test_import_csv_reports_every_bad_row_by_line_and_writes_nothing(assets: AssetService) -> None:
    text = "name,criticality,ips\nok01,low,10.0.0.1\n,medium,\nbad01,severe,10.0.0.999\n"

    with pytest.raises(ValidationFailed) as caught:
        assets.import_csv(ACTOR, text)

    paths = [issue.path for issue in caught.value.issues]
    assert paths == ["line 3.name", "line 4.criticality", "line 4.ips"]
    assert assets.search().items == []


def test_import_json_accepts_a_list_or_an_envelope_and_names_bad_items(assets: AssetService) -> None:
    report = assets.import_json(ACTOR, json.dumps({"assets": [{"name": "h1", "ips": ["10.9.0.1"]}]}))
    assert report.created == 1

    with pytest.raises(ValidationFailed) as caught:
        assets.import_json(ACTOR, json.dumps([{"name": "h2", "colour": "red"}, {"name": "h2"}]))
    assert [issue.path for issue in caught.value.issues] == ["assets[0].colour", "assets[1].name"]
    with pytest.raises(ValidationFailed):
        assets.import_json(ACTOR, "{not json")


def test_asset_search_pages_by_name_and_filters(assets: AssetService) -> None:
    for name in ("srv-c", "srv-a", "wks-1", "srv-b"):
        assets.create(
            ACTOR,
            AssetInput(name=name, criticality=Criticality.LOW if name == "srv-b" else Criticality.MEDIUM),
        )

    first = assets.search(name="srv", limit=2)
    second = assets.search(name="srv", limit=2, cursor=first.next)

    assert [row.name for row in first.items + second.items] == ["srv-a", "srv-b", "srv-c"]
    assert second.next is None
    assert [row.name for row in assets.search(criticality=Criticality.LOW).items] == ["srv-b"]
