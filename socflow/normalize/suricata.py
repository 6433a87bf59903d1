"""Suricata EVE JSON (alert, drop, dns, http, flow, tls, fileinfo, anomaly) to ECS events."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Final

from socflow.normalize import canonical
from socflow.normalize.community_id import put_community_id
from socflow.normalize.ecs import (
    ECSDocument,
    add_related,
    put,
    put_ip,
    put_mac,
    put_port,
    put_time,
    put_traffic,
)
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

_MICROSECOND: Final = timedelta(microseconds=1)
_DECODER: Final = json.JSONDecoder()
_ADDRESS_TYPES: Final = frozenset({"A", "AAAA"})
# App-layer event types: the record is one transaction of the protocol its type names.
_PROTOCOL_EVENTS: Final = {
    name: name
    for name in (
        "bittorrent-dht",
        "dcerpc",
        "dhcp",
        "dnp3",
        "dns",
        "ftp",
        "http",
        "http2",
        "ike",
        "krb5",
        "ldap",
        "modbus",
        "mqtt",
        "nfs",
        "pgsql",
        "pop3",
        "quic",
        "rdp",
        "rfb",
        "sip",
        "smb",
        "smtp",
        "snmp",
        "ssh",
        "tftp",
        "tls",
        "websocket",
    )
} | {"ftp_data": "ftp", "ikev2": "ike"}
# EVE event types (Suricata 6-8): a JSON record with another event_type is someone else's.
_EVE_TYPES: Final = frozenset(_PROTOCOL_EVENTS) | frozenset(
    ("alert", "anomaly", "arp", "drop", "fileinfo", "flow", "frame", "netflow", "stats")
)
# Records about a transaction (not of it) that carry the transaction's app-layer metadata.
_CARRIERS: Final = frozenset({"alert", "drop", "fileinfo", "anomaly"})
_CARRIED_SECTIONS: Final = ("http", "dns", "tls")
_CARRIER_OWN: Final = ("type", "category", "outcome")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _iso(value: Any) -> str | None:
    """An EVE time ("2026-12-03T17:00:01.123456+0000") as ECS UTC text; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return canonical.parse_iso(value).isoformat().replace("+00:00", "Z")
    except ValueError:
        return None


def _put_alert(doc: ECSDocument, alert: dict[str, Any]) -> None:
    put(doc, "event.kind", "alert")
    put(doc, "event.category", ["network", "intrusion_detection"])
    action = _text(alert.get("action"))
    put(doc, "event.action", action)
    put(doc, "event.type", ["denied"] if action == "blocked" else ["allowed"] if action else ["info"])
    put(doc, "rule.id", _text(alert.get("signature_id")))
    put(doc, "rule.name", _text(alert.get("signature")))
    put(doc, "rule.category", _text(alert.get("category")))
    put(doc, "rule.version", _text(alert.get("rev")))
    put(doc, "suricata.eve.alert.gid", _number(alert.get("gid")))
    put(doc, "event.severity", _number(alert.get("severity")))


def _put_drop(doc: ECSDocument, record: dict[str, Any]) -> None:
    """A packet Suricata dropped in IPS (inline) mode: a denial by the IPS, whether a rule or the
    engine's policy (stream, flow, memcap) caused it. With `alerts: yes` the rule that dropped it is
    in the record's `alert`, and the record is then that rule's alert."""
    alert = record.get("alert")
    if isinstance(alert, dict):
        _put_alert(doc, alert)
    put(doc, "event.category", ["network", "intrusion_detection"])
    put(doc, "event.type", ["denied"])
    drop = _dict(record.get("drop"))
    put(doc, "event.reason", _text(drop.get("reason")))  # Suricata 7 and later


