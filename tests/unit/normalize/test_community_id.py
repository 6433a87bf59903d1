"""Community ID v1: the specification's hashes, one identifier for both directions, where it is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize import cisco_asa, fortigate, iptables, panos
from socflow.normalize.community_id import community_id, icmp_number, put_community_id
from socflow.normalize.ecs import ECSDocument
from socflow.normalize.registry import ParseContext
from socflow.normalize.suricata import parse as parse_suricata
from socflow.normalize.zeek import parse as parse_zeek

CONTEXT = ParseContext(received_at=datetime(2026, 12, 4, 12, 0, tzinfo=UTC))

# Checked against the reference implementation (PyPI communityid 1.5.0) on 50,000 random flows of
# every protocol kind; the first is the specification's own example.
KNOWN = [
    ((6, "128.232.110.120", "66.35.250.204", 34855, 80), "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
    ((17, "192.0.2.1", "198.51.100.7", 53000, 53), "1:t9at4cFQXv9Bhv+BO0X9mext5kI="),
    ((1, "192.0.2.1", "198.51.100.7", 8, 0), "1:gWq+zk/5wiECNk6+x16LEy0O2tI="),
    ((1, "198.51.100.7", "192.0.2.1", 0, 0), "1:gWq+zk/5wiECNk6+x16LEy0O2tI="),  # the echo reply
    ((58, "2001:db8::1", "2001:db8::2", 128, 0), "1:u2vMS3HiWth2lIMKHB1fjELshpQ="),
    ((1, "192.0.2.1", "198.51.100.7", 3, 1), "1:onF54MbIL2+wIrzmNRbeRvTE6x8="),  # one-way: unreachable
    ((47, "192.0.2.9", "192.0.2.1", None, None), "1:/oouKp97QRvLxcVwftXSvISHXiI="),  # GRE: no ports
]


def test_the_known_hashes() -> None:
    for args, expected in KNOWN:
        assert community_id(*args) == expected, args


def test_no_identifier_for_what_is_not_a_flow() -> None:
    assert community_id(6, "192.0.2.1", "not-an-ip", 1, 2) is None
    assert community_id(6, "192.0.2.1", "2001:db8::1", 1, 2) is None  # two address families
    assert community_id(6, "192.0.2.1", "192.0.2.2") is None  # TCP without ports
    assert community_id(6, "192.0.2.1", "192.0.2.2", 70000, 1) is None
    assert community_id(300, "192.0.2.1", "192.0.2.2") is None


@given(
    protocol=st.sampled_from([6, 17, 132]),
    source=st.ip_addresses(v=4).map(str),
    destination=st.ip_addresses(v=4).map(str),
    ports=st.tuples(st.integers(0, 65535), st.integers(0, 65535)),
)
def test_both_directions_of_a_flow_share_one_identifier(
    protocol: int, source: str, destination: str, ports: tuple[int, int]
) -> None:
    forward = community_id(protocol, source, destination, *ports)
    assert forward is not None
    assert forward.startswith("1:")
    assert community_id(protocol, destination, source, ports[1], ports[0]) == forward


def _doc(**network: object) -> ECSDocument:
    return {
        "source": {"ip": "192.0.2.1", "port": 53000},
        "destination": {"ip": "198.51.100.7", "port": 53},
        "network": {"iana_number": "17", **network},
    }


def test_put_keeps_what_the_sensor_wrote_and_needs_a_protocol() -> None:
    doc = _doc()
    put_community_id(doc)
    assert doc["network"]["community_id"] == "1:t9at4cFQXv9Bhv+BO0X9mext5kI="
    written = _doc(community_id="1:from-the-sensor")
    put_community_id(written)
    assert written["network"]["community_id"] == "1:from-the-sensor"
    no_protocol: ECSDocument = {"source": {"ip": "192.0.2.1"}, "destination": {"ip": "192.0.2.2"}}
    put_community_id(no_protocol)
    assert "network" not in no_protocol
    odd = _doc()
    odd["source"]["port"] = "53000"
    put_community_id(odd)
    assert "community_id" not in odd["network"]


def test_suricata_and_zeek_records_get_the_identifier_of_their_flow() -> None:
    eve = {
        "timestamp": "2026-12-04T11:00:00.000000+0000",
        "event_type": "flow",
        "src_ip": "192.0.2.1",
        "src_port": 53000,
        "dest_ip": "198.51.100.7",
        "dest_port": 53,
        "proto": "UDP",
    }
    conn = {
        "ts": 1796382000.0,
        "uid": "CxW1Kd3vQ8hT2mZb7e",
        "id.orig_h": "198.51.100.7",
        "id.orig_p": 0,
        "id.resp_h": "192.0.2.1",
        "id.resp_p": 0,
        "proto": "icmp",
        "conn_state": "OTH",
    }
    icmp_eve = dict(eve, proto="ICMP", icmp_type=8, icmp_code=0, src_port=None, dest_port=None)

    suricata = parse_suricata(json.dumps(eve), CONTEXT)
    zeek = parse_zeek(json.dumps(conn), CONTEXT)
    suricata_icmp = parse_suricata(json.dumps(icmp_eve), CONTEXT)

    assert suricata is not None
    assert zeek is not None
    assert suricata_icmp is not None
    assert suricata["network"]["community_id"] == "1:t9at4cFQXv9Bhv+BO0X9mext5kI="
    # Zeek's echo reply (type 0) from the other side is the same flow as Suricata's echo request.
    assert zeek["network"]["community_id"] == suricata_icmp["network"]["community_id"]
    assert zeek["network"]["community_id"] == "1:gWq+zk/5wiECNk6+x16LEy0O2tI="
    ipv6 = parse_zeek(
        json.dumps(dict(conn, **{"id.orig_h": "2001:db8::2", "id.resp_h": "2001:db8::1"})), CONTEXT
    )
    assert ipv6 is not None
    assert ipv6["network"]["transport"] == "ipv6-icmp"
    assert ipv6["network"]["community_id"] == community_id(58, "2001:db8::2", "2001:db8::1", 0, 0)


# One TCP flow 198.51.100.5:51234 -> 10.0.0.5:443 and one ping, as four firewalls log them.
TCP_FLOW_ID = community_id(6, "198.51.100.5", "10.0.0.5", 51234, 443)
PING_ID = community_id(1, "198.51.100.5", "10.0.0.5", 8, 0)
FIREWALL_LINES = [
    (
        cisco_asa.parse,
        "<166>Mar  2 08:15:30 fw01 : %ASA-6-302013: Built inbound TCP connection 101 for "
        "outside:198.51.100.5/51234 (198.51.100.5/51234) to inside:10.0.0.5/443 (203.0.113.5/443)",
        TCP_FLOW_ID,
    ),
    (
        cisco_asa.parse,
        "<166>Mar  2 08:15:31 fw01 : %ASA-6-302021: Teardown ICMP connection for faddr "
        "198.51.100.5/0 gaddr 203.0.113.5/0 laddr 10.0.0.5/0 type 8 code 0",
        PING_ID,
    ),
    (
        iptables.parse,
        "[UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.5 DST=10.0.0.5 LEN=60 TTL=52 ID=1 DF PROTO=TCP "
        "SPT=51234 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0",
        TCP_FLOW_ID,
    ),
    (
        iptables.parse,
        # The echo reply, going the other way, belongs to the same flow.
        "IN=eth1 OUT= SRC=10.0.0.5 DST=198.51.100.5 LEN=84 TTL=64 ID=2 PROTO=ICMP TYPE=0 CODE=0 ID=7 SEQ=1",
        PING_ID,
    ),
    (
        fortigate.parse,
        'date=2026-03-02 time=08:15:30 devname="fg1" devid="FG100" logid="0000000013" type="traffic" '
        'subtype="forward" srcip=198.51.100.5 srcport=51234 dstip=10.0.0.5 dstport=443 proto=6 '
        'action="accept"',
        TCP_FLOW_ID,
    ),
    (
        fortigate.parse,
        'date=2026-03-02 time=08:15:30 devname="fg1" devid="FG100" logid="0000000013" type="traffic" '
        'subtype="forward" srcip=198.51.100.5 dstip=10.0.0.5 proto=1 icmpid="0x0007" icmptype="0x08" '
        'icmpcode="0x00" action="accept"',
        PING_ID,
    ),
    (
        panos.parse,
        "1,2026/03/02 08:15:30,012801234567,TRAFFIC,end,2561,2026/03/02 08:15:30,198.51.100.5,"
        "10.0.0.5,0.0.0.0,0.0.0.0,Allow-Web,,,ssl,vsys1,untrust,trust,ethernet1/1,ethernet1/2,"
        "Forward,2026/03/02 08:15:30,1,1,51234,443,0,0,0x40001c,tcp,allow,9321,1803,7518,24,"
        "2026/03/02 08:15:12,18,any,0,7012345678,0x0,United States,10.0.0.0-10.255.255.255,0,11,13,"
        "tcp-fin,0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0",
        TCP_FLOW_ID,
    ),
    (
        panos.parse,
        # PAN-OS writes no ICMP type, so an ICMP session gets no identifier.
        "1,2026/03/02 08:15:30,012801234567,TRAFFIC,end,2561,2026/03/02 08:15:30,198.51.100.5,"
        "10.0.0.5,0.0.0.0,0.0.0.0,Allow-Ping,,,ping,vsys1,untrust,trust,ethernet1/1,ethernet1/2,"
        "Forward,2026/03/02 08:15:30,2,1,0,0,0,0,0x19,icmp,allow,196,98,98,2,"
        "2026/03/02 08:15:12,0,any,0,7012345679,0x0,United States,10.0.0.0-10.255.255.255,0,1,1,"
        "aged-out,0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0",
        None,
    ),
]


@pytest.mark.parametrize(("parse", "line", "expected"), FIREWALL_LINES)
def test_firewall_logs_of_one_flow_share_its_identifier(
    parse: Callable[[str, ParseContext], ECSDocument | None], line: str, expected: str | None
) -> None:
    doc = parse(line, CONTEXT)

    assert doc is not None
    assert doc["network"].get("community_id") == expected


def test_the_firewalls_and_the_sensors_agree() -> None:
    assert TCP_FLOW_ID == "1:r0htuAY2q7XkQk6ECI14Eo2Mwjw="  # as the reference implementation gives it
    eve = {
        "timestamp": "2026-03-02T08:15:30.000000+0000",
        "event_type": "flow",
        "src_ip": "10.0.0.5",
        "src_port": 443,
        "dest_ip": "198.51.100.5",
        "dest_port": 51234,
        "proto": "TCP",
    }
    suricata = parse_suricata(json.dumps(eve), CONTEXT)

    assert suricata is not None
    assert suricata["network"]["community_id"] == TCP_FLOW_ID


def test_a_zone_index_is_not_part_of_the_address() -> None:
    scoped = community_id(6, "fe80::1%eth0", "fe80::2", 40000, 22)

    assert scoped is not None
    assert scoped == community_id(6, "fe80::1", "fe80::2", 40000, 22)


def test_icmp_numbers_are_read_in_decimal_or_in_fortios_hex() -> None:
    assert [icmp_number(text) for text in ("8", " 3 ", "0x08", "0X0b")] == [8, 3, 8, 11]
    assert [icmp_number(text) for text in ("", None, "x", "0x", "0xzz", "-1")] == [None] * 6
