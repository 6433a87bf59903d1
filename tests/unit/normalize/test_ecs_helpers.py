"""ECS document helpers: dotted puts, related.* bookkeeping, canonical setters that skip bad values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from socflow.normalize.ecs import (
    ECSDocument,
    get,
    put,
    put_host,
    put_ip,
    put_mac,
    put_port,
    put_time,
    put_traffic,
    put_user,
)


def test_ecs_put_builds_nested_objects_and_skips_empty_values() -> None:
    doc: ECSDocument = {}
    put(doc, "a.b.c", 1)
    put(doc, "a.b.d", "")
    put(doc, "a.e", None)

    assert doc == {"a": {"b": {"c": 1}}}
    assert get(doc, "a.b.c") == 1
    assert get(doc, "a.x.y") is None


def test_ecs_put_ip_canonicalises_and_records_related_once() -> None:
    doc: ECSDocument = {}

    assert put_ip(doc, "source.ip", "::ffff:10.0.0.1")
    assert put_ip(doc, "destination.ip", "10.0.0.1")
    assert not put_ip(doc, "client.ip", "nope")
    assert doc == {
        "source": {"ip": "10.0.0.1"},
        "destination": {"ip": "10.0.0.1"},
        "related": {"ip": ["10.0.0.1"]},
    }


def test_ecs_put_host_splits_names_and_routes_addresses() -> None:
    doc: ECSDocument = {}
    put_host(doc, "host", "DC1.Corp.Example")
    put_host(doc, "observer", "192.0.2.5")

    assert doc["host"] == {"name": "dc1", "domain": "corp.example"}
    assert doc["observer"] == {"ip": "192.0.2.5"}
    assert doc["related"] == {"hosts": ["dc1"], "ip": ["192.0.2.5"]}


def test_ecs_put_user_mac_port_and_time() -> None:
    doc: ECSDocument = {}
    put_user(doc, "user", "CORP\\Ann")
    put_mac(doc, "source.mac", "0011.2233.4455")
    put_mac(doc, "destination.mac", "zz")
    put_port(doc, "source.port", "443")
    put_port(doc, "destination.port", "70000")
    put_time(doc, datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))))

    assert doc["user"] == {"name": "Ann", "domain": "corp"}
    assert doc["source"] == {"mac": "00-11-22-33-44-55", "port": 443}
    assert "destination" not in doc
    assert doc["@timestamp"] == "2024-01-01T00:00:00Z"


def test_ecs_add_related_replaces_a_malformed_related_value() -> None:
    doc: ECSDocument = {"related": None}
    put_ip(doc, "source.ip", "10.0.0.1")
    doc["related"]["user"] = "not-a-list"
    put_user(doc, "user", "bob")

    assert doc["related"] == {"ip": ["10.0.0.1"], "user": ["bob"]}


def test_put_traffic_writes_both_sides_and_their_sum() -> None:
    doc: ECSDocument = {}

    put_traffic(doc, "bytes", 1200, 800)

    assert doc == {"source": {"bytes": 1200}, "destination": {"bytes": 800}, "network": {"bytes": 2000}}


def test_put_traffic_counts_an_unknown_side_as_zero_and_writes_nothing_when_both_are_unknown() -> None:
    one_side: ECSDocument = {}
    neither: ECSDocument = {}

    put_traffic(one_side, "packets", None, 7)
    put_traffic(neither, "packets", None, None)

    assert one_side == {"destination": {"packets": 7}, "network": {"packets": 7}}
    assert neither == {}
