"""Palo Alto Networks PAN-OS syslog CSV (TRAFFIC and THREAT, PAN-OS 10.x/11.x field order) to ECS."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from enum import IntEnum
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.community_id import put_community_id
from socflow.normalize.ecs import ECSDocument, put, put_ip, put_port, put_time, put_user
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

# The record starts "<future use>,<receive time>,<serial>,<type>,": find it even behind a header.
_START: Final = re.compile(
    r"(?:^|[\s,>])(?P<start>[^,\s]*,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,(?:TRAFFIC|THREAT),)"
)
_TIME: Final = re.compile(r"(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)")
_THREAT_NAME: Final = re.compile(r"^(?P<name>.*?)\s*\((?P<id>\d+)\)\s*$")
_SHA256: Final = re.compile(r"[0-9a-fA-F]{64}")
_UNSET_IPS: Final = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - PAN-OS writes these for "no NAT"


class Field(IntEnum):
    """Column positions shared by TRAFFIC and THREAT (0-based)."""

    RECEIVE_TIME = 1
    SERIAL = 2
    TYPE = 3
    SUBTYPE = 4
    GENERATED_TIME = 6
    SRC = 7
    DST = 8
    NAT_SRC = 9
    NAT_DST = 10
    RULE = 11
    SRC_USER = 12
    DST_USER = 13
    APP = 14
    VSYS = 15
    FROM_ZONE = 16
    TO_ZONE = 17
    INBOUND_IF = 18
    OUTBOUND_IF = 19
    LOG_ACTION = 20
    SESSION_ID = 22
    REPEAT_COUNT = 23
    SPORT = 24
    DPORT = 25
    NAT_SPORT = 26
    NAT_DPORT = 27
    FLAGS = 28
    PROTO = 29
    ACTION = 30


class Traffic(IntEnum):
    """TRAFFIC-only column positions."""

    BYTES = 31
    BYTES_SENT = 32
    BYTES_RECEIVED = 33
    PACKETS = 34
    START_TIME = 35
    ELAPSED = 36
    URL_CATEGORY = 37
    SEQUENCE = 39
    SRC_LOCATION = 41
    DST_LOCATION = 42
    PACKETS_SENT = 44
    PACKETS_RECEIVED = 45
    END_REASON = 46
    DEVICE_NAME = 52


class Threat(IntEnum):
    """THREAT-only column positions."""

    MISC = 31  # URL or file name
    THREAT = 32  # "name(id)"
    URL_CATEGORY = 33
    SEVERITY = 34
    DIRECTION = 35
    SEQUENCE = 36
    SRC_LOCATION = 38
    DST_LOCATION = 39
    CONTENT_TYPE = 41
    FILE_DIGEST = 43
    USER_AGENT = 46
    FILE_TYPE = 47
    XFF = 48
    REFERER = 49
    DEVICE_NAME = 59
    HTTP_METHOD = 63
    THREAT_CATEGORY = 69


_MIN_FIELDS: Final = Field.ACTION + 1
_DENIED: Final = frozenset(
    {"deny", "drop", "drop-icmp", "drop-all", "reset-client", "reset-server", "reset-both", "block-url"}
)
_DENIED_PREFIXES: Final = ("block", "reset", "drop", "deny", "sinkhole")
# Threat severity, most severe first (the lower the number, the worse, as in syslog).
_SEVERITY: Final = {"critical": 1, "high": 2, "medium": 3, "low": 4, "informational": 5}
# Subtypes whose misc column (URL/Filename) names a file, or the URL it was fetched from over HTTP.
_URL_OR_FILE_SUBTYPES: Final = frozenset(
    {"file", "virus", "wildfire", "wildfire-virus", "data", "vulnerability"}
)
# A URL as PAN-OS writes it, without its scheme: a host (a dotted name or IPv4, or a bracketed IPv6;
# an optional port) and then the path.
_URL_HOST: Final = re.compile(r"(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?/")
# App-IDs that move files without HTTP (mail, FTP, SMB, NFS): their misc column is a file name.
_FILE_TRANSFER_APPS: Final = (
    "smtp",
    "pop3",
    "imap",
    "ftp",
    "tftp",
    "ms-ds-smb",
    "netbios",
    "nfs",
    "ms-exchange",
)
# What happened, by log subtype (event.action); the action column is the verdict (event.type, event.outcome).
_TRAFFIC_ACTION: Final = {
    "start": "flow_started",
    "end": "flow_terminated",
    "drop": "flow_dropped",
    "deny": "flow_denied",
}
_THREAT_ACTION: Final = {
    "url": "url_filtering",
    "virus": "virus_detected",
    "wildfire-virus": "wildfire_virus_detected",
    "wildfire": "wildfire_verdict",
    "spyware": "spyware_detected",
    "vulnerability": "exploit_detected",
    "file": "file_match",
    "data": "data_match",
    "flood": "flood_detected",
    "scan": "scan_detected",
}
_THREAT_CATEGORY: Final = {
    "virus": "malware",
    "wildfire-virus": "malware",
    "wildfire": "malware",
    "spyware": "malware",
    "url": "web",
    "file": "file",
    "data": "file",
}


def _fields(record: str) -> list[str]:
    if '"' not in record:
        return record.split(",")
    try:
        return next(csv.reader((record,)), [])
    except csv.Error as error:
        raise ParseError(f"PAN-OS record is not valid CSV: {error}") from None


def _time(value: str, context: ParseContext) -> datetime | None:
    """PAN-OS writes times without a zone, in the firewall's: read them in the sender's zone."""
    found = _TIME.fullmatch(value.strip())
    if found is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in found.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return canonical.to_utc(moment, context.zone)


def _at(fields: list[str], index: int) -> str:
    return fields[index].strip() if index < len(fields) else ""


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _put_common(doc: ECSDocument, fields: list[str], context: ParseContext) -> None:
    moment = _time(fields[Field.GENERATED_TIME], context) or _time(fields[Field.RECEIVE_TIME], context)
    if moment is not None:
        put_time(doc, moment)
    put(doc, "observer.serial_number", _at(fields, Field.SERIAL))
    put_ip(doc, "source.ip", _at(fields, Field.SRC))
    put_ip(doc, "destination.ip", _at(fields, Field.DST))
    put_port(doc, "source.port", _at(fields, Field.SPORT))
    put_port(doc, "destination.port", _at(fields, Field.DPORT))
    if _at(fields, Field.NAT_SRC) not in _UNSET_IPS:
        put_ip(doc, "source.nat.ip", _at(fields, Field.NAT_SRC))
        if _at(fields, Field.NAT_SPORT) not in {"", "0"}:
            put_port(doc, "source.nat.port", _at(fields, Field.NAT_SPORT))
    if _at(fields, Field.NAT_DST) not in _UNSET_IPS:
        put_ip(doc, "destination.nat.ip", _at(fields, Field.NAT_DST))
        if _at(fields, Field.NAT_DPORT) not in {"", "0"}:
            put_port(doc, "destination.nat.port", _at(fields, Field.NAT_DPORT))
    put(doc, "rule.name", _at(fields, Field.RULE))
    put_user(doc, "source.user", _at(fields, Field.SRC_USER))
    put_user(doc, "destination.user", _at(fields, Field.DST_USER))
    put(doc, "network.application", _at(fields, Field.APP).lower())
    put(doc, "panw.panos.vsys", _at(fields, Field.VSYS))
    put(doc, "observer.ingress.zone", _at(fields, Field.FROM_ZONE))
    put(doc, "observer.egress.zone", _at(fields, Field.TO_ZONE))
    put(doc, "observer.ingress.interface.name", _at(fields, Field.INBOUND_IF))
    put(doc, "observer.egress.interface.name", _at(fields, Field.OUTBOUND_IF))
    put(doc, "panw.panos.session_id", _at(fields, Field.SESSION_ID))
    put(doc, "panw.panos.flags", _at(fields, Field.FLAGS))
    put_transport(doc, _at(fields, Field.PROTO))
    action = _at(fields, Field.ACTION).lower()
    put(doc, "event.action", action)  # the subtype's event name replaces it for TRAFFIC and THREAT
    put(doc, "panw.panos.action", action)
    denied = action in _DENIED or action.startswith(_DENIED_PREFIXES)
    put(doc, "event.outcome", "failure" if denied else "success" if action else None)


def _put_traffic(doc: ECSDocument, fields: list[str], subtype: str, context: ParseContext) -> None:
    action = _at(fields, Field.ACTION).lower()
    verdict = "denied" if action in _DENIED or action.startswith(_DENIED_PREFIXES) else "allowed"
    put(doc, "event.action", _TRAFFIC_ACTION.get(subtype))
    phase = {"start": "start", "end": "end"}.get(subtype)
    put(doc, "event.type", ["connection", verdict, phase] if phase else ["connection", verdict])
    put(doc, "event.category", ["network"])
    put(doc, "event.kind", "event")
    put(doc, "network.bytes", _int(_at(fields, Traffic.BYTES)))
    put(doc, "source.bytes", _int(_at(fields, Traffic.BYTES_SENT)))
    put(doc, "destination.bytes", _int(_at(fields, Traffic.BYTES_RECEIVED)))
    put(doc, "network.packets", _int(_at(fields, Traffic.PACKETS)))
    put(doc, "source.packets", _int(_at(fields, Traffic.PACKETS_SENT)))
    put(doc, "destination.packets", _int(_at(fields, Traffic.PACKETS_RECEIVED)))
    start = _time(_at(fields, Traffic.START_TIME), context)
    if start is not None:
        put(doc, "event.start", start.isoformat().replace("+00:00", "Z"))
    elapsed = _int(_at(fields, Traffic.ELAPSED))
    if elapsed is not None:
        put(doc, "event.duration", elapsed * 1_000_000_000)
    put(doc, "panw.panos.url.category", _at(fields, Traffic.URL_CATEGORY))
    put(doc, "event.sequence", _int(_at(fields, Traffic.SEQUENCE)))
    put(doc, "panw.panos.source.location", _at(fields, Traffic.SRC_LOCATION))
    put(doc, "panw.panos.destination.location", _at(fields, Traffic.DST_LOCATION))
    put(doc, "event.reason", _at(fields, Traffic.END_REASON))
    put(doc, "observer.name", _at(fields, Traffic.DEVICE_NAME))
    put(doc, "observer.hostname", _at(fields, Traffic.DEVICE_NAME))


def _put_threat(doc: ECSDocument, fields: list[str], subtype: str) -> None:
    action = _at(fields, Field.ACTION).lower()
    verdict = "denied" if action in _DENIED or action.startswith(_DENIED_PREFIXES) else "allowed"
    put(doc, "event.kind", "alert")
    put(doc, "event.action", _THREAT_ACTION.get(subtype))
    put(doc, "event.category", ["network", _THREAT_CATEGORY.get(subtype, "intrusion_detection")])
    put(doc, "event.type", ["indicator", verdict] if subtype != "url" else ["access", verdict])
    misc = _at(fields, Threat.MISC)
    if subtype == "url" or (subtype in _URL_OR_FILE_SUBTYPES and _misc_is_url(misc, _at(fields, Field.APP))):
        _put_url(doc, misc)
    elif subtype in _URL_OR_FILE_SUBTYPES:
        _put_file(doc, misc)
    else:  # a spyware record names the URL or the file the signature matched
        put(doc, "panw.panos.misc", misc)
    threat = _at(fields, Threat.THREAT)
    named = _THREAT_NAME.match(threat)
    if named is not None:
        put(doc, "panw.panos.threat.name", named["name"])
        put(doc, "panw.panos.threat.id", named["id"])
    else:
        put(doc, "panw.panos.threat.name", threat)
    put(doc, "panw.panos.url.category", _at(fields, Threat.URL_CATEGORY))
    severity = _at(fields, Threat.SEVERITY).lower()
    put(doc, "log.level", severity)
    put(doc, "event.severity", _SEVERITY.get(severity))
    put(doc, "panw.panos.threat.direction", _at(fields, Threat.DIRECTION))
    put(doc, "event.sequence", _int(_at(fields, Threat.SEQUENCE)))
    put(doc, "panw.panos.source.location", _at(fields, Threat.SRC_LOCATION))
    put(doc, "panw.panos.destination.location", _at(fields, Threat.DST_LOCATION))
    put(doc, "http.response.mime_type", _at(fields, Threat.CONTENT_TYPE))
    digest = _at(fields, Threat.FILE_DIGEST)
    if _SHA256.fullmatch(digest):
        put(doc, "file.hash.sha256", digest.lower())
    put(doc, "user_agent.original", _at(fields, Threat.USER_AGENT))
    put(doc, "file.type", _at(fields, Threat.FILE_TYPE))
    put_ip(doc, "panw.panos.x_forwarded_for", _at(fields, Threat.XFF))
    put(doc, "http.request.referrer", _at(fields, Threat.REFERER))
    put(doc, "observer.name", _at(fields, Threat.DEVICE_NAME))
    put(doc, "observer.hostname", _at(fields, Threat.DEVICE_NAME))
    put(doc, "http.request.method", _at(fields, Threat.HTTP_METHOD).upper())
    put(doc, "panw.panos.threat.category", _at(fields, Threat.THREAT_CATEGORY))


def _misc_is_url(misc: str, app: str) -> bool:
    """A scheme, or a host before the first '/', over an application that can carry HTTP."""
    if app.lower().startswith(_FILE_TRANSFER_APPS):
        return False
    return "://" in misc or _URL_HOST.match(misc) is not None


def _put_url(doc: ECSDocument, misc: str) -> None:
    """PAN-OS writes the URL without its scheme ("host[:port]/path?query"): split it into url.*."""
    put(doc, "url.original", misc)
    scheme, separator, after_scheme = misc.partition("://")
    if separator and scheme.isalpha():  # a scheme is kept when the client sent an absolute URL
        put(doc, "url.scheme", scheme.lower())
        misc = after_scheme
    authority, slash, rest = misc.partition("/")
    if not slash:
        authority, _, query = misc.partition("?")
        put(doc, "url.query", query)
    else:
        path, _, query = rest.partition("?")
        put(doc, "url.path", "/" + path)
        put(doc, "url.query", query)
    host, colon, port = authority.rpartition(":") if authority.count(":") == 1 else (authority, "", "")
    if colon and port.isdigit():
        put_port(doc, "url.port", port)
    else:
        host = authority
    if host and " " not in host:
        put(doc, "url.domain", host)
        if not _is_ip(host):  # an address is no domain name (destination.ip has it)
            put(doc, "destination.domain", host)


def _put_file(doc: ECSDocument, misc: str) -> None:
    """A file name, or a path whose last part is the name."""
    if "/" in misc or "\\" in misc:
        put(doc, "file.path", misc)
        misc = misc.replace("\\", "/").rpartition("/")[2]
    put(doc, "file.name", misc)


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for a TRAFFIC or THREAT record; None for any other text (or other log type)."""
    found = _START.search(text)
    if found is None:
        return None
    fields = _fields(text[found.start("start") :])
    if len(fields) < _MIN_FIELDS:
        raise ParseError(f"PAN-OS record with {len(fields)} fields, expected at least {int(_MIN_FIELDS)}")
    log_type = fields[Field.TYPE]
    if log_type not in {"TRAFFIC", "THREAT"}:
        raise ParseError(f"PAN-OS record whose type column reads {log_type[:40]!r}")
    subtype = fields[Field.SUBTYPE].strip().lower()
    if not _is_ip(fields[Field.SRC]) or not _is_ip(fields[Field.DST]):
        raise ParseError("PAN-OS record whose source or destination is not an IP address")
    doc: ECSDocument = {}
    put(doc, "event.original", text)
    put(doc, "event.dataset", "panw.panos")
    put(doc, "event.module", "panw")
    put(doc, "observer.vendor", "Palo Alto Networks")
    put(doc, "observer.product", "PAN-OS")
    put(doc, "observer.type", "firewall")
    put(doc, "panw.panos.type", log_type)
    put(doc, "panw.panos.sub_type", subtype)
    _put_common(doc, fields, context)
    if log_type == "TRAFFIC":
        _put_traffic(doc, fields, subtype, context)
    else:
        _put_threat(doc, fields, subtype)
    put_community_id(doc)  # PAN-OS writes no ICMP type, so an ICMP session gets none
    return doc


def _is_ip(value: str) -> bool:
    """True when PAN-OS wrote an address here (a shifted or foreign CSV would not)."""
    try:
        canonical.ip(value)
    except ValueError:
        return False
    return True


def sniff(text: str) -> bool:
    return ("TRAFFIC," in text or "THREAT," in text) and _START.search(text) is not None


PANOS: Final = ParserSpec(
    name="panos",
    parse=parse,
    sniff=sniff,
    priority=50,
    dataset="panw.panos",
    description="Palo Alto Networks PAN-OS syslog CSV, TRAFFIC and THREAT logs (PAN-OS 10.x/11.x)",
)
