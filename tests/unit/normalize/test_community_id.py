"""Community ID v1: the specification's hashes, one identifier for both directions, where it is written."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.community_id import community_id, put_community_id
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
