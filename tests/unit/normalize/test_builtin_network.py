"""Network parsers as registered: each line is claimed by its own parser only, also through auto detection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socflow.normalize import builtin
from socflow.normalize.builtin_network import NETWORK_PARSERS
from socflow.normalize.ecs import get
from socflow.normalize.pipeline import normalize_text
from socflow.normalize.syslog_header import split_syslog

RECEIVED = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)

SAMPLES: dict[str, tuple[str, str]] = {
    "iptables": (
        "<4>Dec  3 17:00:00 gw01 kernel: [1234567.890123] [UFW BLOCK] IN=eth0 OUT= "
        "MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=198.51.100.23 DST=192.0.2.10 LEN=60 TOS=0x00 "
        "PREC=0x00 TTL=51 ID=54321 DF PROTO=TCP SPT=44321 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
        "iptables.log",
    ),
    "cisco-asa": (
        "<166>Dec 03 2026 17:01:02: %ASA-6-302013: Built outbound TCP connection 4413 for "
        "outside:203.0.113.80/443 (203.0.113.80/443) to inside:192.0.2.44/50122 (203.0.113.5/50122)",
        "cisco.asa",
    ),
    "fortigate": (
        '<189>date=2026-12-03 time=17:05:11 devname="FGT-EDGE-01" devid="FGT60FTK20001234" '
        'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=192.0.2.10 '
        'srcport=51514 dstip=203.0.113.50 dstport=443 proto=6 action="accept" policyid=3',
        "fortinet.firewall",
    ),
    "panos": (
        "<14>Dec  3 17:10:00 PA-3220-EDGE 1,2026/12/03 17:10:00,012801234567,TRAFFIC,end,2561,"
        "2026/12/03 17:09:58,192.0.2.45,203.0.113.80,198.51.100.10,0.0.0.0,Allow-Web,,,ssl,vsys1,trust,"
        "untrust,ethernet1/2,ethernet1/1,Forward-to-SIEM,2026/12/03 17:09:58,88231,1,51234,443,31234,0,"
        "0x40001c,tcp,allow,9321,1803,7518,24,2026/12/03 17:09:40,18,any,0,7012345678,0x0,"
        "192.0.2.0-192.0.2.255,United States,0,11,13,tcp-fin",
        "panw.panos",
    ),
    "suricata-eve": (
        '{"timestamp":"2026-12-03T17:20:01.512345+0000","flow_id":1234,"event_type":"alert",'
        '"src_ip":"198.51.100.77","src_port":40123,"dest_ip":"192.0.2.20","dest_port":80,"proto":"TCP",'
        '"alert":{"action":"allowed","gid":1,"signature_id":2034647,"rev":3,"signature":"ET EXPLOIT test",'
        '"category":"Attempted Administrator Privilege Gain","severity":1}}',
        "suricata.eve",
    ),
    "zeek": (
        '{"ts":1796318400.123456,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"192.0.2.44","id.orig_p":51514,'
        '"id.resp_h":"203.0.113.80","id.resp_p":443,"proto":"tcp","service":"ssl","duration":12.5,'
        '"conn_state":"SF","history":"ShADadFf"}',
        "zeek.conn",
    ),
    "apache": (
        '192.0.2.44 - alice [03/Dec/2026:17:30:05 +0100] "GET /index.html HTTP/1.1" 200 5120 '
        '"https://www.example.com/" "Mozilla/5.0 (X11; Linux x86_64)"',
        "apache.access",
    ),
}


def test_builtin_network_parsers_are_registered_with_the_builtins() -> None:
    names = {spec.name for spec in builtin.builtin_specs()}
    assert {spec.name for spec in NETWORK_PARSERS} <= names
    assert {"iptables", "cisco-asa", "fortigate", "panos", "suricata-eve", "zeek", "apache", "nginx"} <= names
    assert {"apache-error", "nginx-error"} <= names


@pytest.mark.parametrize(("name", "sample"), SAMPLES.items())
def test_builtin_network_auto_detection_picks_the_right_parser(name: str, sample: tuple[str, str]) -> None:
    text, dataset = sample
    doc = normalize_text(text, received_at=RECEIVED)
    assert get(doc, "tags") is None, get(doc, "error")
    assert get(doc, "event.dataset") == dataset, name
    assert get(doc, "event.original") == text


@pytest.mark.parametrize(("name", "sample"), SAMPLES.items())
def test_builtin_network_sniffers_claim_only_their_own_lines(name: str, sample: tuple[str, str]) -> None:
    text = sample[0]
    header = split_syslog(text, RECEIVED)
    for spec in NETWORK_PARSERS:
        if spec.sniff is None:
            continue
        subject = header.body if header is not None and spec.wants_syslog_body else text
        assert spec.sniff(subject) is (spec.name == name), (spec.name, name)


def test_builtin_network_explicit_nginx_format_reads_combined_lines() -> None:
    doc = normalize_text(SAMPLES["apache"][0], "nginx", received_at=RECEIVED)
    assert get(doc, "event.dataset") == "nginx.access"
    assert get(doc, "http.response.status_code") == 200


def test_builtin_network_syslog_header_host_is_merged() -> None:
    doc = normalize_text(SAMPLES["iptables"][0], received_at=RECEIVED)
    assert get(doc, "host.name") == "gw01"
    assert get(doc, "source.ip") == "198.51.100.23"
