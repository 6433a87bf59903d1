"""iptables parser: netfilter packet log lines (UFW, custom prefixes, IPv6, ICMP) to ECS fields."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.iptables import IPTABLES, parse, sniff
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))

UFW_BLOCK = (
    "kernel: [1234567.890123] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 "
    "SRC=198.51.100.23 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=54321 DF PROTO=TCP "
    "SPT=44321 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0"
)
FORWARD_ACCEPT = (
    "[ 8812.004211] FWD-ACCEPT: IN=br0 OUT=eth1 MAC=00:16:3e:11:22:33:00:16:3e:44:55:66:08:00 "
    "SRC=192.0.2.44 DST=203.0.113.53 LEN=72 TOS=0x00 PREC=0x00 TTL=63 ID=1201 PROTO=UDP "
    "SPT=40001 DPT=53 LEN=52"
)
OUTPUT_REJECT = (
    "OUT-REJECT IN= OUT=eth0 SRC=192.0.2.10 DST=198.51.100.80 LEN=60 TOS=0x00 PREC=0x00 TTL=64 "
    "ID=6677 DF PROTO=TCP SPT=51000 DPT=25 WINDOW=29200 RES=0x00 SYN URGP=0 UID=1001 GID=1001"
)
IPV6_ICMP = (
    "ip6-drop: IN=eth1 OUT= MAC=33:33:00:00:00:01:52:54:00:ab:cd:ef:86:dd SRC=2001:db8::5 "
    "DST=2001:db8::1 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1"
)


def _parse(text: str) -> ECSDocument:
    doc = parse(text, CONTEXT)
    assert doc is not None, text
    return doc


def test_iptables_ufw_block_maps_packet_fields() -> None:
    doc = _parse(UFW_BLOCK)
    assert get(doc, "source.ip") == "198.51.100.23"
    assert get(doc, "source.port") == 44321
    assert get(doc, "destination.ip") == "192.0.2.10"
    assert get(doc, "destination.port") == 22
    assert get(doc, "network.transport") == "tcp"
    assert get(doc, "network.iana_number") == "6"
    assert get(doc, "network.type") == "ipv4"
    assert get(doc, "network.direction") == "ingress"
    assert get(doc, "observer.ingress.interface.name") == "eth0"
    assert get(doc, "observer.egress.interface.name") is None
    assert get(doc, "event.action") == "block"
    assert get(doc, "event.kind") == "event"
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "event.type") == ["connection", "denied"]
    assert get(doc, "iptables.prefix") == "[UFW BLOCK]"
    assert get(doc, "iptables.ttl") == 51
    assert get(doc, "iptables.length") == 60
    assert get(doc, "iptables.tcp.flags") == ["SYN"]
    assert get(doc, "iptables.tcp.window") == 64240
    assert get(doc, "related.ip") == ["198.51.100.23", "192.0.2.10"]
    assert get(doc, "observer.type") == "firewall"
    assert get(doc, "event.dataset") == "iptables.log"


def test_iptables_mac_field_gives_source_and_destination_mac() -> None:
    doc = _parse(UFW_BLOCK)
    assert get(doc, "destination.mac") == "52-54-00-12-34-56"
    assert get(doc, "source.mac") == "52-54-00-AB-CD-EF"


def test_iptables_forwarded_packet_has_both_interfaces_and_allow_verdict() -> None:
    doc = _parse(FORWARD_ACCEPT)
    assert get(doc, "observer.ingress.interface.name") == "br0"
    assert get(doc, "observer.egress.interface.name") == "eth1"
    assert get(doc, "network.direction") is None
    assert get(doc, "network.transport") == "udp"
    assert get(doc, "event.action") == "accept"
    assert get(doc, "event.type") == ["connection", "allowed"]
    assert get(doc, "iptables.prefix") == "FWD-ACCEPT:"
    assert get(doc, "iptables.length") == 72  # the IP length, not the UDP one that follows


def test_iptables_output_chain_is_egress_without_mac() -> None:
    doc = _parse(OUTPUT_REJECT)
    assert get(doc, "network.direction") == "egress"
    assert get(doc, "observer.egress.interface.name") == "eth0"
    assert get(doc, "source.mac") is None
    assert get(doc, "event.action") == "reject"
    assert get(doc, "destination.port") == 25


def test_iptables_ipv6_icmp_maps_type_and_code() -> None:
    doc = _parse(IPV6_ICMP)
    assert get(doc, "network.type") == "ipv6"
    assert get(doc, "network.transport") == "ipv6-icmp"
    assert get(doc, "iptables.icmp.type") == 128
    assert get(doc, "iptables.icmp.code") == 0
    assert get(doc, "iptables.ttl") == 64
    assert get(doc, "source.port") is None
    assert get(doc, "event.action") == "drop"


def test_iptables_without_prefix_has_no_action() -> None:
    doc = _parse("IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.1 LEN=40 PROTO=47")
    assert get(doc, "event.action") is None
    assert get(doc, "event.type") == ["connection"]
    assert get(doc, "network.transport") == "gre"
    assert get(doc, "iptables.prefix") is None


def test_iptables_icmp_error_ignores_the_quoted_inner_packet() -> None:
    doc = _parse(
        "DROP IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.1 LEN=88 PROTO=ICMP TYPE=3 CODE=3 "
        "[SRC=192.0.2.1 DST=198.51.100.1 LEN=60 PROTO=UDP SPT=53 DPT=5353 ]"
    )
    assert get(doc, "source.ip") == "198.51.100.1"
    assert get(doc, "destination.port") is None
    assert get(doc, "iptables.icmp.type") == 3


def test_iptables_missing_address_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse("[UFW BLOCK] IN=eth0 OUT= MAC= DST=192.0.2.10 LEN=60 PROTO=TCP", CONTEXT)


def test_iptables_bad_address_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse("[UFW BLOCK] IN=eth0 OUT= SRC=999.1.1.1 DST=192.0.2.10 PROTO=TCP", CONTEXT)


def test_iptables_other_text_is_not_claimed() -> None:
    assert parse("Accepted password for alice from 192.0.2.10 port 22 ssh2", CONTEXT) is None


@pytest.mark.parametrize("line", [UFW_BLOCK, FORWARD_ACCEPT, OUTPUT_REJECT, IPV6_ICMP])
def test_iptables_sniff_accepts_netfilter_lines(line: str) -> None:
    assert sniff(line)


@pytest.mark.parametrize(
    "line",
    [
        "%ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.2/1 to inside:192.0.2.1/22",
        'date=2026-12-03 time=17:05:11 devname="FGT" logid="0000000013" srcip=192.0.2.1 dstip=192.0.2.2',
        "CEF:0|Vendor|Product|1.0|100|name|5|src=192.0.2.1 dst=192.0.2.2",
        "LOGIN=alice SRC=192.0.2.1",
    ],
)
def test_iptables_sniff_refuses_other_formats(line: str) -> None:
    assert not sniff(line)


def test_iptables_spec_is_a_device_parser_reading_the_syslog_body() -> None:
    assert IPTABLES.name == "iptables"
    assert IPTABLES.wants_syslog_body
    assert IPTABLES.priority > 0


@given(st.text(max_size=300))
def test_iptables_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


@given(st.text(alphabet="INOUTSRCDT=:. 0123456789abcdef[]", max_size=200))
def test_iptables_parse_survives_netfilter_shaped_garbage(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse("IN=eth0 OUT= " + text, CONTEXT)


@pytest.mark.parametrize(
    ("letter", "action", "verdict"),
    [("A", "accept", "allowed"), ("D", "drop", "denied"), ("R", "reject", "denied")],
)
def test_iptables_edgeos_rule_label_gives_rule_and_verdict(letter: str, action: str, verdict: str) -> None:
    # EdgeOS/VyOS write "[<rule set>-<rule>-<A|D|R>]" straight before IN=, with no blank.
    doc = _parse(
        f"kernel: [LAB_IN-30-{letter}]IN=eth1 OUT=eth0 MAC=02:00:5e:10:00:01:02:00:5e:10:00:02:08:00 "
        "SRC=198.51.100.7 DST=192.0.2.20 LEN=60 TOS=0x00 PREC=0x00 TTL=61 ID=4242 DF PROTO=TCP "
        "SPT=50123 DPT=8443 WINDOW=29200 RES=0x00 SYN URGP=0"
    )
    assert get(doc, "event.action") == action
    assert get(doc, "event.type") == ["connection", verdict]
    assert get(doc, "rule.name") == "LAB_IN"
    assert get(doc, "rule.id") == "30"
    assert get(doc, "iptables.prefix") == f"[LAB_IN-30-{letter}]"
    assert get(doc, "observer.ingress.interface.name") == "eth1"
    assert get(doc, "observer.egress.interface.name") == "eth0"
    assert get(doc, "source.ip") == "198.51.100.7"
    assert get(doc, "destination.port") == 8443


def test_iptables_default_rule_label_and_hyphenated_rule_set() -> None:
    doc = _parse(
        "[dmz-inside-default-D]IN=eth2 OUT= SRC=203.0.113.80 DST=192.0.2.5 LEN=76 TOS=0x00 PREC=0x00 "
        "TTL=243 ID=3001 PROTO=47"
    )
    assert get(doc, "rule.name") == "dmz-inside"
    assert get(doc, "rule.id") == "default"
    assert get(doc, "event.action") == "drop"
    assert get(doc, "network.iana_number") == "47"
    assert get(doc, "network.transport") == "gre"


def test_iptables_prefix_without_rule_label_sets_no_rule() -> None:
    doc = _parse(UFW_BLOCK)
    assert get(doc, "rule") is None
