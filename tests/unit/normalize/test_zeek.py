"""Zeek parser: conn.log and dns.log lines, JSON and default-order TSV, to ECS fields."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.community_id import community_id
from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.zeek import ZEEK, parse, sniff

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))

CONN_JSON = (
    '{"ts":1796318400.123456,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"192.0.2.44","id.orig_p":51514,'
    '"id.resp_h":"203.0.113.80","id.resp_p":443,"proto":"tcp","service":"ssl","duration":12.5,'
    '"orig_bytes":1520,"resp_bytes":6842,"conn_state":"SF","local_orig":true,"local_resp":false,'
    '"missed_bytes":0,"history":"ShADadFf","orig_pkts":12,"orig_ip_bytes":2144,"resp_pkts":10,'
    '"resp_ip_bytes":7362}'
)
DNS_JSON = (
    '{"ts":"2026-12-03T17:20:01.250000Z","uid":"Cq1Ftm2yXiLSbUfc3a","id.orig_h":"2001:db8::44",'
    '"id.orig_p":40001,"id.resp_h":"2001:db8::53","id.resp_p":53,"proto":"udp","trans_id":48213,'
    '"rtt":0.012345,"query":"www.example.com","qclass":1,"qclass_name":"C_INTERNET","qtype":28,'
    '"qtype_name":"AAAA","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,'
    '"Z":0,"answers":["edge.example.net","2001:db8::80"],"TTLs":[300.0,60.0],"rejected":false}'
)
DNS_TSV = (
    "1796318401.250000\tCq1Ftm2yXiLSbUfc3a\t192.0.2.44\t40001\t192.0.2.53\t53\tudp\t48213\t0.012345\t"
    "www.example.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\tedge.example.net,203.0.113.80\t"
    "300.000000,60.000000\tF"
)
CONN_TSV_REJECTED = (
    "1796318402.500000\tC7GrhK3Mam0XnTLd4b\t198.51.100.9\t44321\t192.0.2.10\t22\ttcp\t-\t-\t-\t-\tREJ\t"
    "F\tT\t0\tSr\t1\t60\t1\t40\t(empty)"
)
CONN_TSV_UNSET_LOCALITY = (
    "1796318403.000000\tCmES5u32sYpV7JYN\t192.0.2.44\t5353\t192.0.2.255\t5353\tudp\tdns\t0.000512\t"
    "48\t0\tS0\t-\t-\t0\tD\t1\t76\t0\t0\t(empty)"
)


def _parse(text: str) -> ECSDocument:
    doc = parse(text, CONTEXT)
    assert doc is not None, text
    return doc


def test_zeek_conn_json_maps_endpoints_and_session() -> None:
    doc = _parse(CONN_JSON)
    assert get(doc, "@timestamp") == "2026-12-03T17:20:00.123456Z"
    assert get(doc, "event.id") == "CHhAvVGS1DHFjwGM9"
    assert get(doc, "zeek.session_id") == "CHhAvVGS1DHFjwGM9"
    assert get(doc, "source.ip") == "192.0.2.44"
    assert get(doc, "source.port") == 51514
    assert get(doc, "destination.ip") == "203.0.113.80"
    assert get(doc, "destination.port") == 443
    assert get(doc, "network.transport") == "tcp"
    assert get(doc, "network.protocol") == "ssl"
    assert get(doc, "network.type") == "ipv4"
    assert get(doc, "event.dataset") == "zeek.conn"
    assert get(doc, "event.kind") == "event"
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "event.type") == ["connection", "start", "end"]
    assert get(doc, "related.ip") == ["192.0.2.44", "203.0.113.80"]


def test_zeek_conn_json_maps_counters_state_and_direction() -> None:
    doc = _parse(CONN_JSON)
    assert get(doc, "event.duration") == 12_500_000_000
    assert get(doc, "source.bytes") == 2144
    assert get(doc, "destination.bytes") == 7362
    assert get(doc, "network.bytes") == 9506
    assert get(doc, "network.packets") == 22
    assert get(doc, "zeek.connection.orig_bytes") == 1520
    assert get(doc, "zeek.connection.resp_bytes") == 6842
    assert get(doc, "zeek.connection.state") == "SF"
    assert get(doc, "zeek.connection.history") == "ShADadFf"
    assert get(doc, "network.direction") == "outbound"


@pytest.mark.parametrize("duration", ["1e300", "-1e300", "9300000000.0"])
def test_zeek_conn_duration_beyond_a_signed_64_bit_nanosecond_count_is_left_out(duration: str) -> None:
    doc = _parse(CONN_JSON.replace('"duration":12.5', f'"duration":{duration}'))
    assert get(doc, "event.duration") is None
    assert get(doc, "source.ip") == "192.0.2.44"


def test_zeek_conn_tsv_rejected_connection_is_denied_and_inbound() -> None:
    doc = _parse(CONN_TSV_REJECTED)
    assert get(doc, "event.dataset") == "zeek.conn"
    assert get(doc, "event.type") == ["connection", "start", "denied"]
    assert get(doc, "zeek.connection.state") == "REJ"
    assert get(doc, "network.direction") == "inbound"
    assert get(doc, "network.protocol") is None
    assert get(doc, "event.duration") is None
    assert get(doc, "source.bytes") == 60
    assert get(doc, "destination.bytes") == 40
    assert get(doc, "@timestamp") == "2026-12-03T17:20:02.500000Z"


def test_zeek_conn_tsv_with_unset_locality_has_no_direction() -> None:
    doc = _parse(CONN_TSV_UNSET_LOCALITY)
    assert get(doc, "network.direction") is None
    assert get(doc, "network.protocol") == "dns"
    assert get(doc, "event.duration") == 512_000
    assert get(doc, "zeek.connection.orig_bytes") == 48


def test_zeek_dns_tsv_maps_question_answers_and_flags() -> None:
    doc = _parse(DNS_TSV)
    assert get(doc, "event.dataset") == "zeek.dns"
    assert get(doc, "dns.id") == "48213"
    assert get(doc, "dns.question.name") == "www.example.com"
    assert get(doc, "dns.question.type") == "A"
    assert get(doc, "dns.question.class") == "IN"
    assert get(doc, "dns.response_code") == "NOERROR"
    assert get(doc, "dns.type") == "answer"
    assert get(doc, "dns.answers") == [
        {"data": "edge.example.net", "ttl": 300},
        {"data": "203.0.113.80", "ttl": 60},
    ]
    assert get(doc, "dns.resolved_ip") == ["203.0.113.80"]
    assert get(doc, "dns.header_flags") == ["RD", "RA"]
    assert get(doc, "zeek.dns.rtt") == 0.012345
    assert get(doc, "event.duration") == 12_345_000
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "event.type") == ["connection", "protocol", "info"]
    assert get(doc, "zeek.dns.rejected") is False
    assert get(doc, "network.protocol") == "dns"
    assert get(doc, "network.transport") == "udp"
    assert "203.0.113.80" in get(doc, "related.ip")


def test_zeek_dns_json_with_iso_time_and_ipv6() -> None:
    doc = _parse(DNS_JSON)
    assert get(doc, "@timestamp") == "2026-12-03T17:20:01.250000Z"
    assert get(doc, "network.type") == "ipv6"
    assert get(doc, "dns.question.type") == "AAAA"
    assert get(doc, "dns.resolved_ip") == ["2001:db8::80"]


def test_zeek_dns_query_without_reply_is_a_query() -> None:
    record = json.loads(DNS_JSON)
    for key in ("rcode", "rcode_name", "answers", "TTLs", "rtt"):
        del record[key]
    doc = _parse(json.dumps(record))
    assert get(doc, "dns.type") == "query"
    assert get(doc, "dns.answers") is None
    assert get(doc, "event.outcome") is None
    assert get(doc, "event.duration") is None


def test_zeek_dns_error_reply_is_a_failure() -> None:
    doc = _parse(DNS_JSON.replace('"rcode":0,"rcode_name":"NOERROR"', '"rcode":3,"rcode_name":"NXDOMAIN"'))
    assert get(doc, "dns.response_code") == "NXDOMAIN"
    assert get(doc, "event.outcome") == "failure"


@pytest.mark.parametrize(
    ("number", "name", "mnemonic"),
    [(1, "C_INTERNET", "IN"), (3, "C_CHAOS", "CH"), (255, "C_ANY", "ANY"), (32769, "C_UNKNOWN", "C_UNKNOWN")],
)
def test_zeek_dns_question_class_is_the_rfc_mnemonic(number: int, name: str, mnemonic: str) -> None:
    doc = _parse(
        DNS_JSON.replace('"qclass":1,"qclass_name":"C_INTERNET"', f'"qclass":{number},"qclass_name":"{name}"')
    )
    assert get(doc, "dns.question.class") == mnemonic


def test_zeek_dns_question_class_without_a_name_uses_generic_notation() -> None:
    doc = _parse(DNS_JSON.replace('"qclass":1,"qclass_name":"C_INTERNET",', '"qclass":65280,'))
    assert get(doc, "dns.question.class") == "CLASS65280"


@pytest.mark.parametrize(
    ("state", "types"),
    [
        ("S0", ["connection", "start"]),
        ("S1", ["connection", "start"]),
        ("SF", ["connection", "start", "end"]),
        ("REJ", ["connection", "start", "denied"]),
        ("RSTO", ["connection", "info"]),
        ("SHR", ["connection", "info"]),
        ("OTH", ["connection", "info"]),
    ],
)
def test_zeek_conn_state_sets_the_event_types(state: str, types: list[str]) -> None:
    doc = _parse(CONN_JSON.replace('"conn_state":"SF"', f'"conn_state":"{state}"'))
    assert get(doc, "event.type") == types


def test_zeek_conn_duration_is_rounded_to_the_nanosecond() -> None:
    doc = _parse(CONN_JSON.replace('"duration":12.5', '"duration":0.043219'))
    assert get(doc, "event.duration") == 43_219_000


def test_zeek_conn_icmp_type_and_code_are_not_ports() -> None:
    doc = _parse(
        '{"ts":1796318404.5,"uid":"CkP3n41mIcmpTest1","id.orig_h":"192.0.2.44","id.orig_p":8,'
        '"id.resp_h":"198.51.100.7","id.resp_p":0,"proto":"icmp","conn_state":"OTH","local_orig":true,'
        '"local_resp":false,"missed_bytes":0,"orig_pkts":2,"orig_ip_bytes":168,"resp_pkts":2,"resp_ip_bytes":168}'
    )
    assert get(doc, "source.port") is None
    assert get(doc, "destination.port") is None
    assert get(doc, "zeek.connection.icmp.type") == 8
    assert get(doc, "zeek.connection.icmp.code") == 0
    assert get(doc, "network.transport") == "icmp"
    assert get(doc, "network.packets") == 4


def test_zeek_json_path_field_selects_the_log() -> None:
    record = {
        "_path": "dns",
        "ts": 1796318400.0,
        "uid": "C1",
        "id.orig_h": "192.0.2.1",
        "id.orig_p": 1,
        "id.resp_h": "192.0.2.53",
        "id.resp_p": 53,
        "proto": "udp",
        "query": "example.com",
    }
    assert get(_parse(json.dumps(record)), "event.dataset") == "zeek.dns"


def test_zeek_other_logs_and_headers_are_not_claimed() -> None:
    http_log = (
        '{"ts":1796318400.1,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"192.0.2.44","id.orig_p":51514,'
        '"id.resp_h":"203.0.113.80","id.resp_p":80,"method":"GET","host":"www.example.com","uri":"/"}'
    )
    assert parse(http_log, CONTEXT) is None
    assert parse("#fields\tts\tuid\tid.orig_h\tid.orig_p", CONTEXT) is None
    assert parse("#separator \\x09", CONTEXT) is None
    assert parse("plain text", CONTEXT) is None


def test_zeek_bad_address_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(CONN_JSON.replace('"192.0.2.44"', '"not-an-ip"'), CONTEXT)


def test_zeek_bad_time_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(CONN_JSON.replace("1796318400.123456", '"soon"'), CONTEXT)


def test_zeek_broken_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(CONN_JSON[:120], CONTEXT)


@pytest.mark.parametrize("line", [CONN_JSON, DNS_JSON, DNS_TSV, CONN_TSV_REJECTED, CONN_TSV_UNSET_LOCALITY])
def test_zeek_sniff_accepts_conn_and_dns(line: str) -> None:
    assert sniff(line)


@pytest.mark.parametrize(
    "line",
    [
        '{"timestamp":"2026-12-03T17:20:01+0000","event_type":"flow","src_ip":"192.0.2.1"}',
        '{"uid":"C1","user":"alice"}',
        "1796318400.1\tsomething\telse",
        "[UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.23 DST=192.0.2.10 PROTO=TCP",
    ],
)
def test_zeek_sniff_refuses_other_formats(line: str) -> None:
    assert not sniff(line)


def test_zeek_spec_outranks_generic_json() -> None:
    assert ZEEK.name == "zeek"
    assert ZEEK.priority > 90


@given(st.text(max_size=300))
def test_zeek_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


@given(st.lists(st.text(alphabet="abcSFTR0123456789.,-()", max_size=10), min_size=18, max_size=26))
def test_zeek_parse_survives_tsv_shaped_garbage(columns: list[str]) -> None:
    with contextlib.suppress(ParseError):
        parse("1796318400.5\tCabcdef123\t" + "\t".join(columns), CONTEXT)


@given(
    st.dictionaries(
        st.sampled_from(
            ["ts", "id.orig_p", "duration", "answers", "TTLs", "local_orig", "service", "conn_state"]
        ),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=10)
        | st.lists(st.integers()),
    )
)
def test_zeek_parse_survives_json_with_odd_values(fields: dict[str, object]) -> None:
    record = {"uid": "C1", "id.orig_h": "192.0.2.1", "id.resp_h": "192.0.2.2", "history": "S", **fields}
    with contextlib.suppress(ParseError):
        parse(json.dumps(record), CONTEXT)


def test_zeek_dns_over_icmp_has_no_connection_fields_but_a_community_id() -> None:
    doc = _parse(
        '{"_path":"dns","ts":1796318405.0,"uid":"CdNsIcmp0000001","id.orig_h":"192.0.2.44","id.orig_p":8,'
        '"id.resp_h":"198.51.100.53","id.resp_p":0,"proto":"icmp","trans_id":7,"query":"www.example.com"}'
    )
    assert get(doc, "event.dataset") == "zeek.dns"
    assert get(doc, "zeek.connection") is None
    assert get(doc, "source.port") is None
    assert get(doc, "network.transport") == "icmp"
    assert get(doc, "network.community_id") == community_id(1, "192.0.2.44", "198.51.100.53", 8, 0)
