"""The `leef` parser: IBM QRadar Log Event Extended Format 1.0 and 2.0, mapped to ECS."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.cef import severity_level
from socflow.normalize.community_id import icmp_number, put_community_id
from socflow.normalize.ecs import ECSDocument, get, put, put_host, put_ip, put_mac, put_port, put_user
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

_HEX_DELIMITER: Final = re.compile(r"^(?:0x|x|\\x)([0-9A-Fa-f]{1,4})$")
_SPACED_KEY: Final = re.compile(r"(?:^|(?<=\s))([A-Za-z_][\w.\-]*)=")
# Java SimpleDateFormat (what devTimeFormat is written in): a run of one letter is one field, its
# length choosing the spelling; (letter, shortest run) -> strptime directive, longest run first.
_JAVA_FIELDS: Final = {
    "y": ((3, "%Y"), (2, "%y"), (1, "%Y")), "M": ((4, "%B"), (3, "%b"), (1, "%m")),
    "E": ((4, "%A"), (1, "%a")), "d": ((1, "%d"),), "D": ((1, "%j"),), "H": ((1, "%H"),),
    "h": ((1, "%I"),), "m": ((1, "%M"),), "s": ((1, "%S"),), "S": ((1, "%f"),), "a": ((1, "%p"),),
    "Z": ((1, "%z"),), "X": ((1, "%z"),), "x": ((1, "%z"),), "z": ((1, "%Z"),),
}  # fmt: skip
_JAVA_TOKEN: Final = re.compile(r"([A-Za-z])\1*|'([^']*)'|%")


@dataclass(frozen=True)
class LeefRecord:
    version: str
    vendor: str
    product: str
    product_version: str
    event_id: str
    attributes: dict[str, str]


def java_format_to_strptime(pattern: str) -> str:
    """A devTimeFormat (Java SimpleDateFormat) pattern as a strptime format."""

    def replace(match: re.Match[str]) -> str:
        run = match.group()
        if run == "%":
            return "%%"
        if match.group(2) is not None:  # 'quoted text' is literal; '' is one quote
            return match.group(2).replace("%", "%%") or "'"
        for shortest, directive in _JAVA_FIELDS.get(run[0], ()):
            if len(run) >= shortest:
                return directive
        return run  # a letter Java reserves but strptime cannot read: the parse then fails

    return _JAVA_TOKEN.sub(replace, pattern)


def _delimiter(field: str) -> str | None:
    """The LEEF 2.0 delimiter field: one character, or its hex code (0x09, x5E); None if not one."""
    if len(field) == 1:
        return field
    if field == "\\t":
        return "\t"
    hexadecimal = _HEX_DELIMITER.match(field)
    if hexadecimal is not None:
        return chr(int(hexadecimal.group(1), 16))
    return None


def _split_attributes(text: str, delimiter: str) -> dict[str, str]:
    if delimiter not in text and delimiter == "\t" and _SPACED_KEY.search(text) is not None:
        # Senders that replaced the tab by spaces: a value then runs to the next ` key=`.
        keys = list(_SPACED_KEY.finditer(text))
        return {
            key.group(1): text[key.end() : keys[i + 1].start() if i + 1 < len(keys) else len(text)].strip()
            for i, key in enumerate(keys)
        }
    attributes: dict[str, str] = {}
    for part in text.split(delimiter):
        key, equals, value = part.partition("=")
        if equals and key.strip():
            attributes[key.strip()] = value
    return attributes


def parse_leef_record(text: str) -> LeefRecord | None:
    """The LEEF record in `text`, None when it does not start with 'LEEF:'."""
    start = 0 if text.startswith("LEEF:") else text.find(" LEEF:") + 1
    if start == 0 and not text.startswith("LEEF:"):
        return None
    parts = text[start + 5 :].split("|", 5)
    if len(parts) < 5:
        raise ParseError(f"LEEF header has {len(parts)} of 5 '|'-separated fields")
    version, vendor, product, product_version, event_id = (part.strip() for part in parts[:5])
    if version not in {"1.0", "2.0", "1", "2"}:
        raise ParseError(f"unsupported LEEF version {version!r} (expecting 1.0 or 2.0)")
    rest = parts[5] if len(parts) > 5 else ""
    delimiter = "\t"
    if version.startswith("2"):
        field, bar, after = rest.partition("|")
        chosen = _delimiter(field) if bar else None
        if chosen is not None:
            delimiter, rest = chosen, after
        elif bar and field == "":
            rest = after
    return LeefRecord(version, vendor, product, product_version, event_id, _split_attributes(rest, delimiter))


def _dev_time(attributes: dict[str, str], context: ParseContext) -> datetime | None:
    value = attributes.get("devTime")
    if not value:
        return None
    pattern = attributes.get("devTimeFormat")
    if pattern:
        try:
            parsed = datetime.strptime(value.strip(), java_format_to_strptime(pattern))
        except (ValueError, re.error):  # re.error: a format naming one field twice
            parsed = None
        if parsed is not None:
            return canonical.to_utc(parsed, context.zone)
    try:
        return canonical.parse_time(value, context.zone, context.received_at)
    except ValueError:
        return None


Setter = Callable[[ECSDocument, str], None]


def _transport(doc: ECSDocument, value: str) -> None:
    put_transport(doc, value)  # a name or an IANA number; network.iana_number too


def _integer(path: str) -> Setter:
    def setter(doc: ECSDocument, value: str) -> None:
        if value.strip().isdigit():
            put(doc, path, int(value.strip()))

    return setter


def _ip(path: str) -> Setter:
    def setter(doc: ECSDocument, value: str) -> None:
        put_ip(doc, path, value)

    return setter


def _user(doc: ECSDocument, value: str) -> None:
    """user.name and user.domain together: a weaker key's domain must not outlive its name."""
    user = doc.get("user")
    if isinstance(user, dict):
        user.pop("domain", None)
    put_user(doc, "user", value)


