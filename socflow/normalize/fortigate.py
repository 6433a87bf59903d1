"""FortiGate (FortiOS) key=value syslog: traffic, UTM and event logs to ECS events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, put, put_ip, put_mac, put_port, put_time, put_traffic, put_user
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

_PAIR: Final = re.compile(r'([A-Za-z_][\w-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_LOGID: Final = re.compile(r'(?:^|\s)logid="?\d{10}\b')
_UNESCAPE: Final = re.compile(r"\\(.)")
_DATE: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME: Final = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})")
_TZ: Final = re.compile(r"([+-])(\d{2}):?(\d{2})")
_PAREN_IP: Final = re.compile(r"\(([0-9A-Fa-f:.]+)\)")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# FortiOS level names, as syslog severities.
_SEVERITY: Final = {
    "emergency": 0,
    "alert": 1,
    "critical": 2,
    "error": 3,
    "warning": 4,
    "notice": 5,
    "information": 6,
    "debug": 7,
}
_DENIED: Final = frozenset({"deny", "block", "blocked", "drop", "dropped", "reset", "ip-conn", "detected"})
_ALLOWED: Final = frozenset(
    {
        "accept",
        "allow",
        "allowed",
        "pass",
        "passthrough",
        "close",
        "timeout",
        "server-rst",
        "client-rst",
        "start",
    }
)
# UTM subtype -> the ECS category beside network.
_UTM_CATEGORY: Final = {
    "ips": "intrusion_detection",
    "anomaly": "intrusion_detection",
    "virus": "malware",
    "webfilter": "web",
    "dns": "network",
    "app-ctrl": "network",
    "dlp": "file",
    "waf": "web",
}


def _pairs(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, raw in _PAIR.findall(text):
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = raw[1:-1]
            if "\\" in raw:
                raw = _UNESCAPE.sub(r"\1", raw)
        values.setdefault(key, raw)
    return values


def _int(value: str | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)


def _timestamp(pairs: dict[str, str], context: ParseContext) -> datetime | None:
    """eventtime (epoch s, ms, us or ns) wins; else date= time= read in tz= or the sender's zone."""
    epoch = _int(pairs.get("eventtime"))
    if epoch is not None:
        if epoch >= 10**17:  # nanoseconds (FortiOS 6.2 and later)
            return _EPOCH + timedelta(microseconds=epoch // 1000)
        try:
            return canonical.from_epoch(epoch)
        except (OverflowError, OSError, ValueError):
            return None
    date = _DATE.fullmatch(pairs.get("date", ""))
    clock = _TIME.fullmatch(pairs.get("time", ""))
    if date is None or clock is None:
        return None
    offset = _TZ.fullmatch(pairs.get("tz", ""))
    zone = context.zone
    if offset is not None:
        minutes = int(offset[2]) * 60 + int(offset[3])
        zone = timezone(timedelta(minutes=-minutes if offset[1] == "-" else minutes))
    try:
        year, month, day = (int(part) for part in date.groups())
        hour, minute, second = (int(part) for part in clock.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return canonical.to_utc(moment, zone)


def _put_traffic(doc: ECSDocument, pairs: dict[str, str]) -> None:
    put_ip(doc, "source.ip", pairs.get("srcip"))
    put_port(doc, "source.port", pairs.get("srcport"))
    put_ip(doc, "destination.ip", pairs.get("dstip"))
    put_port(doc, "destination.port", pairs.get("dstport"))
    put_mac(doc, "source.mac", pairs.get("srcmac"))
    put_mac(doc, "destination.mac", pairs.get("dstmac"))
    put(doc, "observer.ingress.interface.name", pairs.get("srcintf"))
    put(doc, "observer.egress.interface.name", pairs.get("dstintf"))
    put_transport(doc, pairs.get("proto"))
    service = pairs.get("service", "")
    if service.isalpha() or service.replace("-", "").isalpha():
        put(doc, "network.protocol", service.lower())
    put(doc, "fortinet.firewall.service", service)
    translation = pairs.get("trandisp", "")
    if "snat" in translation:
        put_ip(doc, "source.nat.ip", pairs.get("transip"))
        put_port(doc, "source.nat.port", pairs.get("transport"))
    if "dnat" in translation:
        put_ip(doc, "destination.nat.ip", pairs.get("tranip"))
        put_port(doc, "destination.nat.port", pairs.get("tranport"))
    put(doc, "fortinet.firewall.trandisp", translation)
    put_traffic(doc, "bytes", _int(pairs.get("sentbyte")), _int(pairs.get("rcvdbyte")))
    put_traffic(doc, "packets", _int(pairs.get("sentpkt")), _int(pairs.get("rcvdpkt")))
    duration = _int(pairs.get("duration"))
    if duration is not None:
        put(doc, "event.duration", duration * 1_000_000_000)
    put(doc, "network.application", pairs.get("app", "").lower())
    put(doc, "fortinet.firewall.sessionid", pairs.get("sessionid"))


def _put_utm(doc: ECSDocument, pairs: dict[str, str], subtype: str) -> None:
    put(doc, "event.category", ["network", _UTM_CATEGORY.get(subtype, "network")])
    attack, virus = pairs.get("attack"), pairs.get("virus")
    if attack:
        put(doc, "rule.name", attack)
        put(doc, "rule.id", pairs.get("attackid"))
        put(doc, "rule.category", subtype)
    if virus:
        put(doc, "fortinet.firewall.virus", virus)
        put(doc, "rule.name", virus)
        put(doc, "rule.id", pairs.get("virusid"))
    if attack or virus:
        put(doc, "event.kind", "alert")
    url, hostname = pairs.get("url", ""), pairs.get("hostname", "")
    if url:
        put(doc, "url.original", url)
        path, _, query = url.partition("?")
        put(doc, "url.path", path if path.startswith("/") else None)
        put(doc, "url.query", query)
    put(doc, "url.domain", hostname)
    put(doc, "destination.domain", hostname)
    put(doc, "fortinet.firewall.catdesc", pairs.get("catdesc"))
    put(doc, "file.name", pairs.get("filename"))
    put(doc, "dns.question.name", pairs.get("qname"))
    put(doc, "dns.question.type", pairs.get("qtype"))
    put(doc, "fortinet.firewall.crlevel", pairs.get("crlevel"))


def _put_system_event(doc: ECSDocument, pairs: dict[str, str]) -> None:
    action = pairs.get("action", "").lower()
    status = pairs.get("status", "").lower()
    if "login" in action or "logout" in action:
        put(doc, "event.category", ["authentication"])
        put(doc, "event.type", ["start" if action == "login" else "end"])
    else:
        put(doc, "event.category", ["host"] if pairs.get("subtype") == "system" else ["network"])
        put(doc, "event.type", ["info"])
    if status in {"success", "succeeded"}:
        put(doc, "event.outcome", "success")
    elif status in {"failed", "failure"}:
        put(doc, "event.outcome", "failure")
    put_user(doc, "user", pairs.get("user"))
    user_interface = pairs.get("ui", "")
    address = _PAREN_IP.search(user_interface)
    if address is not None:
        put_ip(doc, "source.ip", address[1])
    put_ip(doc, "source.ip", pairs.get("srcip"))
    put_ip(doc, "destination.ip", pairs.get("dstip"))
    put(doc, "event.reason", pairs.get("reason"))
    put(doc, "fortinet.firewall.ui", user_interface)
    put(doc, "fortinet.firewall.logdesc", pairs.get("logdesc"))


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for a FortiOS log; None when the line has no devname= and logid=."""
    if "logid=" not in text or "devname=" not in text:
        return None
    pairs = _pairs(text)
    if not pairs.get("logid") or not pairs.get("devname"):
        return None
    if "type" not in pairs:
        raise ParseError("FortiGate log without type=")
    doc: ECSDocument = {}
    log_type, subtype = pairs["type"].lower(), pairs.get("subtype", "").lower()
    put(doc, "event.original", text)
    put(doc, "event.dataset", "fortinet.firewall")
    put(doc, "event.module", "fortinet")
    put(doc, "event.kind", "event")
    put(doc, "event.code", pairs["logid"])
    level = pairs.get("level", "").lower()
    put(doc, "log.level", level)
    put(doc, "event.severity", _SEVERITY.get(level))
    put(doc, "message", pairs.get("msg"))
    put(doc, "observer.vendor", "Fortinet")
    put(doc, "observer.product", "FortiGate")
    put(doc, "observer.type", "firewall")
    put(doc, "observer.name", pairs["devname"])
    put(doc, "observer.serial_number", pairs.get("devid"))
    put(doc, "fortinet.firewall.type", log_type)
    put(doc, "fortinet.firewall.subtype", subtype)
    put(doc, "fortinet.firewall.vd", pairs.get("vd"))
    moment = _timestamp(pairs, context)
    if moment is not None:
        put_time(doc, moment)

    action = pairs.get("action", "").lower()
    put(doc, "event.action", action)
    if log_type == "event":
        _put_system_event(doc, pairs)
    else:
        put(doc, "event.category", ["network"])
        _put_traffic(doc, pairs)
        put_user(doc, "source.user", pairs.get("user") or pairs.get("unauthuser"))
        put(doc, "rule.id", pairs.get("policyid"))
        put(doc, "fortinet.firewall.policyid", pairs.get("policyid"))
        put(doc, "rule.name", pairs.get("policyname"))
        put(doc, "rule.uuid", pairs.get("poluuid"))
        verdict = "denied" if action in _DENIED else "allowed" if action in _ALLOWED else None
        put(doc, "event.type", ["connection", verdict] if verdict else ["connection"])
        if log_type == "utm":
            _put_utm(doc, pairs, subtype)
    return doc


def sniff(text: str) -> bool:
    return "devname=" in text and _LOGID.search(text) is not None


FORTIGATE: Final = ParserSpec(
    name="fortigate",
    parse=parse,
    sniff=sniff,
    priority=50,
    dataset="fortinet.firewall",
    description="Fortinet FortiGate (FortiOS) key=value logs: traffic, UTM and event",
)
