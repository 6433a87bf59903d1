"""Cisco ASA and Firepower Threat Defense syslog messages (%ASA-/%FTD-) to ECS events."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.cisco_asa_aaa import authentication, dap_selection, vpn_session
from socflow.normalize.community_id import put_community_id
from socflow.normalize.ecs import (
    ECSDocument,
    add_related,
    put,
    put_host,
    put_ip,
    put_port,
    put_time,
    put_user,
)
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec
from socflow.normalize.syslog_header import split_syslog
from socflow.normalize.syslog_merge import merge_header

_HEADER: Final = re.compile(
    r"%(?P<product>ASA|FTD|FWSM|PIX)-(?:[A-Za-z]+-)?(?P<level>[0-7])-(?P<msgid>\d{6}):?\s*(?P<message>.*)",
    re.DOTALL,
)
# What the ASA writes before the message: "logging timestamp" its own time ("Apr 15 2014 09:34:34 EDT",
# "Apr 29 12:59:50.138"), "logging device-id" its hostname, an interface address or a string (one
# token), then ":". A relay may put its own syslog header before all that. The device id must start
# after a blank or the <PRI>, so that no piece of another stamp ("08:15:30Z:") is taken for one.
_DEVICE_PART: Final = re.compile(
    r"(?:(?:" + canonical.BSD_TIMESTAMP.pattern + r")\s*)?(?:(?<![^\s>])(?P<device>\w[\w.-]*)\s*)?:?\s*$"
)
_DEVICE_PART_REACH: Final = 160  # longest stamp plus device id looked at, so garbage stays linear
# The severity names of Cisco's syslog message guide; the "logging trap" keywords are the same
# words, except that the guide's alert, error, warning and notification are the plurals alerts,
# errors, warnings and notifications there.
_LEVELS: Final = (
    "emergencies",
    "alert",
    "critical",
    "error",
    "warning",
    "notification",
    "informational",
    "debugging",
)
_PRODUCTS: Final = {"ASA": "asa", "FTD": "ftd", "FWSM": "fwsm", "PIX": "pix"}

# interface:address/port, with an optional "(mapped-address/mapped-port)" and "(user)" after it.
# An address is an IP or a name from the ASA's "names" table, so anything up to the "/port".
_ENDPOINT: Final = (
    r"(?P<{0}if>[^\s:]+):(?P<{0}ip>[^\s/()]+)/(?P<{0}port>\d+)"
    r"(?:\s*\((?P<{0}nip>[^\s/()]+)/(?P<{0}nport>\d+)\))?(?:\s*\((?P<{0}user>[^()]*)\))?"
)
_CONN: Final = re.compile(
    r"(?P<verb>Built|Teardown)(?: (?P<dir>inbound|outbound))? (?P<proto>TCP|UDP|SCTP|GRE) "
    r"connection (?P<id>\d+) for "
    + _ENDPOINT.format("a")
    + r"\s+to "
    + _ENDPOINT.format("b")
    + r"(?: duration (?P<duration>\d+:\d\d:\d\d) bytes (?P<bytes>\d+))?(?P<rest>.*)"
)
_ICMP: Final = re.compile(
    r"(?P<verb>Built|Teardown)(?: (?P<dir>inbound|outbound))? (?P<proto>ICMP|ICMPv6) connection for "
    r"faddr (?P<faddr>[^\s/()]+)/\d+\s*(?:\((?P<fuser>[^()]*)\)\s*)?gaddr (?P<gaddr>[^\s/()]+)/\d+\s*"
    r"laddr (?P<laddr>[^\s/()]+)/\d+\s*(?:\((?P<luser>[^()]*)\))?"
    r"(?:\s*type (?P<type>\d+) code (?P<code>\d+))?"
)
_PROTO_WORD: Final = re.compile(
    r"\b(?:protocol (?P<number>\d+)|(?P<proto>tcp|udp|icmp6|icmpv6|icmp|sctp|gre|esp|ah))\b", re.IGNORECASE
)
# "[interface:]address[/port]"; 106016 writes an unknown source as "(0.0.0.0)".
_FROM: Final = re.compile(
    r"\b(?:from|src) \(?(?:(?P<aif>[^\s:/()]+):)?(?P<aip>[^\s/(),]+?)\)?(?:/(?P<aport>\d+))?(?=[\s(),]|$)"
)
_TO: Final = re.compile(
    r"\b(?:to|dst) (?:(?P<bif>[^\s:/()]+):)?(?P<bip>[^\s/(),]+?)(?:/(?P<bport>\d+))?(?=[\s(),]|$)"
)
_ON_IF: Final = re.compile(r"on interface (?P<iface>\S+?)\.?(?:\s|$)")
_ACL: Final = re.compile(r'(?:access-group|access-list) "?(?P<acl>[^"\s]+)"?')
_DUE_TO: Final = re.compile(r"due to (?P<protocol>\w+)")
_ACL_100: Final = re.compile(
    r"access-list (?P<acl>\S+) (?P<verdict>permitted|denied|est-allowed) (?P<proto>\w+) "
    r"(?P<aif>[^/\s]+)/(?P<aip>[^\s/()]+)\((?P<aport>\d+)\).*?-> "
    r"(?P<bif>[^/\s]+)/(?P<bip>[^\s/()]+)\((?P<bport>\d+)\)"
)
_ICMP_TYPE: Final = re.compile(r"type[ =](?P<type>\d+),? code[ =](?P<code>\d+)")
_ICMP_SENDER: Final = re.compile(r"from (?:laddr )?(?P<ip>[^\s/()]+) on interface (?P<iface>\S+)")
_ICMP_TARGET: Final = re.compile(r" to (?P<ip>[^\s/(),]+?):?(?=\s|$)")
_DISCARDS: Final = frozenset({"110002", "710005"})
_DENY_IDS: Final = (
    *("106001", "106006", "106007", "106010", "106012", "106014", "106015", "106016", "106017", "106020"),
    *("106021", "106022", "106023", "106027", "110002", "710003", "710005"),
)

Handler = Callable[[ECSDocument, str, str], None]


def _seconds(hms: str) -> int:
    hours, minutes, seconds = (int(part) for part in hms.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def _put_address(doc: ECSDocument, side: str, address: str | None) -> None:
    """`<side>.ip` for an IP; a name from the ASA's "names" table goes to `<side>.domain`."""
    if not address or put_ip(doc, f"{side}.ip", address):
        return
    put(doc, f"{side}.domain", address)
    add_related(doc, "hosts", address)