def _put_dns(doc: ECSDocument, dns: dict[str, Any]) -> None:
    """EVE dns v1 (one record per event), v2 (answers list) and v3 (queries list) alike."""
    put(doc, "event.type", ["protocol"])
    put(doc, "network.protocol", "dns")
    queries = dns.get("queries")
    question: dict[str, Any] = {}
    if isinstance(queries, list) and queries:
        question = _dict(queries[0])
    elif dns.get("type") != "answer" or "version" in dns:
        # A v1 answer record (no "version") puts one answer's rrname/rrtype at the top, not the question.
        question = dns
    put(doc, "dns.question.name", _text(question.get("rrname")))
    put(doc, "dns.question.type", _text(question.get("rrtype")))
    put(doc, "dns.type", _text(dns.get("type")) or ("query" if isinstance(queries, list) else None))
    put(doc, "dns.id", _text(dns.get("id")))
    put(doc, "dns.response_code", _text(dns.get("rcode")))
    answers: list[dict[str, Any]] = []
    if isinstance(dns.get("answers"), list):
        answers = [_dict(answer) for answer in dns["answers"]]
    elif dns.get("type") == "answer" and "rdata" in dns:
        answers = [dns]
    written: list[dict[str, Any]] = []
    resolved: list[str] = []
    for answer in answers:
        entry: dict[str, Any] = {}
        put(entry, "name", _text(answer.get("rrname")))
        put(entry, "type", _text(answer.get("rrtype")))
        put(entry, "ttl", _number(answer.get("ttl")))
        data = _text(answer.get("rdata"))
        put(entry, "data", data)
        if entry:
            written.append(entry)
        if data and _text(answer.get("rrtype")) in _ADDRESS_TYPES:
            try:
                address = canonical.ip(data)
            except ValueError:
                continue
            if address not in resolved:
                resolved.append(address)
            add_related(doc, "ip", address)
    if written:
        put(doc, "dns.answers", written)
    if resolved:
        put(doc, "dns.resolved_ip", resolved)
    flags = [flag.upper() for flag in ("aa", "tc", "rd", "ra") if dns.get(flag) is True]
    if flags:
        put(doc, "dns.header_flags", flags)


def _put_http(doc: ECSDocument, http: dict[str, Any]) -> None:
    put(doc, "event.type", ["access", "protocol"])
    put(doc, "event.category", ["network", "web"])
    put(doc, "network.protocol", "http")
    hostname = _text(http.get("hostname"))
    put(doc, "url.domain", hostname)
    put(doc, "destination.domain", hostname)
    url = _text(http.get("url"))
    put(doc, "url.original", url)
    if url:
        path, _, query = url.partition("?")
        put(doc, "url.path", path)
        put(doc, "url.query", query)
    put(doc, "http.request.method", _text(http.get("http_method")))
    status = _number(http.get("status"))
    put(doc, "http.response.status_code", status)
    if status is not None:
        put(doc, "event.outcome", "success" if status < 400 else "failure")
    put(doc, "user_agent.original", _text(http.get("http_user_agent")))
    put(doc, "http.response.body.bytes", _number(http.get("length")))
    put(doc, "http.request.referrer", _text(http.get("http_refer")))
    put(doc, "http.response.mime_type", _text(http.get("http_content_type")))
    protocol = _text(http.get("protocol")) or ""
    if protocol.upper().startswith("HTTP/"):
        put(doc, "http.version", protocol[5:])


