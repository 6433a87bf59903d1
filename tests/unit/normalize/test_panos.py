"""PAN-OS parser: TRAFFIC and THREAT syslog CSV records (PAN-OS 10.x/11.x order) to ECS fields."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.panos import PANOS, parse, sniff
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))

TRAFFIC_END = (
    "1,2026/12/03 17:10:00,012801234567,TRAFFIC,end,2561,2026/12/03 17:09:58,192.0.2.45,"
    "203.0.113.80,198.51.100.10,0.0.0.0,Allow-Web,example\\jdoe,,ssl,vsys1,trust,untrust,"
    "ethernet1/2,ethernet1/1,Forward-to-SIEM,2026/12/03 17:09:58,88231,1,51234,443,31234,0,"
    "0x40001c,tcp,allow,9321,1803,7518,24,2026/12/03 17:09:40,18,computer-and-internet-info,0,"
    "7012345678,0x8000000000000000,192.0.2.0-192.0.2.255,United States,0,11,13,tcp-fin,0,0,0,0,,"
    "PA-3220-EDGE,from-policy,,,0,,0,,N/A,0,0,0,0"
)
THREAT_VULN = (
    "1,2026/12/03 17:12:00,012801234567,THREAT,vulnerability,2561,2026/12/03 17:11:59,"
    "198.51.100.77,203.0.113.20,0.0.0.0,192.0.2.20,Inbound-Web,,,web-browsing,vsys1,untrust,dmz,"
    "ethernet1/1,ethernet1/3,Forward-to-SIEM,2026/12/03 17:11:59,99123,1,40123,80,0,8080,"
    '0x80402000,tcp,reset-both,"www.example.com/search.php?q=a,b",'
    "Apache Log4j Remote Code Execution Vulnerability(91991),any,critical,client-to-server,"
    "7012345999,0x2000000000000000,United States,192.0.2.0-192.0.2.255,0,,0,,,0,"
    '"Mozilla/5.0 (X11; Linux x86_64) curl, like Gecko",,,,,,,0,0,0,0,0,,PA-3220-EDGE,,,,get,0,,'
    "0,,N/A,code-execution,8791-8843"
)
THREAT_URL = (
    "1,2026/12/03 17:13:00,012801234567,THREAT,url,2561,2026/12/03 17:12:58,192.0.2.44,"
    "203.0.113.99,198.51.100.10,0.0.0.0,Allow-Web,example\\jdoe,,web-browsing,vsys1,trust,"
    "untrust,ethernet1/2,ethernet1/1,Forward-to-SIEM,2026/12/03 17:12:58,88301,1,51800,80,41800,"
    '80,0x40b000,tcp,block-url,"gambling.example.org/poker/?table=1",(9999),gambling,'
    "informational,client-to-server,7012346100,0x8000000000000000,192.0.2.0-192.0.2.255,"
    'United States,0,text/html,0,,,1,"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",,'
    "198.51.100.200,http://www.example.com/,,,,0,0,0,0,0,,PA-3220-EDGE,,,,get"
)
THREAT_VIRUS = (
    "1,2026/12/03 17:14:00,012801234567,THREAT,virus,2561,2026/12/03 17:13:59,203.0.113.80,"
    "192.0.2.44,0.0.0.0,0.0.0.0,Allow-Web,,example\\jdoe,web-browsing,vsys1,untrust,trust,"
    "ethernet1/1,ethernet1/2,Forward-to-SIEM,2026/12/03 17:13:59,88302,1,80,51900,0,0,0x400000,"
    "tcp,reset-both,eicar.com,Eicar Test File(39040),any,medium,server-to-client,7012346101,"
    "0x2000000000000000,United States,192.0.2.0-192.0.2.255,0,,1200000001,"
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f,,0,,,,,,,,0,0,0,0,0,,"
    "PA-3220-EDGE"
)
TRAFFIC_DENY = (
    "1,2026/12/03 17:15:00,012801234567,TRAFFIC,deny,2561,2026/12/03 17:15:00,198.51.100.66,"
    "192.0.2.25,0.0.0.0,0.0.0.0,Block-Inbound,,,ms-rdp,vsys1,untrust,trust,ethernet1/1,,"
    "Forward-to-SIEM,2026/12/03 17:15:00,0,1,41000,3389,0,0,0x0,tcp,deny,60,60,0,1,"
    "2026/12/03 17:14:59,0,any,0,7012346200,0x0,Netherlands,192.0.2.0-192.0.2.255,0,1,0,"
    "policy-deny,0,0,0,0,,PA-3220-EDGE,from-policy"
)


def _parse(text: str, context: ParseContext = CONTEXT) -> ECSDocument:
    doc = parse(text, context)
    assert doc is not None, text
    return doc


def test_panos_traffic_maps_addresses_ports_and_nat() -> None:
    doc = _parse(TRAFFIC_END)
    assert get(doc, "source.ip") == "192.0.2.45"
    assert get(doc, "source.port") == 51234
    assert get(doc, "destination.ip") == "203.0.113.80"
    assert get(doc, "destination.port") == 443
    assert get(doc, "source.nat.ip") == "198.51.100.10"
    assert get(doc, "source.nat.port") == 31234
    assert get(doc, "destination.nat") is None  # 0.0.0.0 / port 0 mean "not translated"
    assert get(doc, "related.ip") == ["192.0.2.45", "203.0.113.80", "198.51.100.10"]


def test_panos_traffic_maps_rule_zones_interfaces_and_user() -> None:
    doc = _parse(TRAFFIC_END)
    assert get(doc, "rule.name") == "Allow-Web"
    assert get(doc, "source.user.name") == "jdoe"
    assert get(doc, "source.user.domain") == "example"
    assert get(doc, "related.user") == ["jdoe"]
    assert get(doc, "network.application") == "ssl"
    assert get(doc, "observer.ingress.zone") == "trust"
    assert get(doc, "observer.egress.zone") == "untrust"
    assert get(doc, "observer.ingress.interface.name") == "ethernet1/2"
    assert get(doc, "observer.egress.interface.name") == "ethernet1/1"
    assert get(doc, "panw.panos.vsys") == "vsys1"
    assert get(doc, "panw.panos.session_id") == "88231"


def test_panos_traffic_maps_counters_time_and_reason() -> None:
    doc = _parse(TRAFFIC_END)
    assert get(doc, "@timestamp") == "2026-12-03T17:09:58Z"
    assert get(doc, "event.start") == "2026-12-03T17:09:40Z"
    assert get(doc, "event.duration") == 18_000_000_000
    assert get(doc, "network.bytes") == 9321
    assert get(doc, "source.bytes") == 1803
    assert get(doc, "destination.bytes") == 7518
    assert get(doc, "network.packets") == 24
    assert get(doc, "source.packets") == 11
    assert get(doc, "destination.packets") == 13
    assert get(doc, "event.reason") == "tcp-fin"
    assert get(doc, "network.transport") == "tcp"
    assert get(doc, "panw.panos.url.category") == "computer-and-internet-info"


def test_panos_traffic_maps_event_and_observer() -> None:
    doc = _parse(TRAFFIC_END)
    assert get(doc, "event.action") == "flow_terminated"
    assert get(doc, "panw.panos.action") == "allow"
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "event.kind") == "event"
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "event.type") == ["connection", "allowed", "end"]
    assert get(doc, "observer.vendor") == "Palo Alto Networks"
    assert get(doc, "observer.product") == "PAN-OS"
    assert get(doc, "observer.type") == "firewall"
    assert get(doc, "observer.serial_number") == "012801234567"
    assert get(doc, "observer.name") == "PA-3220-EDGE"
    assert get(doc, "panw.panos.type") == "TRAFFIC"
    assert get(doc, "panw.panos.sub_type") == "end"
    assert get(doc, "event.dataset") == "panw.panos"


def test_panos_generated_time_is_read_in_the_sender_zone() -> None:
    context = ParseContext(received_at=CONTEXT.received_at, zone=ZoneInfo("Asia/Tokyo"))
    assert get(_parse(TRAFFIC_END, context), "@timestamp") == "2026-12-03T08:09:58Z"


def test_panos_traffic_deny() -> None:
    doc = _parse(TRAFFIC_DENY)
    assert get(doc, "event.action") == "flow_denied"
    assert get(doc, "panw.panos.action") == "deny"
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.type") == ["connection", "denied"]
    assert get(doc, "rule.name") == "Block-Inbound"
    assert get(doc, "event.reason") == "policy-deny"
    assert get(doc, "observer.egress.interface.name") is None
    assert get(doc, "network.application") == "ms-rdp"
    assert get(doc, "source.nat") is None


def test_panos_threat_vulnerability_is_an_alert_with_threat_fields() -> None:
    doc = _parse(THREAT_VULN)
    assert get(doc, "event.kind") == "alert"
    assert get(doc, "event.category") == ["network", "intrusion_detection"]
    assert get(doc, "event.type") == ["indicator", "denied"]
    assert get(doc, "event.action") == "exploit_detected"
    assert get(doc, "panw.panos.action") == "reset-both"
    assert get(doc, "panw.panos.threat.name") == "Apache Log4j Remote Code Execution Vulnerability"
    assert get(doc, "panw.panos.threat.id") == "91991"
    assert get(doc, "panw.panos.threat.direction") == "client-to-server"
    assert get(doc, "panw.panos.threat.category") == "code-execution"
    assert get(doc, "log.level") == "critical"
    assert get(doc, "event.severity") == 1
    assert get(doc, "rule.name") == "Inbound-Web"


def test_panos_threat_quoted_fields_keep_their_commas() -> None:
    doc = _parse(THREAT_VULN)
    assert get(doc, "url.original") == "www.example.com/search.php?q=a,b"
    assert get(doc, "url.query") == "q=a,b"
    assert get(doc, "user_agent.original") == "Mozilla/5.0 (X11; Linux x86_64) curl, like Gecko"
    assert get(doc, "observer.name") == "PA-3220-EDGE"  # the columns after the quotes stay aligned
    assert get(doc, "http.request.method") == "GET"


def test_panos_threat_maps_destination_nat() -> None:
    doc = _parse(THREAT_VULN)
    assert get(doc, "destination.ip") == "203.0.113.20"
    assert get(doc, "destination.nat.ip") == "192.0.2.20"
    assert get(doc, "destination.nat.port") == 8080
    assert get(doc, "source.nat") is None


def test_panos_threat_url_maps_url_and_http_fields() -> None:
    doc = _parse(THREAT_URL)
    assert get(doc, "url.original") == "gambling.example.org/poker/?table=1"
    assert get(doc, "event.category") == ["network", "web"]
    assert get(doc, "event.type") == ["access", "denied"]
    assert get(doc, "event.action") == "url_filtering"
    assert get(doc, "panw.panos.action") == "block-url"
    assert get(doc, "panw.panos.url.category") == "gambling"
    assert get(doc, "panw.panos.threat.id") == "9999"
    assert get(doc, "panw.panos.threat.name") is None
    assert get(doc, "http.response.mime_type") == "text/html"
    assert get(doc, "http.request.referrer") == "http://www.example.com/"
    assert get(doc, "panw.panos.x_forwarded_for") == "198.51.100.200"
    assert get(doc, "log.level") == "informational"
    assert get(doc, "event.severity") == 5


def test_panos_threat_virus_maps_file_and_hash() -> None:
    doc = _parse(THREAT_VIRUS)
    assert get(doc, "event.category") == ["network", "malware"]
    assert get(doc, "file.name") == "eicar.com"
    assert get(doc, "file.hash.sha256") == "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    assert get(doc, "panw.panos.threat.name") == "Eicar Test File"
    assert get(doc, "destination.user.name") == "jdoe"
    assert get(doc, "event.severity") == 3


def test_panos_record_behind_a_syslog_header_is_found() -> None:
    doc = _parse("<14>Dec  3 17:10:00 PA-3220-EDGE " + TRAFFIC_END)
    assert get(doc, "observer.serial_number") == "012801234567"
    assert get(doc, "source.ip") == "192.0.2.45"


def test_panos_truncated_record_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(TRAFFIC_END[:150], CONTEXT)


def test_panos_shifted_record_is_a_parse_error() -> None:
    shifted = TRAFFIC_END.replace(",192.0.2.45,", ",extra,192.0.2.45,", 1)
    with pytest.raises(ParseError):
        parse(shifted, CONTEXT)


def test_panos_other_log_types_are_not_claimed() -> None:
    system = (
        "1,2026/12/03 17:20:00,012801234567,SYSTEM,general,2561,2026/12/03 17:20:00,,general,,0,0,general"
    )
    assert parse(system, CONTEXT) is None
    assert parse("a,b,c,TRAFFIC,end", CONTEXT) is None


@pytest.mark.parametrize("line", [TRAFFIC_END, THREAT_VULN, THREAT_URL, THREAT_VIRUS, TRAFFIC_DENY])
def test_panos_sniff_accepts_traffic_and_threat(line: str) -> None:
    assert sniff(line)


@pytest.mark.parametrize(
    "line",
    [
        "id,name,TRAFFIC,THREAT,value",
        "CEF:0|Palo Alto Networks|PAN-OS|10.2|end|TRAFFIC|1|src=192.0.2.1",
        'date=2026-12-03 time=17:05:11 devname="FGT" logid="0000000013" type="traffic"',
        "1,2026/12/03 17:20:00,012801234567,CONFIG,0,2561,2026/12/03 17:20:00,192.0.2.5,,set",
    ],
)
def test_panos_sniff_refuses_other_formats(line: str) -> None:
    assert not sniff(line)


def test_panos_spec() -> None:
    assert PANOS.name == "panos"
    assert PANOS.dataset == "panw.panos"


@given(st.text(max_size=300))
def test_panos_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


@given(st.lists(st.text(alphabet='abc0123456789./:" -', max_size=12), max_size=70))
def test_panos_parse_survives_csv_shaped_garbage(fields: list[str]) -> None:
    with contextlib.suppress(ParseError):
        parse("1,2026/12/03 17:10:00,0128,THREAT," + ",".join(fields), CONTEXT)


def test_panos_traffic_start_and_drop_are_named_by_subtype() -> None:
    start = TRAFFIC_END.replace(",TRAFFIC,end,", ",TRAFFIC,start,")
    assert get(_parse(start), "event.action") == "flow_started"
    dropped = TRAFFIC_END.replace(",TRAFFIC,end,", ",TRAFFIC,drop,").replace(",tcp,allow,", ",tcp,drop,")
    doc = _parse(dropped)
    assert get(doc, "event.action") == "flow_dropped"
    assert get(doc, "event.outcome") == "failure"


def test_panos_device_name_is_the_observer_hostname() -> None:
    assert get(_parse(TRAFFIC_END), "observer.hostname") == "PA-3220-EDGE"
    assert get(_parse(THREAT_URL), "observer.hostname") == "PA-3220-EDGE"


def test_panos_threat_url_is_split_without_a_scheme() -> None:
    doc = _parse(THREAT_URL)
    assert get(doc, "url.domain") == "gambling.example.org"
    assert get(doc, "url.path") == "/poker/"
    assert get(doc, "url.query") == "table=1"
    assert get(doc, "destination.domain") == "gambling.example.org"
    with_port = THREAT_URL.replace("gambling.example.org/poker/?table=1", "portal.example.net:8443/login")
    doc = _parse(with_port)
    assert get(doc, "url.domain") == "portal.example.net"
    assert get(doc, "url.port") == 8443
    assert get(doc, "url.path") == "/login"


def test_panos_threat_file_path_gives_the_file_name() -> None:
    record = THREAT_VULN.replace(",THREAT,vulnerability,", ",THREAT,file,").replace(
        '"www.example.com/search.php?q=a,b"', "C:\\Users\\jdoe\\Downloads\\invoice.pdf.exe"
    )
    doc = _parse(record)
    assert get(doc, "file.path") == "C:\\Users\\jdoe\\Downloads\\invoice.pdf.exe"
    assert get(doc, "file.name") == "invoice.pdf.exe"
    assert get(doc, "event.action") == "file_match"


def test_panos_threat_virus_misc_with_a_host_is_the_download_url() -> None:
    doc = _parse(THREAT_VIRUS.replace(",eicar.com,", ",downloads.example.com/tools/eicar.com,"))
    assert get(doc, "url.domain") == "downloads.example.com"
    assert get(doc, "url.path") == "/tools/eicar.com"
    assert get(doc, "file.name") is None


@pytest.mark.parametrize(
    ("misc", "app"),
    [
        ("dir/x.exe", "web-browsing"),  # no host before the first '/': a relative path
        ("invoices.2026/x.exe", "smtp"),  # mail attachments are files, whatever their folder is named
        ("share.example.com/x.exe", "ms-ds-smb-base"),
    ],
)
def test_panos_threat_virus_misc_without_a_host_is_a_file(misc: str, app: str) -> None:
    record = THREAT_VIRUS.replace(",eicar.com,", f",{misc},").replace(",web-browsing,", f",{app},")
    doc = _parse(record)
    assert get(doc, "url") is None
    assert get(doc, "file.path") == misc
    assert get(doc, "file.name") == "x.exe"


def test_panos_threat_wildfire_over_http_with_a_scheme_is_a_url() -> None:
    record = THREAT_VIRUS.replace(",THREAT,virus,", ",THREAT,wildfire,").replace(
        ",eicar.com,", ",http://198.51.100.30:8080/payload.bin,"
    )
    doc = _parse(record)
    assert get(doc, "url.scheme") == "http"
    assert get(doc, "url.domain") == "198.51.100.30"
    assert get(doc, "url.port") == 8080
    assert get(doc, "url.path") == "/payload.bin"
    assert get(doc, "destination.domain") is None
    assert get(doc, "file.name") is None