def _put_endpoint_user(doc: ECSDocument, side: str, value: str | None) -> None:
    """The "(user)" the ASA writes after an endpoint: an identity-firewall user, or the AAA user.

    Identity firewall writes "DOMAIN\\name" ("LOCAL\\name" for the ASA's own users), maybe with
    ", <security group tag>"; it is that endpoint's user. A plain name is the AAA (cut-through
    proxy) user name, which Cisco gives for the connection, not for an endpoint: it goes to user.*.
    Dropped: what cannot be a user, a security group tag alone ("12", "12:Engineering") or the
    masked "*****"."""
    name = (value or "").split(",")[0].strip()
    if not name or name.split(":", 1)[0].isdigit() or name.strip("*") == "":
        return
    if "\\" not in name and "@" not in name:
        put_user(doc, "user", name)
        return
    if name[:6].upper() == "LOCAL\\":
        name = name[6:]
    put_user(doc, f"{side}.user", name)


def _side(doc: ECSDocument, side: str, found: re.Match[str], key: str, nat: bool = True) -> None:
    """source.* or destination.* from the regex groups `<key>ip`, `<key>port`, `<key>nip`, `<key>nport`."""
    groups = found.groupdict()
    address = groups.get(f"{key}ip")
    _put_address(doc, side, address)
    put_port(doc, f"{side}.port", groups.get(f"{key}port"))
    if nat and groups.get(f"{key}nip") and groups.get(f"{key}nip") != address:
        put_ip(doc, f"{side}.nat.ip", groups[f"{key}nip"])
    if nat and groups.get(f"{key}nport") and groups.get(f"{key}nport") != groups.get(f"{key}port"):
        put_port(doc, f"{side}.nat.port", groups[f"{key}nport"])
    _put_endpoint_user(doc, side, groups.get(f"{key}user"))