def _put_flow_counters(doc: ECSDocument, flow: dict[str, Any]) -> None:
    """The flow's counters and times so far: in flow records, and in alerts and others that carry them."""
    put_traffic(doc, "bytes", _number(flow.get("bytes_toserver")), _number(flow.get("bytes_toclient")))
    put_traffic(doc, "packets", _number(flow.get("pkts_toserver")), _number(flow.get("pkts_toclient")))
    start, end = _iso(flow.get("start")), _iso(flow.get("end"))
    put(doc, "event.start", start)
    put(doc, "event.end", end)
    if isinstance(flow.get("start"), str) and isinstance(flow.get("end"), str) and start and end:
        elapsed = canonical.parse_iso(flow["end"]) - canonical.parse_iso(flow["start"])
        if elapsed >= timedelta(0):
            put(doc, "event.duration", elapsed // _MICROSECOND * 1000)  # exact: EVE times are in µs


def _put_flow(doc: ECSDocument, flow: dict[str, Any]) -> None:
    # A flow record is written when Suricata stops tracking the flow (timeout, forced, shutdown).
    put(doc, "event.type", ["connection", "end"])
    put(doc, "suricata.eve.flow.state", _text(flow.get("state")))
    put(doc, "suricata.eve.flow.reason", _text(flow.get("reason")))
    put(doc, "suricata.eve.flow.age", _number(flow.get("age")))
    alerted = flow.get("alerted")
    if isinstance(alerted, bool):
        put(doc, "suricata.eve.flow.alerted", alerted)


def _put_tls(doc: ECSDocument, tls: dict[str, Any]) -> None:
    put(doc, "event.type", ["protocol"])
    put(doc, "network.protocol", "tls")
    put(doc, "tls.server.subject", _text(tls.get("subject")))
    put(doc, "tls.server.issuer", _text(tls.get("issuerdn")))
    # A fully qualified name may end in the root dot; ECS domain fields hold the name without it.
    server_name = (_text(tls.get("sni")) or "").rstrip(".") or None
    put(doc, "tls.client.server_name", server_name)
    put(doc, "destination.domain", server_name)
    version = _text(tls.get("version")) or ""
    name, _, number = version.partition(" ")
    if name.upper() in {"TLS", "SSL"} and number:
        put(doc, "tls.version_protocol", name.lower())
        put(doc, "tls.version", number.lstrip("v"))
    put(doc, "tls.client.ja3", _text(_dict(tls.get("ja3")).get("hash")))
    put(doc, "tls.server.ja3s", _text(_dict(tls.get("ja3s")).get("hash")))
    fingerprint = _text(tls.get("fingerprint"))
    if fingerprint:
        put(doc, "tls.server.hash.sha1", fingerprint.replace(":", "").upper())
    put(doc, "tls.server.not_before", _iso(tls.get("notbefore")))
    put(doc, "tls.server.not_after", _iso(tls.get("notafter")))


def _put_fileinfo(doc: ECSDocument, fileinfo: dict[str, Any]) -> None:
    put(doc, "event.category", ["network", "file"])
    put(doc, "event.type", ["info"])
    # The name as transferred: an HTTP URI path, an SMB or FTP path; file.name is its last part.
    path = _text(fileinfo.get("filename"))
    put(doc, "file.path", path)
    if path:
        put(doc, "file.name", path.replace("\\", "/").rsplit("/", 1)[-1] or None)
    put(doc, "file.size", _number(fileinfo.get("size")))
    for algorithm in ("md5", "sha1", "sha256"):
        digest = _text(fileinfo.get(algorithm))
        put(doc, f"file.hash.{algorithm}", digest)
        add_related(doc, "hash", digest)
    put(doc, "suricata.eve.fileinfo.magic", _text(fileinfo.get("magic")))
    put(doc, "suricata.eve.fileinfo.state", _text(fileinfo.get("state")))


def _put_anomaly(doc: ECSDocument, anomaly: dict[str, Any]) -> None:
    put(doc, "event.type", ["protocol", "error"])
    put(doc, "event.action", _text(anomaly.get("event")))
    put(doc, "suricata.eve.anomaly.type", _text(anomaly.get("type")))
    put(doc, "suricata.eve.anomaly.layer", _text(anomaly.get("layer")))


_SECTIONS: Final = {
    "alert": _put_alert,
    "dns": _put_dns,
    "http": _put_http,
    "flow": _put_flow,
    "tls": _put_tls,
    "fileinfo": _put_fileinfo,
    "anomaly": _put_anomaly,
}


def _load(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    if start < 0 or '"event_type"' not in text:
        return None
    try:
        record, _ = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError) as error:
        raise ParseError(f"Suricata EVE line is not valid JSON: {error}") from None
    if not isinstance(record, dict) or _text(record.get("event_type")) not in _EVE_TYPES:
        return None
    if "src_ip" not in record and "flow_id" not in record and record["event_type"] != "stats":
        return None
    return record


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for an EVE record; None when the text is not JSON with "event_type"."""
    record = _load(text)
    if record is None:
        return None
    event_type: str = record["event_type"]
    doc: ECSDocument = {}
    put(doc, "event.original", text)
    put(doc, "event.dataset", "suricata.eve")
    put(doc, "event.module", "suricata")
    if event_type == "stats":
        put(doc, "event.kind", "metric")
    else:
        put(doc, "event.kind", "event")
        put(doc, "event.category", ["network"])
    put(doc, "suricata.eve.event_type", event_type)
    put(doc, "observer.vendor", "OISF")
    put(doc, "observer.product", "Suricata")
    put(doc, "observer.type", "ids")
    put(doc, "observer.hostname", _text(record.get("host")))
    stamp = record.get("timestamp")
    if isinstance(stamp, str):
        try:
            put_time(doc, canonical.parse_iso(stamp, context.zone))
        except ValueError:
            raise ParseError(f"Suricata EVE timestamp {stamp!r} is not ISO 8601") from None
    put_ip(doc, "source.ip", _text(record.get("src_ip")))
    put_port(doc, "source.port", _number(record.get("src_port")))
    put_ip(doc, "destination.ip", _text(record.get("dest_ip")))
    put_port(doc, "destination.port", _number(record.get("dest_port")))
    ether = _dict(record.get("ether"))
    put_mac(doc, "source.mac", _single(ether.get("src_mac")))
    put_mac(doc, "destination.mac", _single(ether.get("dest_mac")))
    put_transport(doc, _text(record.get("proto")))
    protocol = _PROTOCOL_EVENTS.get(event_type)
    if protocol is not None:
        put(doc, "event.type", ["protocol"])
        put(doc, "network.protocol", protocol)
    app_proto = (_text(record.get("app_proto")) or "").lower()
    if app_proto not in {"failed", "unknown"}:  # Suricata's words for "not detected"
        put(doc, "network.protocol", app_proto)
    put(doc, "network.community_id", _text(record.get("community_id")))
    put_community_id(doc, _number(record.get("icmp_type")), _number(record.get("icmp_code")))
    put(doc, "observer.ingress.interface.name", _text(record.get("in_iface")))
    vlans = record.get("vlan")
    if isinstance(vlans, list) and vlans:
        put(doc, "network.vlan.id", _text(vlans[0]))
    put(doc, "suricata.eve.flow_id", _text(record.get("flow_id")))
    put(doc, "suricata.eve.tx_id", _number(record.get("tx_id")))
    flow = record.get("flow")
    if isinstance(flow, dict):
        _put_flow_counters(doc, flow)
    section = _SECTIONS.get(event_type)
    if section is not None:
        section(doc, _dict(record.get(event_type)))
    elif event_type == "drop":
        _put_drop(doc, record)
    if event_type in _CARRIERS:
        _put_carried(doc, record)
    return doc


def _single(value: Any) -> str | None:
    """A MAC address field: text, or a list of one (Suricata 7 flow records list every MAC seen)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) else None


def _put_carried(doc: ECSDocument, record: dict[str, Any]) -> None:
    """The transaction's http/dns/tls details; the record's own event type, category and outcome stay."""
    event = doc["event"]
    kept = {key: event.get(key) for key in _CARRIER_OWN}
    for name in _CARRIED_SECTIONS:
        if isinstance(record.get(name), dict):
            _SECTIONS[name](doc, record[name])
    for key, value in kept.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value


def sniff(text: str) -> bool:
    return '"event_type"' in text and ('"src_ip"' in text or '"flow_id"' in text or '"stats"' in text)


SURICATA_EVE: Final = ParserSpec(
    name="suricata-eve",
    parse=parse,
    sniff=sniff,
    priority=95,  # above generic JSON (90): the sniff is specific to EVE
    dataset="suricata.eve",
    description="Suricata EVE: alert, drop, dns, http, flow, tls, fileinfo, anomaly; others: common fields",
)
