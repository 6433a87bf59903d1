"""The `cef` parser: header and extension escapes, ECS mapping, severities, custom labels, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from socflow.normalize.cef import INVALID_ESCAPE_TAG, parse_cef, parse_cef_record, severity_number
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))
HEADER = "CEF:0|Acme|Fire\\|Wall|2.1|4711|Port scan|7|"


def test_cef_record_unescapes_header_pipes_and_backslashes() -> None:
    record = parse_cef_record("CEF:0|Ven\\\\dor|Pro\\|duct|1|sig|name|5|")

    assert record is not None
    assert (record.vendor, record.product, record.extensions) == ("Ven\\dor", "Pro|duct", {})


def test_cef_record_splits_extension_values_with_spaces_and_escapes() -> None:
    record = parse_cef_record(
        HEADER + "msg=two words here request=http://x/?a\\=b cs1=line1\\nline2 path=C:\\\\temp  "
    )

    assert record is not None
    assert record.extensions == {
        "msg": "two words here",
        "request": "http://x/?a=b",
        "cs1": "line1\nline2",
        "path": "C:\\temp",
    }
    assert not record.invalid_escapes


def test_cef_record_answers_none_without_cef_marker() -> None:
    assert parse_cef_record("hello") is None


def test_cef_record_finds_cef_after_leading_text() -> None:
    record = parse_cef_record("host1 CEF:0|V|P|1|s|n|3|src=10.0.0.1")

    assert record is not None
    assert record.extensions == {"src": "10.0.0.1"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("CEF:0|Vendor", "only 1 of 7"),
        ("CEF:7|V|P|1|s|n|3|", "unsupported CEF version '7'"),
        ("CEF:0|V|P|1|s|n|3| n,me=value", "text without a key"),
    ],
)
def test_cef_parser_refuses_broken_cef_naming_why(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_cef(text, CONTEXT)


def test_cef_parser_keeps_invalid_escapes_and_tags_the_document() -> None:
    doc = parse_cef("CEF:0|V|P|1|s|n|3|filePath=C:\\Windows\\x", CONTEXT)

    assert doc is not None
    assert doc["cef"]["extensions"]["filePath"] == "C:\\Windows\\x"
    assert doc["file"]["path"] == "C:\\Windows\\x"
    assert doc["tags"] == [INVALID_ESCAPE_TAG]


def test_cef_parser_maps_extensions_to_ecs() -> None:
    doc = parse_cef(
        HEADER + "src=10.0.0.1 spt=4444 dst=::ffff:192.0.2.7 dpt=22 smac=00:11:22:33:44:55 "
        "shost=Attacker.Example.com duser=CORP\\\\bob proto=TCP act=blocked app=SSH "
        "rt=1700000000000 outcome=Failure deviceDirection=0 fileHash=" + "a" * 64 + " in=12 out=34 "
        "dvc=10.9.9.9 dvchost=fw01.corp.example cs1Label=Rule Name cs1=R-17 cn1=5 msg=Scan seen",
        CONTEXT,
    )

    assert doc is not None
    assert doc["observer"] == {
        "vendor": "Acme",
        "product": "Fire|Wall",
        "version": "2.1",
        "ip": "10.9.9.9",
        "hostname": "fw01",
    }
    assert doc["event"]["code"] == "4711"
    assert doc["event"]["severity"] == 7
    assert doc["log"]["level"] == "high"
    assert doc["event"]["action"] == "blocked"
    assert doc["event"]["outcome"] == "failure"
    assert doc["message"] == "Scan seen"
    assert doc["source"] == {
        "ip": "10.0.0.1",
        "port": 4444,
        "mac": "00-11-22-33-44-55",
        "domain": "attacker.example.com",
        "bytes": 12,
    }
    assert doc["destination"]["ip"] == "192.0.2.7"
    assert doc["destination"]["user"] == {"name": "bob", "domain": "corp"}
    assert doc["destination"]["bytes"] == 34
    assert doc["network"] == {
        "transport": "tcp",
        "iana_number": "6",
        "protocol": "ssh",
        "direction": "inbound",
        "community_id": "1:wF1YQDbm0w3GI3/QXfJyZ6y18Lo=",  # as the reference implementation gives it
    }
    assert doc["@timestamp"] == "2023-11-14T22:13:20Z"
    assert doc["file"]["hash"] == {"sha256": "a" * 64}
    assert doc["labels"] == {"Rule_Name": "R-17", "cn1": "5"}


def test_cef_parser_uses_name_when_no_msg_or_act() -> None:
    doc = parse_cef("CEF:1|V|P|1|s|Login failed|Very-High|suser=alice@corp.example", CONTEXT)

    assert doc is not None
    assert doc["message"] == "Login failed"
    assert doc["event"]["action"] == "Login failed"
    assert doc["event"]["severity"] == 9
    assert doc["log"]["level"] == "critical"
    assert doc["source"]["user"] == {"name": "alice", "domain": "corp.example"}


def test_cef_parser_reads_full_key_names_and_bsd_receipt_time() -> None:
    doc = parse_cef("CEF:0|V|P|1|s|n|3|sourceAddress=10.1.1.1 receiptTime=Feb 10 2024 08:00:00", CONTEXT)

    assert doc is not None
    assert doc["source"]["ip"] == "10.1.1.1"
    assert doc["@timestamp"] == "2024-02-10T08:00:00Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("10", 10),
        ("11", None),
        ("Low", 0),
        ("medium", 4),
        ("High", 7),
        ("Very-High", 9),
        ("Unknown", None),
        ("weird", None),
    ],
)
def test_cef_severity_number_reads_numbers_and_words(text: str, expected: int | None) -> None:
    assert severity_number(text) == expected


def test_cef_parser_maps_arcsight_connector_fields_to_ecs() -> None:
    doc = parse_cef(
        "CEF:0|Acme|Gateway|5.0|login:7|Session opened|Medium| eventId=9001 externalId=X-77 "
        "art=1717243200250 rt=1717243190000 dtz=Europe/Berlin categoryOutcome=/Failure "
        "deviceProcessName=authd dvcpid=812 fileType=Config spriv=Administrator dpriv=Guest "
        "requestContext=https://portal.example.org/start deviceInboundInterface=ge-0/0/1 "
        "deviceOutboundInterface=ge-0/0/2 fileHash=" + "B" * 32 + " oldFileHash=" + "C" * 40,
        CONTEXT,
    )

    assert doc is not None
    assert doc["event"]["id"] == "9001"
    assert doc["event"]["created"] == "2024-06-01T12:00:00.250Z"
    assert doc["event"]["timezone"] == "Europe/Berlin"
    assert doc["event"]["outcome"] == "failure"
    assert doc["event"]["severity"] == 4
    assert doc["process"] == {"name": "authd", "pid": 812}
    assert doc["file"]["type"] == "Config"
    assert doc["source"]["user"]["group"] == {"name": "Administrator"}
    assert doc["destination"]["user"]["group"] == {"name": "Guest"}
    assert doc["http"]["request"]["referrer"] == "https://portal.example.org/start"
    assert doc["observer"]["ingress"] == {"interface": {"name": "ge-0/0/1"}}
    assert doc["observer"]["egress"] == {"interface": {"name": "ge-0/0/2"}}
    assert doc["related"]["hash"] == ["b" * 32, "c" * 40]


def test_cef_parser_prefers_specific_keys_whatever_their_order() -> None:
    doc = parse_cef(
        "CEF:0|V|P|1|s|n|3|externalId=dev-1 eventId=42 outcome=success categoryOutcome=/Failure "
        "deviceProcessName=syslogd dproc=sshd dpid=22 dvcpid=1",
        CONTEXT,
    )

    assert doc is not None
    assert doc["event"]["id"] == "42"
    assert doc["event"]["outcome"] == "success"
    assert doc["process"] == {"name": "sshd", "pid": 22}


def test_cef_parser_uses_external_id_and_attempt_outcome_without_better_keys() -> None:
    doc = parse_cef(
        "CEF:0|V|P|1|s|n|3|externalId=dev-1 categoryOutcome=/Attempt requestContext=menu", CONTEXT
    )

    assert doc is not None
    assert doc["event"]["id"] == "dev-1"
    assert doc["event"]["outcome"] == "unknown"
    assert "http" not in doc


def test_cef_parser_reads_zoneless_times_in_the_device_zone() -> None:
    doc = parse_cef(
        "CEF:0|V|P|1|s|n|3|rt=Feb 10 2024 08:00:00 start=1707548400000 deviceTimeZone=Europe/Paris", CONTEXT
    )
    unknown_zone = parse_cef("CEF:0|V|P|1|s|n|3|rt=Feb 10 2024 08:00:00 dtz=Nowhere/Land", CONTEXT)

    assert doc is not None
    assert unknown_zone is not None
    assert doc["@timestamp"] == "2024-02-10T07:00:00Z"
    assert doc["event"]["start"] == "2024-02-10T07:00:00Z"
    assert unknown_zone["@timestamp"] == "2024-02-10T08:00:00Z"
    assert unknown_zone["event"]["timezone"] == "Nowhere/Land"


def test_cef_parser_reads_geo_coordinates_in_range_only() -> None:
    doc = parse_cef("CEF:0|V|P|1|s|n|3|slat=48.85 slong=2.35 dlat=123.0 dlong=east", CONTEXT)

    assert doc is not None
    assert doc["source"]["geo"] == {"location": {"lat": 48.85, "lon": 2.35}}
    assert "destination" not in doc


def test_cef_parser_reads_the_agent_receipt_time_without_the_device_zone() -> None:
    line = "CEF:0|V|P|1|s|n|3|rt=Feb 10 2024 08:00:00 art=Feb 10 2024 08:00:05 dtz=Europe/Paris"
    in_utc = parse_cef(line, CONTEXT)
    in_new_york = parse_cef(
        line.replace(" art=", " agentReceiptTime="),
        ParseContext(received_at=CONTEXT.received_at, zone=ZoneInfo("America/New_York")),
    )

    assert in_utc is not None
    assert in_new_york is not None
    assert in_utc["@timestamp"] == "2024-02-10T07:00:00Z"  # the device's clock, in dtz
    assert in_utc["event"]["created"] == "2024-02-10T08:00:05Z"  # the agent's clock, in the listener's zone
    assert in_new_york["@timestamp"] == "2024-02-10T07:00:00Z"
    assert in_new_york["event"]["created"] == "2024-02-10T13:00:05Z"
