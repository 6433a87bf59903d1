"""Cisco ASA and Firepower Threat Defense syslog messages (%ASA-/%FTD-) to ECS events."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, put, put_ip, put_port, put_time, put_user
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec
from socflow.normalize.syslog_header import merge_header, split_syslog

_HEADER: Final = re.compile(
    r"%(?P<product>ASA|FTD|FWSM|PIX)-(?:[A-Za-z]+-)?(?P<level>[0-7])-(?P<msgid>\d{6}):?\s*(?P<message>.*)",
    re.DOTALL,
)
# "logging timestamp" puts the device's own time (with year, no zone) before the message.
_STAMP: Final = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<year>\d{4}) (?P<time>\d\d:\d\d:\d\d)"
)
_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_LEVELS: Final = (
    "emergencies",
    "alerts",
    "critical",
    "errors",
    "warnings",
    "notifications",
    "informational",
    "debugging",
)
_PRODUCTS: Final = {"ASA": "asa", "FTD": "ftd", "FWSM": "fwsm", "PIX": "pix"}

# interface:address/port, with an optional "(mapped-address/mapped-port)" and "(user)" after it.
_ENDPOINT: Final = (
    r"(?P<{0}if>[^\s:]+):(?P<{0}ip>[0-9A-Fa-f:.]+)/(?P<{0}port>\d+)"
    r"(?: \((?P<{0}nip>[0-9A-Fa-f:.]+)/(?P<{0}nport>\d+)\))?(?: \((?P<{0}user>[^)]*)\))?"
)
_CONN: Final = re.compile(
    r"(?P<verb>Built|Teardown)(?: (?P<dir>inbound|outbound))? (?P<proto>TCP|UDP|SCTP|GRE) "
    r"connection (?P<id>\d+) for "
    + _ENDPOINT.format("a")
    + " to "
    + _ENDPOINT.format("b")
    + r"(?: duration (?P<duration>\d+:\d\d:\d\d) bytes (?P<bytes>\d+))?(?P<rest>.*)"
)
_ICMP: Final = re.compile(
    r"(?P<verb>Built|Teardown)(?: (?P<dir>inbound|outbound))? (?P<proto>ICMP|ICMPv6) connection for "
    r"faddr (?P<faddr>[0-9A-Fa-f:.]+)/\d+(?:\([^)]*\))? gaddr (?P<gaddr>[0-9A-Fa-f:.]+)/\d+ "
    r"laddr (?P<laddr>[0-9A-Fa-f:.]+)/\d+(?:\([^)]*\))?(?: type (?P<type>\d+) code (?P<code>\d+))?"
)
_PROTO_WORD: Final = re.compile(r"\b(?P<proto>tcp|udp|icmp6|icmpv6|icmp|sctp|gre|esp|ah)\b", re.IGNORECASE)
_FROM: Final = re.compile(
    r"\b(?:from|src) (?:(?P<aif>[^\s:/]+):)?(?P<aip>[0-9A-Fa-f:.]*[0-9A-Fa-f])(?:/(?P<aport>\d+))?"
)
_TO: Final = re.compile(
    r"\b(?:to|dst) (?:(?P<bif>[^\s:/]+):)?(?P<bip>[0-9A-Fa-f:.]*[0-9A-Fa-f])(?:/(?P<bport>\w+))?"
)
_ON_IF: Final = re.compile(r"on interface (?P<iface>\S+?)\.?(?:\s|$)")
_ACL: Final = re.compile(r'(?:access-group|access-list) "?(?P<acl>[^"\s]+)"?')
_ACL_100: Final = re.compile(
    r"access-list (?P<acl>\S+) (?P<verdict>permitted|denied|est-allowed) (?P<proto>\w+) "
    r"(?P<aif>[^/\s]+)/(?P<aip>[0-9A-Fa-f:.]+)\((?P<aport>\d+)\).*?-> "
    r"(?P<bif>[^/\s]+)/(?P<bip>[0-9A-Fa-f:.]+)\((?P<bport>\d+)\)"
)
_ICMP_TYPE: Final = re.compile(r"type[ =](?P<type>\d+),? code[ =](?P<code>\d+)")
_AAA: Final = re.compile(
    r"AAA user (?P<what>authentication|authorization|accounting) (?P<result>Successful|Rejected)"
)
_KEYED_USER: Final = re.compile(
    r"(?:\b(?:[Uu]ser(?:name)?|Uname)\s*[=:]\s*|\bUser <)[\"“]?(?P<user>[^\s,:<>\"”]+)"
)
_KEYED_SERVER: Final = re.compile(r"server\s*=\s*(?P<server>[0-9A-Fa-f:.]+)")
_KEYED_IP: Final = re.compile(
    r"(?:user IP|\bIP address|\bIP)\s*[=:,]?\s*<?(?P<ip>[0-9A-Fa-f:.]*[0-9A-Fa-f])>?"
)
_GROUP: Final = re.compile(r"\bGroup\s*[=:]?\s*<?(?P<group>[^\s,<>]+)>?")
_REASON: Final = re.compile(r"[Rr]eason\s*[=:]\s*(?P<reason>[^:,]+?)\s*(?::|,|$)")
_ASSIGNED: Final = re.compile(r"IPv4 Address <?(?P<v4>[0-9.]+)>?(?: IPv6 address <?(?P<v6>[0-9A-Fa-f:]+)>?)?")
_SESSION_DURATION: Final = re.compile(r"Duration: (?:(?P<d>\d+)d)?(?P<h>\d+)h:(?P<m>\d+)m:(?P<s>\d+)s")
_LOGIN: Final = re.compile(
    r"Login (?P<verdict>permitted|denied) from (?P<aip>[0-9A-Fa-f:.]+)/(?P<aport>\d+) to "
    r"(?P<bif>[^\s:]+):(?P<bip>[0-9A-Fa-f:.]+)/(?P<service>\S+) for user [\"“]?(?P<user>[^\"”]+)[\"”]?"
)

_ICMP_SENDER: Final = re.compile(r"from (?:laddr )?(?P<ip>[0-9A-Fa-f:.]+) on interface (?P<iface>\S+)")
_ICMP_TARGET: Final = re.compile(r" to (?P<ip>[0-9A-Fa-f:.]*[0-9A-Fa-f])")
_TERMINATED: Final = re.compile(r"terminated: (?P<reason>[^.]+)")

Handler = Callable[[ECSDocument, str, str], None]


def _seconds(hms: str) -> int:
    hours, minutes, seconds = (int(part) for part in hms.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def _side(doc: ECSDocument, side: str, found: re.Match[str], key: str, nat: bool = True) -> None:
    """source.* or destination.* from the regex groups `<key>ip`, `<key>port`, `<key>nip`, `<key>nport`."""
    groups = found.groupdict()
    put_ip(doc, f"{side}.ip", groups.get(f"{key}ip"))
    put_port(doc, f"{side}.port", groups.get(f"{key}port"))
    if nat and groups.get(f"{key}nip") and groups.get(f"{key}nip") != groups.get(f"{key}ip"):
        put_ip(doc, f"{side}.nat.ip", groups[f"{key}nip"])
    if nat and groups.get(f"{key}nport") and groups.get(f"{key}nport") != groups.get(f"{key}port"):
        put_port(doc, f"{side}.nat.port", groups[f"{key}nport"])
    user = groups.get(f"{key}user")
    if user and ("\\" in user or "@" in user):  # identity-firewall user, "DOMAIN\\name"
        put_user(doc, f"{side}.user", user.split(",")[0])


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
    if found["duration"]:
        put(doc, "event.duration", _seconds(found["duration"]) * 1_000_000_000)
        put(doc, "network.bytes", int(found["bytes"]))
    rest = found["rest"].strip()
    reason = rest.split("(")[0].strip() if rest else ""
    put(doc, "event.reason", reason)


def _icmp_connection(doc: ECSDocument, msgid: str, message: str) -> None:
    found = _ICMP.match(message)
    if found is None:
        raise ParseError(f"ASA {msgid}: unrecognised ICMP connection message")
    built = found["verb"] == "Built"
    # faddr is the foreign address, laddr the local one, gaddr the local one as translated.
    if found["dir"] == "outbound":
        put_ip(doc, "source.ip", found["laddr"])
        put_ip(doc, "destination.ip", found["faddr"])
        if found["gaddr"] != found["laddr"]:
            put_ip(doc, "source.nat.ip", found["gaddr"])
    else:
        put_ip(doc, "source.ip", found["faddr"])
        put_ip(doc, "destination.ip", found["laddr"])
        if found["gaddr"] != found["laddr"]:
            put_ip(doc, "destination.nat.ip", found["gaddr"])
    put_transport(doc, found["proto"])
    put(doc, "network.direction", found["dir"])
    put(doc, "event.action", "connection-built" if built else "connection-teardown")
    put(doc, "event.type", ["connection", "start" if built else "end"])
    _icmp_codes(doc, message)


def _icmp_codes(doc: ECSDocument, message: str) -> None:
    found = _ICMP_TYPE.search(message)
    if found is not None:
        put(doc, "cisco.asa.icmp_type", int(found["type"]))
        put(doc, "cisco.asa.icmp_code", int(found["code"]))


def _denied(doc: ECSDocument, msgid: str, message: str) -> None:
    """106001/106006/106007/106014/106015/106021/106023/110002/313004/710003/710005: a packet refused."""
    sender = _FROM.search(message)
    target = _TO.search(message, sender.end()) if sender is not None else None
    if sender is None or target is None:
        raise ParseError(f"ASA {msgid}: no source and destination in a deny message")
    _side(doc, "source", sender, "a", nat=False)
    _side(doc, "destination", target, "b", nat=False)
    on_interface = _ON_IF.search(message)
    _interfaces(doc, sender["aif"] or (on_interface["iface"] if on_interface else None), target["bif"])
    proto = _PROTO_WORD.search(message, 0, sender.start())
    put_transport(doc, proto["proto"] if proto else None)
    lowered = message.lower()
    if "inbound" in lowered[:40]:
        put(doc, "network.direction", "inbound")
    elif "outbound" in lowered[:40]:
        put(doc, "network.direction", "outbound")
    acl = _ACL.search(message)
    put(doc, "rule.name", acl["acl"] if acl else None)
    _icmp_codes(doc, message)
    action = "discarded" if msgid in {"110002", "710005"} else "denied"
    put(doc, "event.action", action)
    put(doc, "event.type", ["connection", "denied"])


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


def _icmp_denied(doc: ECSDocument, msgid: str, message: str) -> None:
    """313001 names only the sender; 313005 quotes the offending packet."""
    if msgid == "313005":
        _denied(doc, msgid, message)
        return
    found = _ICMP_SENDER.search(message)
    if found is None:
        raise ParseError(f"ASA {msgid}: unrecognised ICMP deny message")
    put_ip(doc, "source.ip", found["ip"])
    _interfaces(doc, found["iface"], None)
    target = _ICMP_TARGET.search(message)
    put_ip(doc, "destination.ip", target["ip"] if target else None)
    put_transport(doc, "icmp")
    _icmp_codes(doc, message)
    put(doc, "event.action", "denied")
    put(doc, "event.type", ["connection", "denied"])


def _authentication(doc: ECSDocument, msgid: str, message: str) -> None:
    """AAA, local database, cut-through proxy (611101/611102) and login (605004/605005) outcomes."""
    login = _LOGIN.search(message)
    if login is not None:
        put_ip(doc, "source.ip", login["aip"])
        put_port(doc, "source.port", login["aport"])
        put_ip(doc, "destination.ip", login["bip"])
        put(doc, "network.protocol", login["service"].lower())
        _interfaces(doc, None, login["bif"])
        put_user(doc, "user", login["user"].strip())
        success = login["verdict"] == "permitted"
    else:
        aaa = _AAA.search(message)
        success = msgid in {"113004", "113012", "611101"} if aaa is None else aaa["result"] == "Successful"
        user = _KEYED_USER.search(message)
        if user is not None and user["user"] != "*****":
            put_user(doc, "user", user["user"])
        server = _KEYED_SERVER.search(message)
        put_ip(doc, "cisco.asa.aaa_server", server["server"] if server else None)
        address = _KEYED_IP.search(message)
        put_ip(doc, "source.ip", address["ip"] if address else None)
        reason = _REASON.search(message)
        put(doc, "event.reason", reason["reason"] if reason else None)
    put(doc, "event.category", ["authentication"])
    put(doc, "event.type", ["start"])  # a logon attempt; event.outcome says how it ended
    put(doc, "event.outcome", "success" if success else "failure")
    put(doc, "event.action", "logged-in" if success else "logon-failed")


def _vpn_session(doc: ECSDocument, msgid: str, message: str) -> None:
    """WebVPN/AnyConnect sessions: 113019 disconnected, 716001/716002, 722022/722023, 722051."""
    user = _KEYED_USER.search(message)
    put_user(doc, "user", user["user"] if user else None)
    group = _GROUP.search(message)
    put(doc, "cisco.asa.vpn.group", group["group"] if group else None)
    address = _KEYED_IP.search(message)
    put_ip(doc, "source.ip", address["ip"] if address else None)
    put(doc, "event.category", ["network", "session"])
    if msgid == "722051":
        assigned = _ASSIGNED.search(message)
        if assigned is not None:
            put_ip(doc, "cisco.asa.vpn.assigned_ip", assigned["v4"])
            put_ip(doc, "cisco.asa.vpn.assigned_ipv6", assigned["v6"])
        put(doc, "event.action", "address-assigned")
        put(doc, "event.type", ["info"])
        return
    ended = msgid in {"113019", "716002", "722023"}
    put(doc, "event.action", "session-ended" if ended else "session-started")
    put(doc, "event.type", ["end" if ended else "start"])
    put(doc, "event.outcome", "success")
    reason = (_REASON if msgid == "113019" else _TERMINATED).search(message)
    put(doc, "event.reason", reason["reason"].strip() if reason else None)
    duration = _SESSION_DURATION.search(message)
    if duration is not None:
        days = int(duration["d"] or 0)
        total = ((days * 24 + int(duration["h"])) * 60 + int(duration["m"])) * 60 + int(duration["s"])
        put(doc, "event.duration", total * 1_000_000_000)


_HANDLERS: Final[dict[str, Handler]] = {
    "302013": _connection,
    "302014": _connection,
    "302015": _connection,
    "302016": _connection,
    "302020": _icmp_connection,
    "302021": _icmp_connection,
    **dict.fromkeys(
        ("106001", "106006", "106007", "106014", "106015", "106021", "106023", "110002", "710003", "710005"),
        _denied,
    ),
    "106100": _acl_hit,
    "313001": _icmp_denied,
    "313004": _icmp_denied,
    "313005": _icmp_denied,
    **dict.fromkeys(
        ("113004", "113005", "113012", "113015", "611101", "611102", "605004", "605005"), _authentication
    ),
    **dict.fromkeys(("113019", "716001", "716002", "722022", "722023", "722051"), _vpn_session),
}


def _device_time(doc: ECSDocument, head: str, context: ParseContext) -> None:
    stamp = _STAMP.search(head)
    if stamp is None or stamp["mon"] not in _MONTHS:
        return
    try:
        moment = datetime.strptime(
            f"{stamp['year']}-{_MONTHS[stamp['mon']]}-{stamp['day']} {stamp['time']}", "%Y-%m-%d %H:%M:%S"
        )
    except ValueError:
        return
    put_time(doc, canonical.to_utc(moment, context.zone))


def _merge_syslog(doc: ECSDocument, text: str, context: ParseContext) -> None:
    """The syslog header's host, time and priority; its "tag" is the %ASA mnemonic, not a program.

    ASA reads the whole line (wants_syslog_body=False) because an RFC 3164 reader takes
    "%ASA-6-302013:" for the program tag and so strips the message id from the body."""
    syslog_header = split_syslog(text, context.received_at, context.zone)
    if syslog_header is None:
        return
    merge_header(doc, syslog_header)
    appname = syslog_header.appname or ""
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
    _device_time(doc, head, context)
    if head.strip():
        _merge_syslog(doc, text, context)
    handler = _HANDLERS.get(msgid)
    if handler is not None:
        put(doc, "event.category", ["network"])
        handler(doc, msgid, message)
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