def _session_event(kind: str) -> Setter:
    """isLoginEvent / isLogoutEvent: 'true' marks an authentication session start or end."""

    def setter(doc: ECSDocument, value: str) -> None:
        if value.strip().lower() == "true":
            put(doc, "event.category", ["authentication"])
            put(doc, "event.type", [kind])

    return setter


# Attributes that fill the same field as a better one, weakest first: applied before the others
# so that the better one wins whatever the line's order (the device's src beats its pre-NAT view,
# which beats the identity source; the event's usrName beats accountName, which beats identUsrName).
_FALLBACKS: Final = (
    "identSrc",
    "srcPreNAT",
    "dstPreNAT",
    "srcPreNATPort",
    "dstPreNATPort",
    "identUsrName",
    "accountName",
)
_FALLBACK_KEYS: Final = frozenset(_FALLBACKS)
# domain names the user's domain outright: applied after every user name (which bring their own).
_APPLIED_LAST: Final = "domain"

# The ECS field each predefined LEEF attribute fills (docs/normalization.md has the same table).
ATTRIBUTE_TO_ECS: Final[dict[str, Setter]] = {
    "src": _ip("source.ip"),
    "dst": _ip("destination.ip"),
    "srcPort": lambda doc, value: put_port(doc, "source.port", value),
    "dstPort": lambda doc, value: put_port(doc, "destination.port", value),
    "srcMAC": lambda doc, value: put_mac(doc, "source.mac", value),
    "dstMAC": lambda doc, value: put_mac(doc, "destination.mac", value),
    "srcPreNAT": _ip("source.ip"),
    "dstPreNAT": _ip("destination.ip"),
    "srcPostNAT": _ip("source.nat.ip"),
    "dstPostNAT": _ip("destination.nat.ip"),
    "srcPreNATPort": lambda doc, value: put_port(doc, "source.port", value),
    "dstPreNATPort": lambda doc, value: put_port(doc, "destination.port", value),
    "srcPostNATPort": lambda doc, value: put_port(doc, "source.nat.port", value),
    "dstPostNATPort": lambda doc, value: put_port(doc, "destination.nat.port", value),
    "usrName": _user,
    "identUsrName": _user,
    "identGrpName": lambda doc, value: put(doc, "user.group.name", value),
    "identMAC": lambda doc, value: put_mac(doc, "host.mac", value),
    "role": lambda doc, value: put(doc, "user.roles", [value]),
    "isLoginEvent": _session_event("start"),
    "isLogoutEvent": _session_event("end"),
    "accountName": _user,
    "domain": lambda doc, value: put(doc, "user.domain", value.lower()),
    "identHostName": lambda doc, value: put_host(doc, "host", value),
    "identSrc": _ip("source.ip"),
    "proto": _transport,
    "srcBytes": _integer("source.bytes"),
    "dstBytes": _integer("destination.bytes"),
    "totalBytes": _integer("network.bytes"),
    "srcPackets": _integer("source.packets"),
    "dstPackets": _integer("destination.packets"),
    "totalPackets": _integer("network.packets"),
    "url": lambda doc, value: put(doc, "url.original", value),
    "policy": lambda doc, value: put(doc, "rule.name", value),
    "action": lambda doc, value: put(doc, "event.action", value),
    "msg": lambda doc, value: put(doc, "message", value),
}


def leef_document(record: LeefRecord, context: ParseContext) -> ECSDocument:
    """The ECS document for one LEEF record; every attribute also stays under `leef.attributes`."""
    doc: ECSDocument = {}
    put(doc, "observer.vendor", record.vendor)
    put(doc, "observer.product", record.product)
    put(doc, "observer.version", record.product_version)
    put(doc, "event.code", record.event_id)
    attributes = record.attributes
    for key in _FALLBACKS:
        value = attributes.get(key)
        if value:
            ATTRIBUTE_TO_ECS[key](doc, value)
    for key, value in attributes.items():
        setter = ATTRIBUTE_TO_ECS.get(key)
        if setter is not None and value and key not in _FALLBACK_KEYS and key != _APPLIED_LAST:
            setter(doc, value)
    if attributes.get(_APPLIED_LAST):
        ATTRIBUTE_TO_ECS[_APPLIED_LAST](doc, attributes[_APPLIED_LAST])
    category = record.attributes.get("cat") or None
    severity = record.attributes.get("sev", "").strip()
    if severity.isdigit() and int(severity) <= 10:
        put(doc, "event.severity", int(severity))
        put(doc, "log.level", severity_level(int(severity)).value)
    moment = _dev_time(record.attributes, context)
    if moment is not None:
        doc["@timestamp"] = canonical.format_time(moment)
    if get(doc, "event.action") is None:
        put(doc, "event.action", category or record.event_id)
    put_community_id(doc, icmp_number(attributes.get("icmpType")), icmp_number(attributes.get("icmpCode")))
    doc["leef"] = {
        "version": record.version,
        "event_id": record.event_id,
        "category": category,
        "attributes": record.attributes,
    }
    return doc


def looks_like_leef(text: str) -> bool:
    return text.startswith("LEEF:")


def parse_leef(text: str, context: ParseContext) -> ECSDocument | None:
    record = parse_leef_record(text)
    if record is None:
        return None
    return leef_document(record, context)


LEEF = ParserSpec(
    name="leef",
    parse=parse_leef,
    sniff=looks_like_leef,
    priority=100,
    dataset="leef",
    description="IBM QRadar LEEF 1.0 (tab-delimited) and 2.0 (declared delimiter)",
)
SPECS = (LEEF,)