def _interfaces(doc: ECSDocument, ingress: str | None, egress: str | None) -> None:
    put(doc, "observer.ingress.interface.name", ingress)
    put(doc, "observer.egress.interface.name", egress)


def _connection(doc: ECSDocument, msgid: str, message: str) -> None:
    found = _CONN.match(message)
    if found is None:
        raise ParseError(f"ASA {msgid}: unrecognised connection message")
    built = found["verb"] == "Built"
    # The "for" side is the foreign one: it started an inbound connection, it is the target of an
    # outbound one. Teardown messages keep the Built message's order but say no direction.
    first, second = ("destination", "source") if found["dir"] == "outbound" else ("source", "destination")
    _side(doc, first, found, "a")
    _side(doc, second, found, "b")
    ingress, egress = (found["aif"], found["bif"]) if first == "source" else (found["bif"], found["aif"])
    _interfaces(doc, ingress, egress)
    put_transport(doc, found["proto"])
    put(doc, "network.direction", found["dir"])
    put(doc, "cisco.asa.connection_id", found["id"])
    put(doc, "event.action", "connection-built" if built else "connection-teardown")
    put(doc, "event.type", ["connection", "start" if built else "end"])
    if built:
        put(doc, "event.outcome", "success")
    if found["duration"]:
        put(doc, "event.duration", _seconds(found["duration"]) * 1_000_000_000)
        put(doc, "network.bytes", int(found["bytes"]))
    # Teardown: "[reason [from teardown-initiator]] [(user)]".
    reason, _, initiator = found["rest"].split("(")[0].strip().partition(" from ")
    put(doc, "event.reason", reason.strip())
    put(doc, "cisco.asa.termination_initiator", initiator.strip())


def _icmp_connection(doc: ECSDocument, msgid: str, message: str) -> None:
    found = _ICMP.match(message)
    if found is None:
        raise ParseError(f"ASA {msgid}: unrecognised ICMP connection message")
    built = found["verb"] == "Built"
    # faddr is the foreign address, laddr the local one, gaddr the local one as translated.
    local, foreign = ("source", "destination") if found["dir"] == "outbound" else ("destination", "source")
    _put_address(doc, foreign, found["faddr"])
    _put_endpoint_user(doc, foreign, found["fuser"])
    _put_address(doc, local, found["laddr"])
    _put_endpoint_user(doc, local, found["luser"])
    if found["gaddr"] != found["laddr"]:
        put_ip(doc, f"{local}.nat.ip", found["gaddr"])
    put_transport(doc, found["proto"])
    put(doc, "network.direction", found["dir"])
    put(doc, "event.action", "connection-built" if built else "connection-teardown")
    put(doc, "event.type", ["connection", "start" if built else "end"])
    if built:
        put(doc, "event.outcome", "success")
    _icmp_codes(doc, message)


def _icmp_codes(doc: ECSDocument, message: str) -> None:
    found = _ICMP_TYPE.search(message)
    if found is not None:
        put(doc, "cisco.asa.icmp_type", int(found["type"]))
        put(doc, "cisco.asa.icmp_code", int(found["code"]))


def _endpoint(doc: ECSDocument, side: str, iface: str | None, address: str, port: str | None) -> str | None:
    """Put one "[interface:]address[/port]" of a deny message; returns the interface, if one was named."""
    # An IPv6 address without an interface: its first group was taken for an interface name.
    if iface is not None and ":" in address and put_ip(doc, f"{side}.ip", f"{iface}:{address}"):
        iface = None
    else:
        _put_address(doc, side, address.rstrip(":."))
    put_port(doc, f"{side}.port", port)
    return iface


