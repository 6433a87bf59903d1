"""The `json` parser: ECS documents kept and canonicalised, other objects mapped by well-known keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from socflow.normalize.json_format import looks_like_ecs, parse_json, parse_json_object
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))


def test_json_parser_keeps_ecs_and_canonicalises_known_fields() -> None:
    text = json.dumps(
        {
            "@timestamp": "2024-02-01T10:00:00+02:00",
            "source": {"ip": "::ffff:10.0.0.1", "mac": "aa:bb:cc:dd:ee:ff"},
            "destination.ip": ["2001:DB8::1", "not-an-ip"],
            "host": {"name": "WEB01.Corp.Example"},
            "user": {"name": "CORP\\alice"},
            "event": {"created": 1700000000},
            "custom": {"kept": True},
        }
    )
    doc = parse_json(text, CONTEXT)

    assert doc is not None
    assert doc["@timestamp"] == "2024-02-01T08:00:00Z"
    assert doc["source"] == {"ip": "10.0.0.1", "mac": "AA-BB-CC-DD-EE-FF"}
    assert doc["destination"]["ip"] == ["2001:db8::1", "not-an-ip"]
    assert doc["host"] == {"name": "web01", "domain": "corp.example"}
    assert doc["user"] == {"name": "alice", "domain": "corp"}
    assert doc["event"]["created"] == "2023-11-14T22:13:20Z"
    assert doc["custom"] == {"kept": True}
    assert "2001:db8::1" in doc["related"]["ip"]


def test_json_parser_maps_common_keys_and_keeps_the_object() -> None:
    record = {
        "time": "2024-02-01 10:00:00",
        "hostname": "db1",
        "src_ip": "10.0.0.5",
        "dst": "srv.example",
        "dport": 5432,
        "username": "bob@corp",
        "msg": "slow query",
        "level": "WARN",
        "nested": [1],
    }
    doc = parse_json(json.dumps(record), CONTEXT)

    assert doc is not None
    assert doc["json"] == record
    assert doc["@timestamp"] == "2024-02-01T10:00:00Z"
    assert doc["host"] == {"name": "db1"}
    assert doc["source"] == {"ip": "10.0.0.5"}
    assert doc["destination"] == {"address": "srv.example", "port": 5432}
    assert doc["user"] == {"name": "bob", "domain": "corp"}
    assert doc["message"] == "slow query"
    assert doc["log"]["level"] == "warn"


def test_json_parser_answers_none_for_non_json_text() -> None:
    assert parse_json("plain text", CONTEXT) is None


@pytest.mark.parametrize(
    ("text", "reason"), [("{not json", "invalid JSON"), ('{"a": 1} trailing', "invalid JSON")]
)
def test_json_parser_refuses_broken_json(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_json(text, CONTEXT)


def test_json_looks_like_ecs_needs_timestamp_or_an_ecs_group() -> None:
    assert looks_like_ecs({"@timestamp": "x"})
    assert looks_like_ecs({"source.ip": "1.1.1.1"})
    assert looks_like_ecs({"event": {"kind": "event"}})
    assert not looks_like_ecs({"event": "login", "user": "bob"})


def test_json_parser_ignores_nested_and_boolean_values_for_common_keys() -> None:
    doc = parse_json('{"hostname": {"x": 1}, "user": true, "msg": null, "ts": "1700000000"}', CONTEXT)

    assert doc is not None
    assert "host" not in doc
    assert "user" not in doc
    assert "message" not in doc
    assert doc["@timestamp"] == "2023-11-14T22:13:20Z"


def test_json_parse_object_refuses_other_json_values() -> None:
    with pytest.raises(ParseError, match="expecting a JSON object, got list"):
        parse_json_object("[1, 2]")


def test_json_parser_folds_scalar_values_under_ecs_group_names() -> None:
    text = json.dumps(
        {
            "@timestamp": "2024-01-01T00:00:00Z",
            "host": "Web01.corp",
            "user": "CORP\\bob",
            "source": "10.0.0.1",
            "destination": "db.example",
            "event": "login",
            "related": None,
        }
    )
    doc = parse_json(text, CONTEXT)

    assert doc is not None
    assert doc["host"] == {"name": "web01", "domain": "corp"}
    assert doc["user"] == {"name": "bob", "domain": "corp"}
    assert doc["source"] == {"ip": "10.0.0.1"}
    assert doc["destination"] == {"address": "db.example"}
    assert doc["labels"] == {"event": "login"}
    assert doc["related"] == {"hosts": ["web01"], "user": ["bob"], "ip": ["10.0.0.1"]}
