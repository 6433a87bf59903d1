"""The CEF extension dictionary: full key names, and the ECS field each extension key fills."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.ecs import (
    ECSDocument,
    add_related,
    get,
    put,
    put_ip,
    put_mac,
    put_port,
    put_user,
)
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext

ExtensionSetter = Callable[[ECSDocument, str, ParseContext], None]

# Extension keys may be written with their full names; everything below uses the short ones
# (keys the CEF specification gives no short name for keep their full name in both places).
FULL_NAMES: Final = {
    "sourceAddress": "src", "destinationAddress": "dst", "sourcePort": "spt", "destinationPort": "dpt",
    "sourceMacAddress": "smac", "destinationMacAddress": "dmac", "sourceHostName": "shost",
    "destinationHostName": "dhost", "sourceUserName": "suser", "destinationUserName": "duser",
    "sourceUserId": "suid", "destinationUserId": "duid", "transportProtocol": "proto",
    "deviceAction": "act", "applicationProtocol": "app", "message": "msg", "receiptTime": "rt",
    "deviceReceiptTime": "rt", "startTime": "start", "endTime": "end", "fileName": "fname",
    "deviceAddress": "dvc", "deviceHostName": "dvchost", "deviceMacAddress": "dvcmac", "bytesIn": "in",
    "bytesOut": "out", "eventOutcome": "outcome", "sourceNtDomain": "sntdom",
    "destinationNtDomain": "dntdom", "sourceProcessName": "sproc", "destinationProcessName": "dproc",
    "sourceProcessId": "spid", "destinationProcessId": "dpid", "requestUrl": "request",
    "baseEventCount": "cnt", "deviceEventCategory": "cat", "agentReceiptTime": "art",
    "deviceTimeZone": "dtz", "sourceUserPrivileges": "spriv", "destinationUserPrivileges": "dpriv",
    "deviceProcessId": "dvcpid", "fileSize": "fsize", "sourceGeoLatitude": "slat",
    "sourceGeoLongitude": "slong", "destinationGeoLatitude": "dlat", "destinationGeoLongitude": "dlong",
}  # fmt: skip
_HASH_BY_LENGTH: Final = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
# ArcSight's categoryOutcome values; an attempt is neither a success nor a failure yet.
_CATEGORY_OUTCOMES: Final = {"/success": "success", "/failure": "failure", "/attempt": "unknown"}


def _time(path: str) -> ExtensionSetter:
    def setter(doc: ECSDocument, value: str, context: ParseContext) -> None:
        try:
            moment = canonical.parse_time(value, context.zone, context.received_at)
        except ValueError:
            return
        put(doc, path, canonical.format_time(moment))

    return setter


def _endpoint_host(prefix: str) -> ExtensionSetter:
    def setter(doc: ECSDocument, value: str, _context: ParseContext) -> None:
        try:
            address = canonical.ip(value)
        except ValueError:
            address = None
        if address is not None:
            if get(doc, f"{prefix}.ip") is None:
                put_ip(doc, f"{prefix}.ip", address)
            return
        parsed = canonical.host(value)
        put(doc, f"{prefix}.domain", f"{parsed.name}.{parsed.domain}" if parsed.domain else parsed.name)
        add_related(doc, "hosts", parsed.name)

    return setter


def _ip(path: str) -> ExtensionSetter:
    def setter(doc: ECSDocument, value: str, _context: ParseContext) -> None:
        put_ip(doc, path, value)

    return setter


def _observer_host(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    try:
        address = canonical.ip(value)
    except ValueError:
        address = None
    if address is not None:
        if get(doc, "observer.ip") is None:
            put_ip(doc, "observer.ip", address)
        return
    parsed = canonical.host(value)
    put(doc, "observer.hostname", parsed.name)
    add_related(doc, "hosts", parsed.name)


def _hash(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    algorithm = _HASH_BY_LENGTH.get(len(value.strip()))
    if algorithm is not None:
        put(doc, f"file.hash.{algorithm}", value.strip().lower())
        add_related(doc, "hash", value.strip().lower())


def _old_hash(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    # The file's hash before the change: ECS has no field for it, but it is a hash seen in the event.
    if len(value.strip()) in _HASH_BY_LENGTH:
        add_related(doc, "hash", value.strip().lower())


def _integer(path: str) -> ExtensionSetter:
    def setter(doc: ECSDocument, value: str, _context: ParseContext) -> None:
        try:
            put(doc, path, int(value))
        except ValueError:
            return

    return setter


def _text(path: str, transform: Callable[[str], str] = str) -> ExtensionSetter:
    return lambda doc, value, _context: put(doc, path, transform(value))


def _unless_set(path: str, setter: ExtensionSetter) -> ExtensionSetter:
    """`setter` only while `path` is empty: a more specific key (any order) keeps the field."""

    def guarded(doc: ECSDocument, value: str, context: ParseContext) -> None:
        if get(doc, path) is None:
            setter(doc, value, context)

    return guarded


def _transport(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    put_transport(doc, value)  # a name or an IANA number; network.iana_number too


def _direction(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    put(doc, "network.direction", {"0": "inbound", "1": "outbound"}.get(value.strip()))


def _outcome(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    lowered = value.strip().lower()
    if lowered in {"success", "failure", "unknown"}:
        put(doc, "event.outcome", lowered)


def _category_outcome(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    put(doc, "event.outcome", _CATEGORY_OUTCOMES.get(value.strip().lower()))


def _referrer(doc: ECSDocument, value: str, _context: ParseContext) -> None:
    # requestContext is "where the request came from": an HTTP referrer only when it is a URL.
    if value.startswith(("http://", "https://")):
        put(doc, "http.request.referrer", value)


def _coordinate(path: str, limit: float) -> ExtensionSetter:
    def setter(doc: ECSDocument, value: str, _context: ParseContext) -> None:
        try:
            number = float(value)
        except ValueError:
            return
        if -limit <= number <= limit:
            put(doc, path, number)

    return setter


# The ECS field each CEF extension key fills (docs/normalization.md has the same table).
EXTENSION_TO_ECS: Final[dict[str, ExtensionSetter]] = {
    "src": _ip("source.ip"),
    "dst": _ip("destination.ip"),
    "spt": lambda doc, value, _c: put_port(doc, "source.port", value),
    "dpt": lambda doc, value, _c: put_port(doc, "destination.port", value),
    "smac": lambda doc, value, _c: put_mac(doc, "source.mac", value),
    "dmac": lambda doc, value, _c: put_mac(doc, "destination.mac", value),
    "shost": _endpoint_host("source"),
    "dhost": _endpoint_host("destination"),
    "suser": lambda doc, value, _c: put_user(doc, "source.user", value),
    "duser": lambda doc, value, _c: put_user(doc, "destination.user", value),
    "suid": _text("source.user.id"),
    "duid": _text("destination.user.id"),
    "sntdom": _text("source.user.domain", str.lower),
    "dntdom": _text("destination.user.domain", str.lower),
    "spriv": _text("source.user.group.name"),
    "dpriv": _text("destination.user.group.name"),
    "proto": _transport,
    "app": _text("network.protocol", str.lower),
    "act": _text("event.action"),
    "request": _text("url.original"),
    "requestMethod": _text("http.request.method"),
    "requestContext": _referrer,
    "requestClientApplication": _text("user_agent.original"),
    "msg": _text("message"),
    "rt": _time("@timestamp"),
    "art": _time("event.created"),
    "dtz": _text("event.timezone"),
    "start": _time("event.start"),
    "end": _time("event.end"),
    "fname": _text("file.name"),
    "filePath": _text("file.path"),
    "fileType": _text("file.type"),
    "fsize": _integer("file.size"),
    "fileHash": _hash,
    "oldFileHash": _old_hash,
    "outcome": _outcome,
    "categoryOutcome": _unless_set("event.outcome", _category_outcome),
    "deviceDirection": _direction,
    "dvc": _ip("observer.ip"),
    "dvchost": _observer_host,
    "dvcmac": lambda doc, value, _c: put_mac(doc, "observer.mac", value),
    "deviceInboundInterface": _text("observer.ingress.interface.name"),
    "deviceOutboundInterface": _text("observer.egress.interface.name"),
    "in": _integer("source.bytes"),
    "out": _integer("destination.bytes"),
    "sproc": _text("process.parent.name"),
    "dproc": _text("process.name"),
    "spid": _integer("process.parent.pid"),
    "dpid": _integer("process.pid"),
    # The device's own process names the process only when no destination process does.
    "deviceProcessName": _unless_set("process.name", _text("process.name")),
    "dvcpid": _unless_set("process.pid", _integer("process.pid")),
    "eventId": _text("event.id"),
    # ArcSight's eventId is the event's unique id; the device's externalId stands in without it.
    "externalId": _unless_set("event.id", _text("event.id")),
    "reason": _text("event.reason"),
    "slat": _coordinate("source.geo.location.lat", 90.0),
    "slong": _coordinate("source.geo.location.lon", 180.0),
    "dlat": _coordinate("destination.geo.location.lat", 90.0),
    "dlong": _coordinate("destination.geo.location.lon", 180.0),
    "sourceTranslatedAddress": _ip("source.nat.ip"),
    "destinationTranslatedAddress": _ip("destination.nat.ip"),
    "sourceTranslatedPort": lambda doc, value, _c: put_port(doc, "source.nat.port", value),
    "destinationTranslatedPort": lambda doc, value, _c: put_port(doc, "destination.nat.port", value),
}

_LABEL_SEPARATORS: Final = re.compile(r"[\s.]+")


def label_key(text: str) -> str:
    return _LABEL_SEPARATORS.sub("_", text.strip()) or "label"