def _denied(doc: ECSDocument, msgid: str, message: str) -> None:
    """106001-106027, 110002, 313005, 710003, 710005: a packet refused, "from/src ... to/dst ..."."""
    sender = _FROM.search(message)
    target = _TO.search(message, sender.end()) if sender is not None else None
    if sender is None or target is None:
        raise ParseError(f"ASA {msgid}: no source and destination in a deny message")
    ingress = _endpoint(doc, "source", sender["aif"], sender["aip"], sender["aport"])
    egress = _endpoint(doc, "destination", target["bif"], target["bip"], target["bport"])
    on_interface = _ON_IF.search(message)
    _interfaces(doc, ingress or (on_interface["iface"] if on_interface else None), egress)
    proto = _PROTO_WORD.search(message, 0, sender.start())
    if proto is not None:
        put_transport(doc, proto["number"] or proto["proto"])
    lowered = message.lower()
    if "inbound" in lowered[:40]:
        put(doc, "network.direction", "inbound")
    elif "outbound" in lowered[:40]:
        put(doc, "network.direction", "outbound")
    acl = _ACL.search(message)
    put(doc, "rule.name", acl["acl"] if acl else None)
    if msgid == "106007":  # "due to DNS Query": the application protocol that was refused
        due = _DUE_TO.search(message)
        put(doc, "network.protocol", due["protocol"].lower() if due else None)
    _icmp_codes(doc, message)
    put(doc, "event.action", "discarded" if msgid in _DISCARDS else "denied")
    put(doc, "event.type", ["connection", "denied"])
    put(doc, "event.outcome", "failure")


def _acl_hit(doc: ECSDocument, msgid: str, message: str) -> None:
    found = _ACL_100.match(message)
    if found is None:
        raise ParseError(f"ASA {msgid}: unrecognised access-list message")
    _side(doc, "source", found, "a", nat=False)
    _side(doc, "destination", found, "b", nat=False)
    _interfaces(doc, found["aif"], found["bif"])
    put_transport(doc, found["proto"])
    put(doc, "rule.name", found["acl"])
    denied = found["verdict"] == "denied"
    put(doc, "event.action", "denied" if denied else "permitted")
    put(doc, "event.type", ["connection", "denied" if denied else "allowed"])
    put(doc, "event.outcome", "failure" if denied else "success")


def _icmp_denied(doc: ECSDocument, msgid: str, message: str) -> None:
    """313001/313008 (ICMPv6) name only the sender; 313004 also the target; 313005 quotes the packet."""
    if msgid == "313005":
        _denied(doc, msgid, message)
        return
    found = _ICMP_SENDER.search(message)
    if found is None:
        raise ParseError(f"ASA {msgid}: unrecognised ICMP deny message")
    _put_address(doc, "source", found["ip"])
    _interfaces(doc, found["iface"], None)
    target = _ICMP_TARGET.search(message, found.end())
    _put_address(doc, "destination", target["ip"] if target else None)
    put_transport(doc, "icmpv6" if msgid == "313008" else "icmp")
    _icmp_codes(doc, message)
    put(doc, "event.action", "denied")
    put(doc, "event.type", ["connection", "denied"])
    put(doc, "event.outcome", "failure")


_HANDLERS: Final[dict[str, Handler]] = {
    "302013": _connection,
    "302014": _connection,
    "302015": _connection,
    "302016": _connection,
    "302020": _icmp_connection,
    "302021": _icmp_connection,
    **dict.fromkeys(_DENY_IDS, _denied),
    "106100": _acl_hit,
    **dict.fromkeys(("313001", "313004", "313005", "313008"), _icmp_denied),
    **dict.fromkeys(
        ("113004", "113005", "113012", "113015", "611101", "611102", "605004", "605005"), authentication
    ),
    **dict.fromkeys(("113019", "716001", "716002", "722022", "722023", "722051"), vpn_session),
    "734001": dap_selection,
}


