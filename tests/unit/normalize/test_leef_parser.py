"""The `leef` parser: LEEF 1.0 tabs, LEEF 2.0 declared delimiters (char or hex), devTime formats, ECS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socflow.normalize.leef import java_format_to_strptime, parse_leef, parse_leef_record
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))


def test_leef_record_reads_version_1_tab_delimited() -> None:
    record = parse_leef_record("LEEF:1.0|Microsoft|MSExchange|2013|15345|src=10.0.0.1\tdst=10.0.0.2\tmsg=a b")

    assert record is not None
    assert (record.vendor, record.product, record.product_version, record.event_id) == (
        "Microsoft",
        "MSExchange",
        "2013",
        "15345",
    )
    assert record.attributes == {"src": "10.0.0.1", "dst": "10.0.0.2", "msg": "a b"}


@pytest.mark.parametrize(("delimiter", "separator"), [("^", "^"), ("0x09", "\t"), ("x7C", "|"), ("", "\t")])
def test_leef_record_reads_version_2_delimiters(delimiter: str, separator: str) -> None:
    text = f"LEEF:2.0|Lancope|StealthWatch|1.0|41|{delimiter}|src=1.1.1.1{separator}dst=2.2.2.2"
    record = parse_leef_record(text)

    assert record is not None
    assert record.attributes == {"src": "1.1.1.1", "dst": "2.2.2.2"}


def test_leef_record_reads_space_separated_attributes_when_tabs_were_lost() -> None:
    record = parse_leef_record("LEEF:1.0|V|P|1|E|src=1.1.1.1 usrName=John Smith sev=3")

    assert record is not None
    assert record.attributes == {"src": "1.1.1.1", "usrName": "John Smith", "sev": "3"}


@pytest.mark.parametrize(
    ("text", "reason"), [("LEEF:1.0|V|P", "3 of 5"), ("LEEF:3.0|V|P|1|E|a=b", "unsupported LEEF version")]
)
def test_leef_parser_refuses_broken_headers(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_leef(text, CONTEXT)


def test_leef_parser_maps_attributes_and_dev_time_to_ecs() -> None:
    doc = parse_leef(
        "LEEF:2.0|Acme|IPS|3.1|Deny|^|src=10.0.0.1^srcPort=1234^dst=10.0.0.2^dstPort=443^proto=6^"
        "usrName=CORP\\alice^sev=9^cat=Firewall Deny^srcMAC=aa-bb-cc-dd-ee-ff^"
        "devTime=01/02/2024 03:04:05.250^devTimeFormat=dd/MM/yyyy HH:mm:ss.SSS",
        CONTEXT,
    )

    assert doc is not None
    assert doc["observer"] == {"vendor": "Acme", "product": "IPS", "version": "3.1"}
    assert doc["event"]["code"] == "Deny"
    assert doc["event"]["action"] == "Firewall Deny"
    assert doc["event"]["severity"] == 9
    assert doc["source"] == {"ip": "10.0.0.1", "port": 1234, "mac": "AA-BB-CC-DD-EE-FF"}
    assert doc["destination"] == {"ip": "10.0.0.2", "port": 443}
    assert doc["network"]["transport"] == "tcp"
    assert doc["user"] == {"name": "alice", "domain": "corp"}
    assert doc["@timestamp"] == "2024-02-01T03:04:05.250Z"
    assert doc["leef"]["category"] == "Firewall Deny"


def test_leef_parser_reads_dev_time_without_format_by_common_rules() -> None:
    doc = parse_leef("LEEF:1.0|V|P|1|E|devTime=1700000000000", CONTEXT)

    assert doc is not None
    assert doc["@timestamp"] == "2023-11-14T22:13:20Z"


def test_leef_java_format_translates_to_strptime() -> None:
    assert java_format_to_strptime("MMM dd yyyy HH:mm:ss") == "%b %d %Y %H:%M:%S"
    assert java_format_to_strptime("yyyy-MM-dd'T'HH:mm:ss.SSSZ") == "%Y-%m-%dT%H:%M:%S.%f%z"


@pytest.mark.parametrize(
    ("java", "strptime"),
    [
        ("MMM dd yyyy HH:mm:ss.SSS zzz", "%b %d %Y %H:%M:%S.%f %Z"),
        ("EEEE, d MMMM yy hh:mm a", "%A, %d %B %y %I:%M %p"),
        ("'at 100%' HH", "at 100%% %H"),
        ("dd/MM/yyyy HH:mm:ssXXX", "%d/%m/%Y %H:%M:%S%z"),
    ],
)
def test_leef_java_format_reads_letter_runs_as_one_field(java: str, strptime: str) -> None:
    assert java_format_to_strptime(java) == strptime


@pytest.mark.parametrize(
    ("dev_time", "dev_time_format", "expected"),
    [
        ("Jul 09 2024 14:30:05.125 CEST", "MMM dd yyyy HH:mm:ss.SSS zzz", "2024-07-09T12:30:05.125Z"),
        ("Jul 09 2024 14:30:05", "HH HH", "2024-07-09T14:30:05Z"),
    ],
)
def test_leef_parser_dev_time_formats_never_raise(dev_time: str, dev_time_format: str, expected: str) -> None:
    doc = parse_leef(f"LEEF:1.0|V|P|1|E|devTime={dev_time}\tdevTimeFormat={dev_time_format}", CONTEXT)

    assert doc is not None
    assert doc["@timestamp"] == expected


def test_leef_parser_maps_pre_nat_ports_packets_and_identity_attributes() -> None:
    doc = parse_leef(
        "LEEF:2.0|Acme|VPN|4.2|login|^|srcPreNAT=198.51.100.20^srcPreNATPort=50123^dstPreNAT=203.0.113.9^"
        "dstPreNATPort=8443^totalPackets=17^identUsrName=EXAMPLE\\carol^identGrpName=Remote Staff^"
        "identMAC=00:1a:2b:3c:4d:5e^role=Auditor^isLoginEvent=true",
        CONTEXT,
    )

    assert doc is not None
    assert doc["source"] == {"ip": "198.51.100.20", "port": 50123}
    assert doc["destination"] == {"ip": "203.0.113.9", "port": 8443}
    assert doc["network"]["packets"] == 17
    assert doc["user"] == {
        "name": "carol",
        "domain": "example",
        "group": {"name": "Remote Staff"},
        "roles": ["Auditor"],
    }
    assert doc["host"] == {"mac": "00-1A-2B-3C-4D-5E"}
    assert doc["event"]["category"] == ["authentication"]
    assert doc["event"]["type"] == ["start"]


def test_leef_parser_keeps_the_event_user_over_the_identity_user() -> None:
    doc = parse_leef("LEEF:1.0|V|P|1|E|identUsrName=dave\tusrName=erin\tisLogoutEvent=false", CONTEXT)

    assert doc is not None
    assert doc["user"] == {"name": "erin"}
    assert "category" not in doc["event"]


@pytest.mark.parametrize(
    "attributes",
    [
        [
            "src=192.0.2.10",
            "srcPreNAT=198.51.100.20",
            "identSrc=203.0.113.30",
            "srcPort=4001",
            "srcPreNATPort=5001",
        ],
        [
            "identSrc=203.0.113.30",
            "srcPreNATPort=5001",
            "srcPreNAT=198.51.100.20",
            "srcPort=4001",
            "src=192.0.2.10",
        ],
        [
            "srcPreNAT=198.51.100.20",
            "src=192.0.2.10",
            "srcPreNATPort=5001",
            "identSrc=203.0.113.30",
            "srcPort=4001",
        ],
    ],
)
def test_leef_parser_source_precedence_does_not_depend_on_order(attributes: list[str]) -> None:
    doc = parse_leef("LEEF:1.0|V|P|1|E|" + "\t".join(attributes), CONTEXT)

    assert doc is not None
    assert doc["source"] == {"ip": "192.0.2.10", "port": 4001}


def test_leef_parser_pre_nat_source_beats_the_identity_source_in_any_order() -> None:
    for line in (
        "srcPreNAT=198.51.100.20\tidentSrc=203.0.113.30",
        "identSrc=203.0.113.30\tsrcPreNAT=198.51.100.20",
    ):
        doc = parse_leef("LEEF:1.0|V|P|1|E|" + line, CONTEXT)
        assert doc is not None
        assert doc["source"] == {"ip": "198.51.100.20"}


def test_leef_parser_event_user_does_not_inherit_the_identity_users_domain() -> None:
    for line in ("identUsrName=EXAMPLE\\dave\tusrName=erin", "usrName=erin\tidentUsrName=EXAMPLE\\dave"):
        doc = parse_leef("LEEF:1.0|V|P|1|E|" + line, CONTEXT)
        assert doc is not None
        assert doc["user"] == {"name": "erin"}
    with_domain = parse_leef(
        "LEEF:1.0|V|P|1|E|domain=Branch\tidentUsrName=EXAMPLE\\dave\tusrName=erin", CONTEXT
    )
    assert with_domain is not None
    assert with_domain["user"] == {"name": "erin", "domain": "branch"}


def test_leef_flows_get_their_community_id_icmp_from_its_type_and_code() -> None:
    tcp = parse_leef(
        "LEEF:2.0|Acme|FW|1|deny|^|src=198.51.100.5^dst=10.0.0.5^srcPort=51234^dstPort=443^proto=6",
        CONTEXT,
    )
    ping = parse_leef(
        "LEEF:2.0|Acme|FW|1|deny|^|src=198.51.100.5^dst=10.0.0.5^proto=ICMP^icmpType=8^icmpCode=0",
        CONTEXT,
    )
    untyped = parse_leef("LEEF:2.0|Acme|FW|1|deny|^|src=198.51.100.5^dst=10.0.0.5^proto=1", CONTEXT)

    assert tcp is not None
    assert ping is not None
    assert untyped is not None
    # As the reference implementation (PyPI communityid) gives them for these flows.
    assert tcp["network"] == {
        "transport": "tcp",
        "iana_number": "6",
        "community_id": "1:r0htuAY2q7XkQk6ECI14Eo2Mwjw=",
    }
    assert ping["network"]["community_id"] == "1:JrlB7TwQ1dqapZcHp8IWY8x/FQ8="
    assert "community_id" not in untyped["network"]  # ICMP without its type names no flow
