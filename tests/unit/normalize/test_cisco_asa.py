"""Cisco ASA/FTD parser: connection, deny, ACL, ICMP, AAA and VPN messages to ECS fields."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.cisco_asa import CISCO_ASA, parse, sniff
from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))


def _parse(text: str) -> ECSDocument:
    doc = parse(text, CONTEXT)
    assert doc is not None, text
    return doc


def test_cisco_asa_header_maps_code_severity_and_observer() -> None:
    doc = _parse(
        "%ASA-6-302013: Built inbound TCP connection 4412 for outside:198.51.100.20/51514 "
        "(198.51.100.20/51514) to inside:192.0.2.15/443 (203.0.113.5/443)"
    )
    assert get(doc, "event.code") == "302013"
    assert get(doc, "event.severity") == 6
    assert get(doc, "log.level") == "informational"
    assert get(doc, "observer.vendor") == "Cisco"
    assert get(doc, "observer.product") == "asa"
    assert get(doc, "observer.type") == "firewall"
    assert get(doc, "event.dataset") == "cisco.asa"
    assert get(doc, "event.kind") == "event"
    assert get(doc, "message").startswith("Built inbound TCP connection 4412")


def test_cisco_asa_built_inbound_tcp_maps_source_destination_and_nat() -> None:
    doc = _parse(
        "%ASA-6-302013: Built inbound TCP connection 4412 for outside:198.51.100.20/51514 "
        "(198.51.100.20/51514) to inside:192.0.2.15/443 (203.0.113.5/443)"
    )
    assert get(doc, "source.ip") == "198.51.100.20"
    assert get(doc, "source.port") == 51514
    assert get(doc, "source.nat") is None  # mapped equals real: no translation
    assert get(doc, "destination.ip") == "192.0.2.15"
    assert get(doc, "destination.port") == 443
    assert get(doc, "destination.nat.ip") == "203.0.113.5"
    assert get(doc, "network.transport") == "tcp"
    assert get(doc, "network.direction") == "inbound"
    assert get(doc, "observer.ingress.interface.name") == "outside"
    assert get(doc, "observer.egress.interface.name") == "inside"
    assert get(doc, "event.action") == "connection-built"
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "event.type") == ["connection", "start"]
    assert get(doc, "cisco.asa.connection_id") == "4412"
    assert get(doc, "related.ip") == ["198.51.100.20", "192.0.2.15", "203.0.113.5"]


def test_cisco_asa_built_outbound_swaps_the_foreign_side_to_destination() -> None:
    doc = _parse(
        "Dec 03 2026 17:01:02: %ASA-6-302013: Built outbound TCP connection 4413 for "
        "outside:203.0.113.80/443 (203.0.113.80/443) to inside:192.0.2.44/50122 (203.0.113.5/50122)"
    )
    assert get(doc, "source.ip") == "192.0.2.44"
    assert get(doc, "source.port") == 50122
    assert get(doc, "source.nat.ip") == "203.0.113.5"
    assert get(doc, "source.nat.port") is None
    assert get(doc, "destination.ip") == "203.0.113.80"
    assert get(doc, "destination.port") == 443
    assert get(doc, "observer.ingress.interface.name") == "inside"
    assert get(doc, "observer.egress.interface.name") == "outside"
    assert get(doc, "network.direction") == "outbound"
    assert get(doc, "@timestamp") == "2026-12-03T17:01:02Z"


def test_cisco_asa_device_time_without_zone_is_read_in_the_sender_zone() -> None:
    from zoneinfo import ZoneInfo

    context = ParseContext(received_at=CONTEXT.received_at, zone=ZoneInfo("Europe/Berlin"))
    doc = parse(
        "Dec 03 2026 17:01:02: %ASA-5-111008: User 'enable_15' executed the 'write' command.", context
    )
    assert doc is not None
    assert get(doc, "@timestamp") == "2026-12-03T16:01:02Z"


def test_cisco_asa_teardown_tcp_maps_duration_bytes_and_reason() -> None:
    doc = _parse(
        "%ASA-6-302014: Teardown TCP connection 4412 for outside:198.51.100.20/51514 to "
        "inside:192.0.2.15/443 duration 0:01:05 bytes 18342 TCP FINs from outside"
    )
    assert get(doc, "event.action") == "connection-teardown"
    assert get(doc, "event.type") == ["connection", "end"]
    assert get(doc, "event.duration") == 65_000_000_000
    assert get(doc, "network.bytes") == 18342
    assert get(doc, "event.reason") == "TCP FINs"
    assert get(doc, "cisco.asa.termination_initiator") == "outside"
    assert get(doc, "event.outcome") is None  # a reset or a timeout is no failure of the flow either
    assert get(doc, "source.ip") == "198.51.100.20"
    assert get(doc, "destination.port") == 443


def test_cisco_asa_udp_built_and_teardown() -> None:
    built = _parse(
        "%ASA-6-302015: Built outbound UDP connection 991 for outside:198.51.100.53/53 "
        "(198.51.100.53/53) to inside:192.0.2.53/40000 (203.0.113.5/40000)"
    )
    assert get(built, "network.transport") == "udp"
    assert get(built, "source.ip") == "192.0.2.53"
    assert get(built, "destination.ip") == "198.51.100.53"
    down = _parse(
        "%ASA-6-302016: Teardown UDP connection 991 for outside:198.51.100.53/53 to "
        "inside:192.0.2.53/40000 duration 0:02:01 bytes 512"
    )
    assert get(down, "event.duration") == 121_000_000_000
    assert get(down, "network.bytes") == 512
    assert get(down, "event.reason") is None


def test_cisco_asa_identity_firewall_user_goes_to_source_user() -> None:
    doc = _parse(
        "%ASA-6-302013: Built inbound TCP connection 77 for inside:192.0.2.44/50200 (192.0.2.44/50200) "
        "(EXAMPLE\\alice) to dmz:192.0.2.80/80 (192.0.2.80/80)"
    )
    assert get(doc, "source.user.name") == "alice"
    assert get(doc, "source.user.domain") == "example"


def test_cisco_asa_icmp_connection_uses_foreign_and_local_addresses() -> None:
    doc = _parse(
        "%ASA-6-302020: Built inbound ICMP connection for faddr 198.51.100.9/1 gaddr 203.0.113.5/0 "
        "laddr 192.0.2.5/0 type 8 code 0"
    )
    assert get(doc, "source.ip") == "198.51.100.9"
    assert get(doc, "destination.ip") == "192.0.2.5"
    assert get(doc, "destination.nat.ip") == "203.0.113.5"
    assert get(doc, "network.transport") == "icmp"
    assert get(doc, "cisco.asa.icmp_type") == 8
    teardown = _parse(
        "%ASA-6-302021: Teardown ICMP connection for faddr 198.51.100.9/1 gaddr 203.0.113.5/0 "
        "laddr 192.0.2.5/0"
    )
    assert get(teardown, "event.type") == ["connection", "end"]


@pytest.mark.parametrize(
    ("line", "source", "destination", "transport"),
    [
        (
            "%ASA-2-106001: Inbound TCP connection denied from 198.51.100.77/40404 to 192.0.2.10/23 "
            "flags SYN  on interface outside",
            ("198.51.100.77", 40404),
            ("192.0.2.10", 23),
            "tcp",
        ),
        (
            "%ASA-2-106006: Deny inbound UDP from 198.51.100.77/5060 to 192.0.2.10/5060 on interface outside",
            ("198.51.100.77", 5060),
            ("192.0.2.10", 5060),
            "udp",
        ),
        (
            "%ASA-2-106007: Deny inbound UDP from 198.51.100.53/53 to 192.0.2.10/33000 due to DNS Response",
            ("198.51.100.53", 53),
            ("192.0.2.10", 33000),
            "udp",
        ),
        (
            "%ASA-3-106014: Deny inbound icmp src outside:198.51.100.1 dst inside:192.0.2.7 (type 8, code 0)",
            ("198.51.100.1", None),
            ("192.0.2.7", None),
            "icmp",
        ),
        (
            "%ASA-6-106015: Deny TCP (no connection) from 192.0.2.15/443 to 198.51.100.20/51514 "
            "flags RST  on interface inside",
            ("192.0.2.15", 443),
            ("198.51.100.20", 51514),
            "tcp",
        ),
        (
            "%ASA-1-106021: Deny TCP reverse path check from 192.0.2.200 to 198.51.100.4 "
            "on interface outside",
            ("192.0.2.200", None),
            ("198.51.100.4", None),
            "tcp",
        ),
        (
            "%ASA-4-710003: TCP access denied by ACL from 198.51.100.40/51000 to outside:203.0.113.5/22",
            ("198.51.100.40", 51000),
            ("203.0.113.5", 22),
            "tcp",
        ),
        (
            "%ASA-6-110002: Failed to locate egress interface for UDP from inside:192.0.2.9/137 to "
            "203.0.113.255/137",
            ("192.0.2.9", 137),
            ("203.0.113.255", 137),
            "udp",
        ),
    ],
)
def test_cisco_asa_deny_messages_map_both_ends(
    line: str, source: tuple[str, int | None], destination: tuple[str, int | None], transport: str
) -> None:
    doc = _parse(line)
    assert (get(doc, "source.ip"), get(doc, "source.port")) == source
    assert (get(doc, "destination.ip"), get(doc, "destination.port")) == destination
    assert get(doc, "network.transport") == transport
    assert get(doc, "event.type") == ["connection", "denied"]
    assert get(doc, "event.category") == ["network"]


def test_cisco_asa_deny_on_interface_and_direction() -> None:
    doc = _parse(
        "%ASA-2-106006: Deny inbound UDP from 198.51.100.77/5060 to 192.0.2.10/5060 on interface outside"
    )
    assert get(doc, "observer.ingress.interface.name") == "outside"
    assert get(doc, "network.direction") == "inbound"
    assert get(doc, "event.action") == "denied"


def test_cisco_asa_106023_maps_interfaces_and_access_group() -> None:
    doc = _parse(
        '%ASA-4-106023: Deny tcp src outside:198.51.100.66/41000 dst inside:192.0.2.25/3389 by access-group "'
        'outside_access_in" [0x0, 0x0]'
    )
    assert get(doc, "rule.name") == "outside_access_in"
    assert get(doc, "observer.ingress.interface.name") == "outside"
    assert get(doc, "observer.egress.interface.name") == "inside"
    assert get(doc, "destination.port") == 3389
    assert get(doc, "event.severity") == 4
    assert get(doc, "log.level") == "warning"


def test_cisco_asa_106100_permitted_and_denied() -> None:
    permitted = _parse(
        "%ASA-6-106100: access-list inside_in permitted tcp inside/192.0.2.44(50200) -> "
        "outside/203.0.113.80(443) hit-cnt 1 first hit [0x91c26a3, 0x0]"
    )
    assert get(permitted, "event.action") == "permitted"
    assert get(permitted, "event.type") == ["connection", "allowed"]
    assert get(permitted, "rule.name") == "inside_in"
    assert get(permitted, "source.ip") == "192.0.2.44"
    assert get(permitted, "source.port") == 50200
    assert get(permitted, "destination.ip") == "203.0.113.80"
    assert get(permitted, "observer.egress.interface.name") == "outside"
    denied = _parse(
        "%ASA-4-106100: access-list outside_in denied udp outside/198.51.100.5(5353) -> "
        "inside/192.0.2.9(5353) hit-cnt 3 300-second interval [0x2e4c1f9, 0x0]"
    )
    assert get(denied, "event.action") == "denied"
    assert get(denied, "event.type") == ["connection", "denied"]
    assert get(denied, "network.transport") == "udp"


def test_cisco_asa_icmp_denies() -> None:
    first = _parse("%ASA-3-313001: Denied ICMP type=8, code=0 from 198.51.100.3 on interface outside")
    assert get(first, "source.ip") == "198.51.100.3"
    assert get(first, "observer.ingress.interface.name") == "outside"
    assert get(first, "cisco.asa.icmp_type") == 8
    second = _parse(
        "%ASA-4-313004: Denied ICMP type=0, from laddr 198.51.100.3 on interface outside to 192.0.2.8: "
        "no matching session"
    )
    assert get(second, "destination.ip") == "192.0.2.8"
    third = _parse(
        "%ASA-4-313005: No matching connection for ICMP error message: icmp src outside:198.51.100.1 "
        "dst inside:192.0.2.8 (type 3, code 3) on outside interface.  Original IP payload: udp src "
        "192.0.2.8/5353 dst 198.51.100.9/5353."
    )
    assert get(third, "source.ip") == "198.51.100.1"
    assert get(third, "destination.ip") == "192.0.2.8"
    assert get(third, "network.transport") == "icmp"
    assert get(third, "cisco.asa.icmp_code") == 3


def test_cisco_asa_710005_is_discarded() -> None:
    doc = _parse("%ASA-7-710005: UDP request discarded from 198.51.100.40/137 to outside:203.0.113.5/137")
    assert get(doc, "event.action") == "discarded"
    assert get(doc, "log.level") == "debugging"
    assert get(doc, "observer.egress.interface.name") == "outside"


@pytest.mark.parametrize(
    ("line", "user", "outcome", "source_ip"),
    [
        (
            "%ASA-6-113004: AAA user authentication Successful : server =  192.0.2.100 : user = alice",
            "alice",
            "success",
            None,
        ),
        (
            "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.100 : "
            "user = mallory : user IP = 198.51.100.90",
            "mallory",
            "failure",
            "198.51.100.90",
        ),
        (
            "%ASA-6-113012: AAA user authentication Successful : local database : user = admin",
            "admin",
            "success",
            None,
        ),
        (
            "%ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : local database : "
            "user = admin : user IP = 198.51.100.91",
            "admin",
            "failure",
            "198.51.100.91",
        ),
        (
            "%ASA-6-611101: User authentication succeeded: IP address: 192.0.2.50, Uname: admin",
            "admin",
            "success",
            "192.0.2.50",
        ),
        (
            "%ASA-6-611102: User authentication failed: IP address: 198.51.100.60, Uname: root",
            "root",
            "failure",
            "198.51.100.60",
        ),
    ],
)
def test_cisco_asa_authentication_messages(line: str, user: str, outcome: str, source_ip: str | None) -> None:
    doc = _parse(line)
    assert get(doc, "user.name") == user
    assert get(doc, "event.outcome") == outcome
    assert get(doc, "source.ip") == source_ip
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.action") == ("logged-in" if outcome == "success" else "logon-failed")
    assert user in get(doc, "related.user")


def test_cisco_asa_aaa_rejection_keeps_reason_and_server() -> None:
    doc = _parse(
        "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.100 : "
        "user = mallory : user IP = 198.51.100.90"
    )
    assert get(doc, "event.reason") == "AAA failure"
    assert get(doc, "cisco.asa.aaa_server") == "192.0.2.100"


def test_cisco_asa_masked_user_name_is_not_a_user() -> None:
    doc = _parse(
        "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.100 : "
        "user = ***** : user IP = 198.51.100.90"
    )
    assert get(doc, "user.name") is None
    assert get(doc, "event.outcome") == "failure"


def test_cisco_asa_management_login_permitted_and_denied() -> None:
    denied = _parse(
        '%ASA-6-605004: Login denied from 198.51.100.70/52222 to outside:203.0.113.5/ssh for user "root"'
    )
    assert get(denied, "user.name") == "root"
    assert get(denied, "source.ip") == "198.51.100.70"
    assert get(denied, "source.port") == 52222
    assert get(denied, "destination.ip") == "203.0.113.5"
    assert get(denied, "network.protocol") == "ssh"
    assert get(denied, "event.outcome") == "failure"
    permitted = _parse(
        '%ASA-6-605005: Login permitted from 192.0.2.50/52223 to inside:192.0.2.1/https for user "admin"'
    )
    assert get(permitted, "event.outcome") == "success"
    assert get(permitted, "user.name") == "admin"


def test_cisco_asa_vpn_session_disconnected_maps_user_group_and_duration() -> None:
    doc = _parse(
        "%ASA-4-113019: Group = RemoteVPN, Username = bob, IP = 198.51.100.12, Session disconnected. "
        "Session Type: SSL, Duration: 1h:23m:45s, Bytes xmt: 12345, Bytes rcv: 6789, Reason: User Requested"
    )
    assert get(doc, "user.name") == "bob"
    assert get(doc, "source.ip") == "198.51.100.12"
    assert get(doc, "cisco.asa.vpn.group") == "RemoteVPN"
    assert get(doc, "event.duration") == (3600 + 23 * 60 + 45) * 1_000_000_000
    assert get(doc, "event.reason") == "User Requested"
    assert get(doc, "event.action") == "session-ended"
    assert get(doc, "event.type") == ["end"]


def test_cisco_asa_webvpn_and_anyconnect_sessions() -> None:
    started = _parse(
        "%ASA-6-716001: Group <GroupPolicy_Staff> User <carol> IP <198.51.100.14> WebVPN session started."
    )
    assert get(started, "user.name") == "carol"
    assert get(started, "source.ip") == "198.51.100.14"
    assert get(started, "cisco.asa.vpn.group") == "GroupPolicy_Staff"
    assert get(started, "event.action") == "session-started"
    assert get(started, "event.category") == ["network", "session"]
    ended = _parse(
        "%ASA-6-716002: Group <GroupPolicy_Staff> User <carol> IP <198.51.100.14> WebVPN session "
        "terminated: User Requested."
    )
    assert get(ended, "event.reason") == "User Requested"
    assert get(ended, "event.type") == ["end"]
    tunnel = _parse(
        "%ASA-6-722022: Group <GroupPolicy_Staff> User <carol> IP <198.51.100.14> TCP SVC connection "
        "established without compression"
    )
    assert get(tunnel, "event.type") == ["start"]
    closed = _parse(
        "%ASA-6-722023: Group <GroupPolicy_Staff> User <carol> IP <198.51.100.14> UDP SVC connection "
        "terminated without compression"
    )
    assert get(closed, "event.action") == "session-ended"


def test_cisco_asa_722051_maps_assigned_address() -> None:
    doc = _parse(
        "%ASA-5-722051: Group <GroupPolicy_Staff> User <carol> IP <198.51.100.14> IPv4 Address <192.0.2.201> "
        "IPv6 address <2001:db8::201> assigned to session"
    )
    assert get(doc, "cisco.asa.vpn.assigned_ip") == "192.0.2.201"
    assert get(doc, "cisco.asa.vpn.assigned_ipv6") == "2001:db8::201"
    assert get(doc, "event.action") == "address-assigned"
    assert get(doc, "source.ip") == "198.51.100.14"


def test_cisco_asa_unknown_message_id_keeps_header_and_message() -> None:
    doc = _parse("%FTD-1-430003: EventPriority: Low, DeviceUUID: 1, AccessControlRuleAction: Block")
    assert get(doc, "event.code") == "430003"
    assert get(doc, "observer.product") == "ftd"
    assert get(doc, "log.level") == "alert"
    assert get(doc, "message") == "EventPriority: Low, DeviceUUID: 1, AccessControlRuleAction: Block"
    assert get(doc, "event.action") is None


def test_cisco_asa_full_syslog_line_merges_the_header_without_a_program() -> None:
    doc = _parse(
        "<166>Dec  3 17:01:02 fw01 %ASA-6-106015: Deny TCP (no connection) from 192.0.2.15/443 to "
        "198.51.100.20/51514 flags RST  on interface inside"
    )
    assert get(doc, "host.name") == "fw01"
    assert get(doc, "@timestamp") == "2026-12-03T17:01:02Z"
    assert get(doc, "process.name") is None
    assert get(doc, "log.syslog.appname") is None
    assert get(doc, "log.level") == "informational"


def test_cisco_asa_known_message_in_unexpected_shape_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse("%ASA-6-302013: Built inbound TCP connection without any addresses", CONTEXT)
    with pytest.raises(ParseError):
        parse("%ASA-6-106100: access-list garbled", CONTEXT)


def test_cisco_asa_other_text_is_not_claimed() -> None:
    assert parse("Built inbound TCP connection 4412 for outside:198.51.100.20/51514", CONTEXT) is None


@pytest.mark.parametrize(
    "line",
    [
        "%ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.2/1 (198.51.100.2/1) "
        "to inside:192.0.2.1/22 (192.0.2.1/22)",
        "<166>Dec 03 2026 17:01:02: %ASA-4-106023: Deny tcp src outside:198.51.100.66/41000 "
        "dst inside:192.0.2.25/3389",
        "%FTD-6-430002: EventPriority: Low",
        "%ASA-vpn-6-716001: Group <g> User <u> IP <198.51.100.1> WebVPN session started.",
    ],
)
def test_cisco_asa_sniff_accepts_asa_and_ftd(line: str) -> None:
    assert sniff(line)


@pytest.mark.parametrize(
    "line",
    [
        "%SEC-6-IPACCESSLOGP: list 101 denied tcp 198.51.100.1(1234) -> 192.0.2.1(22), 1 packet",
        "[UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.23 DST=192.0.2.10 PROTO=TCP",
        'date=2026-12-03 time=17:05:11 devname="FGT" logid="0000000013" type="traffic"',
        "the %ASA- prefix mentioned in prose",
    ],
)
def test_cisco_asa_sniff_refuses_other_formats(line: str) -> None:
    assert not sniff(line)


def test_cisco_asa_spec_reads_the_whole_line() -> None:
    assert CISCO_ASA.name == "cisco-asa"
    assert CISCO_ASA.dataset == "cisco.asa"
    assert not CISCO_ASA.wants_syslog_body


@given(st.text(max_size=300))
def test_cisco_asa_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


@given(
    st.sampled_from(
        ["302013", "302014", "302020", "106023", "106100", "313004", "113005", "716001", "722051", "734001"]
    ),
    st.text(alphabet="abcdefinoutsdr:/.() 0123456789<>=,", max_size=150),
)
def test_cisco_asa_known_ids_with_garbage_raise_only_parse_error(msgid: str, rest: str) -> None:
    with contextlib.suppress(ParseError):
        parse(f"%ASA-6-{msgid}: {rest}", CONTEXT)


def test_cisco_asa_ipv6_connection_keeps_interface_and_address_apart() -> None:
    doc = _parse(
        "%ASA-6-302013: Built inbound TCP connection 9 for outside:2001:db8::5/51514 (2001:db8::5/51514) "
        "to inside:2001:db8:1::10/443 (2001:db8:1::10/443)"
    )
    assert get(doc, "source.ip") == "2001:db8::5"
    assert get(doc, "destination.ip") == "2001:db8:1::10"
    assert get(doc, "observer.ingress.interface.name") == "outside"
    assert get(doc, "destination.nat") is None


def test_cisco_asa_connection_with_names_table_hosts_maps_domains() -> None:
    inbound = _parse(
        "%ASA-6-302013: Built inbound TCP connection 7001 for dmz:webfront/8443 (webfront/8443) "
        "to servers:192.0.2.80/443 (192.0.2.80/443)"
    )
    assert get(inbound, "source.domain") == "webfront"
    assert get(inbound, "source.port") == 8443
    assert get(inbound, "source.ip") is None
    assert get(inbound, "destination.ip") == "192.0.2.80"
    assert get(inbound, "observer.ingress.interface.name") == "dmz"
    assert "webfront" in get(inbound, "related.hosts")
    outbound = _parse(
        "%ASA-6-302015: Built outbound UDP connection 7002 for outside:resolver-a/53 (resolver-a/53) "
        "to lab:192.0.2.41/40001 (203.0.113.7/40001)"
    )
    assert get(outbound, "destination.domain") == "resolver-a"
    assert get(outbound, "destination.port") == 53
    assert get(outbound, "source.ip") == "192.0.2.41"
    assert get(outbound, "source.nat.ip") == "203.0.113.7"
    assert get(outbound, "observer.ingress.interface.name") == "lab"


def test_cisco_asa_identity_firewall_users_glued_to_the_endpoint() -> None:
    built = _parse(
        "%ASA-6-302013: Built inbound TCP connection 7003 for outside:198.51.100.30/52000 "
        "(203.0.113.9/52001)(LOCAL\\erin) to inside:192.0.2.40/443 (192.0.2.40/443) (erin)"
    )
    assert get(built, "source.ip") == "198.51.100.30"
    assert get(built, "source.nat.ip") == "203.0.113.9"
    assert get(built, "source.nat.port") == 52001
    assert get(built, "source.user.name") == "erin"
    assert get(built, "source.user.domain") is None  # LOCAL\ marks the ASA's own user database
    assert get(built, "destination.ip") == "192.0.2.40"
    assert get(built, "user.name") == "erin"  # the plain "(erin)" after the destination: the AAA user
    assert get(built, "destination.user.name") is None
    torn = _parse(
        "%ASA-6-302014: Teardown TCP connection 7003 for outside:198.51.100.30/52000(LOCAL\\CORP\\dana) "
        "to inside:192.0.2.40/443 duration 0:00:10 bytes 1200 TCP Reset-O from inside (CORP\\dana)"
    )
    assert get(torn, "source.ip") == "198.51.100.30"
    assert get(torn, "source.user.name") == "dana"
    assert get(torn, "source.user.domain") == "corp"
    assert get(torn, "destination.port") == 443
    assert get(torn, "network.bytes") == 1200
    assert get(torn, "event.reason") == "TCP Reset-O"
    assert get(torn, "cisco.asa.termination_initiator") == "inside"


def test_cisco_asa_icmp_connection_with_a_named_peer_and_user() -> None:
    doc = _parse(
        "%ASA-6-302020: Built inbound ICMP connection for faddr probe-host/17(LOCAL\\erin) "
        "gaddr 203.0.113.12/0 laddr 192.0.2.12/0 (erin) type 8 code 0"
    )
    assert get(doc, "source.domain") == "probe-host"
    assert get(doc, "source.user.name") == "erin"
    assert get(doc, "destination.ip") == "192.0.2.12"
    assert get(doc, "destination.nat.ip") == "203.0.113.12"
    assert get(doc, "event.outcome") == "success"


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        (
            "%ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.2/1 (198.51.100.2/1) "
            "to inside:192.0.2.1/22 (192.0.2.1/22)",
            "success",
        ),
        (
            "%ASA-6-302020: Built outbound ICMP connection for faddr 198.51.100.2/0 gaddr 203.0.113.3/0 "
            "laddr 192.0.2.3/0 type 8 code 0",
            "success",
        ),
        (
            "%ASA-2-106001: Inbound TCP connection denied from 198.51.100.2/4000 to 192.0.2.3/22 flags SYN "
            " on interface outside",
            "failure",
        ),
        (
            "%ASA-4-106023: Deny udp src outside:198.51.100.2/4000 dst inside:192.0.2.3/161 "
            'by access-group "a" [0x0, 0x0]',
            "failure",
        ),
        (
            "%ASA-3-710003: TCP access denied by ACL from 198.51.100.2/4000 to outside:203.0.113.1/22",
            "failure",
        ),
        ("%ASA-3-313001: Denied ICMP type=8, code=0 from 198.51.100.2 on interface outside", "failure"),
    ],
)
def test_cisco_asa_built_succeeds_and_denies_fail(line: str, outcome: str) -> None:
    assert get(_parse(line), "event.outcome") == outcome


def test_cisco_asa_deny_with_host_names_goes_to_domain_fields() -> None:
    doc = _parse(
        "%ASA-6-106015: Deny TCP (no connection) from build-07.lab.example/40100 to "
        "repo.lab.example/443 flags FIN ACK  on interface lab"
    )
    assert get(doc, "source.domain") == "build-07.lab.example"
    assert get(doc, "source.port") == 40100
    assert get(doc, "destination.domain") == "repo.lab.example"
    assert get(doc, "destination.port") == 443
    assert get(doc, "observer.ingress.interface.name") == "lab"


def test_cisco_asa_deny_of_an_ipv6_packet_without_interface_keeps_the_whole_address() -> None:
    doc = _parse(
        "%ASA-6-106015: Deny TCP (no connection) from 2001:db8::7/443 to 2001:db8:1::9/50111 flags RST  "
        "on interface inside"
    )
    assert get(doc, "source.ip") == "2001:db8::7"
    assert get(doc, "destination.ip") == "2001:db8:1::9"
    assert get(doc, "observer.ingress.interface.name") == "inside"
    assert get(doc, "observer.egress.interface.name") is None


def test_cisco_asa_deny_by_protocol_number_names_the_transport() -> None:
    doc = _parse(
        "%ASA-4-106023: Deny protocol 50 src outside:198.51.100.8 dst inside:192.0.2.8 "
        'by access-group "edge_in"'
    )
    assert get(doc, "network.transport") == "esp"
    assert get(doc, "network.iana_number") == "50"
    assert get(doc, "source.ip") == "198.51.100.8"
    assert get(doc, "rule.name") == "edge_in"


def test_cisco_asa_spoof_and_dns_denies() -> None:
    spoof = _parse("%ASA-2-106016: Deny IP spoof from (192.0.2.200) to 198.51.100.9 on interface outside")
    assert get(spoof, "source.ip") == "192.0.2.200"
    assert get(spoof, "destination.ip") == "198.51.100.9"
    assert get(spoof, "event.type") == ["connection", "denied"]
    dns = _parse(
        "%ASA-2-106007: Deny inbound UDP from 198.51.100.9/5353 to 192.0.2.53/53 due to DNS Response"
    )
    assert get(dns, "network.protocol") == "dns"
    assert get(dns, "network.direction") == "inbound"


def test_cisco_asa_313008_icmpv6_deny() -> None:
    doc = _parse("%ASA-3-313008: Denied ICMPv6 type=128, code=0 from 2001:db8::44 on interface outside")
    assert get(doc, "source.ip") == "2001:db8::44"
    assert get(doc, "network.transport") == "ipv6-icmp"
    assert get(doc, "observer.ingress.interface.name") == "outside"
    assert get(doc, "cisco.asa.icmp_type") == 128


@pytest.mark.parametrize(
    ("line", "timestamp"),
    [
        ("Mar  2 2026 08:15:30 EST: %ASA-6-999999: x", "2026-03-02T13:15:30Z"),
        ("Mar  2 08:15:30.250: %ASA-6-999999: x", "2026-03-02T08:15:30.250000Z"),
        ("Mar  2 09:00:00 relay-1 : Mar  2 2026 08:15:30 PDT: %ASA-6-999999: x", "2026-03-02T15:15:30Z"),
    ],
)
def test_cisco_asa_device_timestamp_reads_zone_fraction_and_sits_after_a_relay_header(
    line: str, timestamp: str
) -> None:
    assert get(_parse(line), "@timestamp") == timestamp


def test_cisco_asa_device_id_before_the_message_is_the_firewall_host() -> None:
    doc = _parse("Mar  2 08:15:30 fw-lab-2: %ASA-6-999999: x")
    assert get(doc, "host.name") == "fw-lab-2"
    assert get(doc, "observer.hostname") == "fw-lab-2"
    assert get(doc, "process.name") is None
    by_address = _parse("Mar  2 08:15:30 192.0.2.254 : %ASA-6-999999: x")
    assert get(by_address, "observer.ip") == "192.0.2.254"


@pytest.mark.parametrize(
    ("level", "name"),
    [
        (0, "emergencies"),
        (1, "alert"),
        (2, "critical"),
        (3, "error"),
        (4, "warning"),
        (5, "notification"),
        (6, "informational"),
        (7, "debugging"),
    ],
)
def test_cisco_asa_log_level_uses_the_syslog_guide_names(level: int, name: str) -> None:
    assert get(_parse(f"%ASA-{level}-999999: x"), "log.level") == name


def test_cisco_asa_aaa_server_is_the_destination() -> None:
    by_address = _parse(
        "%ASA-6-113004: AAA user authentication Successful : server = 192.0.2.100 : user = frank"
    )
    assert get(by_address, "destination.ip") == "192.0.2.100"
    by_name = _parse(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : "
        "server = radius-east : user = frank : user IP = 198.51.100.90"
    )
    assert get(by_name, "destination.domain") == "radius-east"
    assert get(by_name, "source.ip") == "198.51.100.90"
    assert get(by_name, "user.name") == "frank"


def test_cisco_asa_login_denied_with_an_empty_user_keeps_the_addresses() -> None:
    doc = _parse(
        '%ASA-6-605004: Login denied from 198.51.100.70/52224 to outside:203.0.113.5/https for user ""'
    )
    assert get(doc, "source.ip") == "198.51.100.70"
    assert get(doc, "destination.ip") == "203.0.113.5"
    assert get(doc, "observer.egress.interface.name") == "outside"
    assert get(doc, "user.name") is None
    assert get(doc, "event.outcome") == "failure"


def test_cisco_asa_vpn_identity_without_brackets_and_with_spaces() -> None:
    bare = _parse(
        "%ASA-6-716002: Group Staff-Policy User gina IP 198.51.100.15 WebVPN session terminated: "
        "Idle timeout."
    )
    assert get(bare, "user.name") == "gina"
    assert get(bare, "cisco.asa.vpn.group") == "Staff-Policy"
    assert get(bare, "source.ip") == "198.51.100.15"
    assert get(bare, "event.reason") == "Idle timeout"
    spaced = _parse(
        "%ASA-6-716001: Group <Staff Policy> User <gina lee> IP <198.51.100.16> WebVPN session started."
    )
    assert get(spaced, "cisco.asa.vpn.group") == "Staff Policy"
    assert get(spaced, "user.name") == "gina lee"


def test_cisco_asa_113019_counts_bytes_from_the_peer() -> None:
    doc = _parse(
        "%ASA-4-113019: Group = RemoteVPN, Username = hank, IP = 198.51.100.12, Session disconnected. "
        "Session Type: SSL, Duration: 0h:10m:00s, Bytes xmt: 5000, Bytes rcv: 700, Reason: Idle Timeout"
    )
    assert get(doc, "source.bytes") == 700
    assert get(doc, "destination.bytes") == 5000
    assert get(doc, "network.bytes") == 5700
    assert get(doc, "user.name") == "hank"


def test_cisco_asa_734001_maps_user_address_and_dap_records() -> None:
    doc = _parse(
        "%ASA-6-734001: DAP: User ivy@corp.example, Addr 198.51.100.17, Connection AnyConnect: "
        "The following DAP records were selected for this connection: staff_full, printers"
    )
    assert get(doc, "user.name") == "ivy"
    assert get(doc, "user.domain") == "corp.example"
    assert get(doc, "source.ip") == "198.51.100.17"
    assert get(doc, "cisco.asa.dap_records") == ["staff_full", "printers"]
    assert get(doc, "cisco.asa.connection_type") == "AnyConnect"
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.outcome") == "success"


@pytest.mark.parametrize(
    ("line", "user", "outcome", "action"),
    [
        (
            '%ASA-6-605005: Login permitted from serial to console for user "enable_1"',
            "enable_1",
            "success",
            "logged-in",
        ),
        (
            '%ASA-6-605004: Login denied from serial to console for user "ops-lead"',
            "ops-lead",
            "failure",
            "logon-failed",
        ),
    ],
)
def test_cisco_asa_console_login_keeps_the_user_and_the_outcome(
    line: str, user: str, outcome: str, action: str
) -> None:
    doc = _parse(line)
    assert get(doc, "user.name") == user
    assert get(doc, "event.outcome") == outcome
    assert get(doc, "event.action") == action
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "source.ip") is None
    assert get(doc, "network.protocol") is None


def test_cisco_asa_login_in_an_unknown_layout_takes_the_outcome_from_the_id() -> None:
    permitted = _parse('%ASA-6-605005: Login permitted from mgmt-station for user "gina"')
    assert get(permitted, "event.outcome") == "success"
    assert get(permitted, "user.name") == "gina"
    denied = _parse('%ASA-6-605004: Login denied from mgmt-station for user "gina"')
    assert get(denied, "event.outcome") == "failure"
    assert get(denied, "user.name") == "gina"


@pytest.mark.parametrize(
    "line",
    [
        "<13>Mar  2 09:00:00 relay-1 Mar  2 2026 08:15:30 fw-lab-2 : %ASA-6-999999: x",
        "<13>Mar  2 09:00:00 relay-1 Mar  2 08:15:30 fw-lab-2: %ASA-6-999999: x",
        "<13>Mar  2 09:00:00 relay-1 fw-lab-2 : %ASA-6-999999: x",
        "<13>Mar  2 09:00:00 relay-1 fw-lab-2: %ASA-6-999999: x",
        "<166>1 2026-03-02T09:00:00Z relay-1 - - - - Mar  2 2026 08:15:30 fw-lab-2 : %ASA-6-999999: x",
    ],
)
def test_cisco_asa_device_id_behind_a_relay_names_the_firewall(line: str) -> None:
    doc = _parse(line)
    assert get(doc, "observer.hostname") == "fw-lab-2"
    assert get(doc, "host.name") == "fw-lab-2"
    assert get(doc, "log.syslog.hostname") == "relay-1"
    assert get(doc, "process.name") is None


def test_cisco_asa_relay_header_without_a_device_id_names_no_firewall() -> None:
    doc = _parse("<13>Mar  2 09:00:00 relay-1 Mar  2 2026 08:15:30: %ASA-6-999999: x")
    assert get(doc, "@timestamp") == "2026-03-02T08:15:30Z"
    assert get(doc, "log.syslog.hostname") == "relay-1"
    assert get(doc, "observer.hostname") is None
    assert get(doc, "host.name") is None


def test_cisco_asa_device_id_address_behind_a_relay_is_the_observer_ip() -> None:
    doc = _parse("<13>Mar  2 09:00:00 relay-1 Mar  2 2026 08:15:30 192.0.2.254 : %ASA-6-999999: x")
    assert get(doc, "observer.ip") == "192.0.2.254"
    assert get(doc, "host.ip") == "192.0.2.254"
    assert get(doc, "observer.hostname") is None
    assert get(doc, "log.syslog.hostname") == "relay-1"


def test_cisco_asa_device_id_without_a_relay_is_also_the_syslog_host() -> None:
    doc = _parse("<166>Mar  2 2026 08:15:30 fw-lab-2 : %ASA-6-999999: x")
    assert get(doc, "observer.hostname") == "fw-lab-2"
    assert get(doc, "log.syslog.hostname") == "fw-lab-2"
    assert get(doc, "@timestamp") == "2026-03-02T08:15:30Z"


@pytest.mark.parametrize(
    ("user", "source_user", "aaa_user"),
    [
        ("(CORP\\dana, 12)", "dana", None),
        ("(dana@corp.example)", "dana", None),
        ("(hal)", None, "hal"),
        ("(hal, 12)", None, "hal"),
        ("(12)", None, None),
        ("(12:Engineering)", None, None),
        ("(*****)", None, None),
    ],
)
def test_cisco_asa_endpoint_user_keeps_users_and_drops_security_group_tags(
    user: str, source_user: str | None, aaa_user: str | None
) -> None:
    doc = _parse(
        "%ASA-6-302013: Built inbound TCP connection 7101 for outside:198.51.100.31/52100 "
        f"(198.51.100.31/52100){user} to dmz:192.0.2.41/22 (192.0.2.41/22)"
    )
    assert get(doc, "source.user.name") == source_user
    assert get(doc, "user.name") == aaa_user