def _device_time(doc: ECSDocument, own: re.Match[str], context: ParseContext) -> None:
    """@timestamp from the stamp the ASA wrote; without one, the syslog header's time is used."""
    if own["mon"] is None:
        return
    try:
        put_time(doc, canonical.bsd_timestamp(own, context.received_at, context.zone))
    except ValueError:
        return


def _put_firewall(doc: ECSDocument, name: str) -> None:
    """observer.ip for an address, else observer.hostname: the firewall that wrote the message."""
    if not ((name[0].isdigit() or ":" in name) and put_ip(doc, "observer.ip", name)):
        put(doc, "observer.hostname", name)


def _merge_syslog(doc: ECSDocument, text: str, device: str | None, context: ParseContext) -> None:
    """The syslog header's time and priority; the firewall's name; no program (the ASA writes none).

    ASA reads the whole line (wants_syslog_body=False) because an RFC 3164 reader takes
    "%ASA-6-302013:" for the program tag and so strips the message id from the body. The firewall
    is named by its own device id when it wrote one, else by the header's host, unless text stands
    between the header and the message: then a relay wrote the header, and its host is the relay,
    kept in log.syslog.hostname only."""
    syslog_header = split_syslog(text, context.received_at, context.zone)
    if syslog_header is None:
        if device:
            put_host(doc, "host", device)
            _put_firewall(doc, device)
        return
    appname = syslog_header.appname or ""
    if appname and not appname.startswith("%") and not syslog_header.procid:
        # "Mmm dd hh:mm:ss fw01: %ASA-...": the ASA writes its device id there, never a program name.
        device = device or appname
        syslog_header = syslog_header._replace(appname=None)
        appname = ""
    sender = syslog_header.hostname
    relayed = not syslog_header.body.lstrip().startswith("%")
    firewall = device or (None if relayed else sender)
    merge_header(doc, syslog_header._replace(hostname=firewall))
    if sender and sender != firewall:
        put(doc, "log.syslog.hostname", sender)
    if firewall:
        _put_firewall(doc, firewall)
    if appname.startswith("%"):
        doc.get("log", {}).get("syslog", {}).pop("appname", None)
        if doc.get("process", {}).get("name") == appname:
            del doc["process"]


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for an ASA/FTD message; unknown message ids keep the header and the text."""
    header = _HEADER.search(text)
    if header is None:
        return None
    level = int(header["level"])
    msgid = header["msgid"]
    message = header["message"].strip()
    doc: ECSDocument = {}
    put(doc, "event.original", text)
    put(doc, "event.dataset", "cisco.asa")
    put(doc, "event.module", "cisco")
    put(doc, "event.kind", "event")
    put(doc, "event.code", msgid)
    put(doc, "event.severity", level)
    put(doc, "log.level", _LEVELS[level])
    put(doc, "message", message)
    put(doc, "observer.vendor", "Cisco")
    put(doc, "observer.product", _PRODUCTS[header["product"]])
    put(doc, "observer.type", "firewall")
    head = text[: header.start()]
    if head.strip():
        own = _DEVICE_PART.search(head, max(0, len(head) - _DEVICE_PART_REACH))
        if own is not None:
            _device_time(doc, own, context)
        _merge_syslog(doc, text, own["device"] if own else None, context)
    handler = _HANDLERS.get(msgid)
    if handler is not None:
        put(doc, "event.category", ["network"])
        handler(doc, msgid, message)
        asa = doc.get("cisco", {}).get("asa", {})
        put_community_id(doc, asa.get("icmp_type"), asa.get("icmp_code"))
    return doc


def sniff(text: str) -> bool:
    return ("%ASA-" in text or "%FTD-" in text) and _HEADER.search(text) is not None


CISCO_ASA: Final = ParserSpec(
    name="cisco-asa",
    parse=parse,
    sniff=sniff,
    priority=50,
    dataset="cisco.asa",
    wants_syslog_body=False,
    description="Cisco ASA / Firepower Threat Defense syslog (%ASA-level-msgid / %FTD-level-msgid)",
)
