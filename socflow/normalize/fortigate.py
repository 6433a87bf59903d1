"""FortiGate (FortiOS) key=value syslog: traffic, UTM and event logs to ECS events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.community_id import icmp_number, put_community_id
from socflow.normalize.ecs import (
    ECSDocument,
    add_related,
    put,
    put_ip,
    put_mac,
    put_port,
    put_time,
    put_traffic,
    put_user,
)
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

_PAIR: Final = re.compile(r'([A-Za-z_][\w-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_LOGID: Final = re.compile(r'(?:^|\s)logid="?\d{10}\b')
_TYPE: Final = re.compile(r"(?:^|\s)type=")
_SUBTYPE: Final = re.compile(r"(?:^|\s)subtype=")
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
# Interface roles (srcintfrole/dstintfrole) seen from the network perimeter.
_INSIDE_ROLES: Final = frozenset({"lan", "dmz"})
_DIRECTION_BY_ROLES: Final = {
    (True, False): "outbound",
    (False, True): "inbound",
    (True, True): "internal",
    (False, False): "external",
}
# direction= / dir= values (UTM and VPN logs) as ECS network.direction.
_DIRECTION_WORDS: Final = {
    "outgoing": "outbound",
    "incoming": "inbound",
    "outbound": "outbound",
    "inbound": "inbound",
}
# event subtype=user actions that open or close a logon session.
_LOGON_ACTIONS: Final = frozenset({"fsso-logon", "auth-logon", "login"})
_LOGOFF_ACTIONS: Final = frozenset({"fsso-logoff", "auth-logout", "logout"})
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
        if raw != "N/A":  # FortiOS writes N/A for an unset field
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
    put(doc, "network.direction", _direction(pairs))
    put(doc, "source.user.group.name", pairs.get("group"))


def _direction(pairs: dict[str, str]) -> str | None:
    """Perimeter direction from the interface roles (lan/dmz inside, wan outside), else direction= or dir=."""
    source_role, destination_role = pairs.get("srcintfrole", ""), pairs.get("dstintfrole", "")
    known = _INSIDE_ROLES | {"wan"}
    if source_role in known and destination_role in known:
        return _DIRECTION_BY_ROLES[(source_role in _INSIDE_ROLES, destination_role in _INSIDE_ROLES)]
    stated = pairs.get("direction") or pairs.get("dir") or ""
    return _DIRECTION_WORDS.get(stated.lower())


def _put_tls(doc: ECSDocument, pairs: dict[str, str]) -> None:
    """Server certificate names (app-ctrl, ssl and webfilter logs) and the client's SNI."""
    subject, issuer = pairs.get("scertcname"), pairs.get("scertissuer")
    if subject:
        put(doc, "tls.server.x509.subject.common_name", [subject])
    if issuer:
        put(doc, "tls.server.issuer", issuer)
        put(doc, "tls.server.x509.issuer.common_name", [issuer])
    put(doc, "tls.client.server_name", pairs.get("sni"))


def _put_dns(doc: ECSDocument, pairs: dict[str, str]) -> None:
    """DNS filter logs: the question, its transaction id and the answers (ipaddr="a, b")."""
    name = pairs.get("qname")
    put(doc, "dns.question.name", name)
    put(doc, "dns.question.type", pairs.get("qtype"))
    put(doc, "dns.question.class", pairs.get("qclass"))
    put(doc, "dns.id", pairs.get("xid"))
    add_related(doc, "hosts", name)
    answers = []
    for address in pairs.get("ipaddr", "").split(","):
        try:
            answers.append(canonical.ip(address.strip()))
        except ValueError:
            continue
    if answers:
        put(doc, "dns.resolved_ip", answers)
        for address in answers:
            add_related(doc, "ip", address)


def _put_utm(doc: ECSDocument, pairs: dict[str, str], subtype: str) -> None:
    category = _UTM_CATEGORY.get(subtype, "network")
    put(doc, "event.category", ["network"] if category == "network" else ["network", category])
    # eventtype says what was detected (ftgd_blk, signature, infected ...); action= is the verdict
    put(doc, "event.action", pairs.get("eventtype", "").lower())
    # the security profile (web filter, DNS filter, application sensor) whose rule matched
    put(doc, "rule.ruleset", pairs.get("profile") or pairs.get("applist"))
    put(doc, "rule.category", pairs.get("appcat") or pairs.get("catdesc"))
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
    _put_dns(doc, pairs)
    _put_tls(doc, pairs)
    put(doc, "fortinet.firewall.crlevel", pairs.get("crlevel"))


def _put_system_event(doc: ECSDocument, pairs: dict[str, str], subtype: str) -> None:
    action = pairs.get("action", "").lower()
    status = pairs.get("status", "").lower()
    if subtype == "vpn":
        _put_vpn_event(doc, pairs)
    elif action in _LOGON_ACTIONS or action in _LOGOFF_ACTIONS:
        put(doc, "event.category", ["authentication"])
        put(doc, "event.type", ["start" if action in _LOGON_ACTIONS else "end"])
    elif subtype == "user":
        put(doc, "event.category", ["authentication"])
        put(doc, "event.type", ["info"])
    else:
        put(doc, "event.category", ["host"] if subtype == "system" else ["network"])
        put(doc, "event.type", ["info"])
    if status in {"success", "succeeded", "logon"} or pairs.get("result") == "OK":
        put(doc, "event.outcome", "success")
    elif status in {"failed", "failure", "negotiate_error"} or pairs.get("result") == "ERROR":
        put(doc, "event.outcome", "failure")
    elif action in _LOGON_ACTIONS or action in _LOGOFF_ACTIONS:
        put(doc, "event.outcome", "success")
    user_interface = pairs.get("ui", "")
    if subtype != "vpn":  # a VPN log's peers and user are its tunnel's (_put_vpn_event)
        put_user(doc, "user", pairs.get("user"))
        address = _PAREN_IP.search(user_interface)
        if address is not None:
            put_ip(doc, "source.ip", address[1])
        put_ip(doc, "source.ip", pairs.get("srcip"))
        put_ip(doc, "destination.ip", pairs.get("dstip"))
    put_ip(doc, "host.ip", pairs.get("ip"))
    put(doc, "event.reason", pairs.get("reason"))
    put(doc, "rule.description", pairs.get("logdesc"))
    put(doc, "fortinet.firewall.ui", user_interface)
    put(doc, "fortinet.firewall.logdesc", pairs.get("logdesc"))


def _put_vpn_event(doc: ECSDocument, pairs: dict[str, str]) -> None:
    """IPsec/SSL VPN logs: the remote peer (remip) is the source, the FortiGate (locip) the destination.

    The tunnel's user is the peer's, so source.user, as in traffic logs; srcip/dstip stand in only
    when the log names no peer."""
    put(doc, "event.category", ["network"])
    put(doc, "event.type", ["connection"])
    if not put_ip(doc, "source.ip", pairs.get("remip")):
        put_ip(doc, "source.ip", pairs.get("srcip"))
    put_port(doc, "source.port", pairs.get("remport"))
    if not put_ip(doc, "destination.ip", pairs.get("locip")):
        put_ip(doc, "destination.ip", pairs.get("dstip"))
    put_port(doc, "destination.port", pairs.get("locport"))
    put_user(doc, "source.user", pairs.get("xauthuser") or pairs.get("user"))
    put(doc, "source.user.group.name", pairs.get("xauthgroup") or pairs.get("group"))
    for address in (pairs.get("tunnelip"), pairs.get("assignip")):
        try:
            add_related(doc, "ip", canonical.ip(address) if address else None)
        except ValueError:
            continue
    put(doc, "network.direction", _direction(pairs))
    put(doc, "fortinet.firewall.vpntunnel", pairs.get("vpntunnel"))


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for a FortiOS log; None when the line has no logid= (or neither devname= nor type=)."""
    if "logid=" not in text:
        return None
    pairs = _pairs(text)
    # devname= is usual but not guaranteed (some relays and older builds drop it): logid= with type= will do
    if not pairs.get("logid") or not (pairs.get("devname") or pairs.get("type")):
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
    put(doc, "observer.name", pairs.get("devname"))
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
        _put_system_event(doc, pairs, subtype)
    else:
        put(doc, "event.category", ["network"])
        _put_traffic(doc, pairs)
        put_community_id(doc, icmp_number(pairs.get("icmptype")), icmp_number(pairs.get("icmpcode")))
        put_user(doc, "source.user", pairs.get("user") or pairs.get("unauthuser"))
        put(doc, "rule.id", pairs.get("policyid"))
        put(doc, "fortinet.firewall.policyid", pairs.get("policyid"))
        put(doc, "rule.name", pairs.get("policyname"))
        put(doc, "rule.uuid", pairs.get("poluuid"))
        put(doc, "rule.ruleset", pairs.get("policytype"))
        put(doc, "event.reason", pairs.get("reason"))
        blocked_by_profile = pairs.get("utmaction", "").lower() in _DENIED
        verdict = (
            "denied" if action in _DENIED or blocked_by_profile else "allowed" if action in _ALLOWED else None
        )
        kinds = ["connection"]
        if log_type == "traffic" and action:
            # traffic logs are written when a session closes, unless action=start (log at session start)
            kinds.append("start" if action == "start" else "end")
        put(doc, "event.type", [*kinds, verdict] if verdict else kinds)
        # an allowed session or request is the firewall's success; a denial's outcome is left to event.type
        put(doc, "event.outcome", "success" if verdict == "allowed" else None)
        if log_type == "utm":
            _put_utm(doc, pairs, subtype)
    return doc


def sniff(text: str) -> bool:
    """FortiOS: a 10-digit logid= with devname=, or with type= and subtype= (relays drop devname)."""
    if "logid=" not in text or _LOGID.search(text) is None:  # the substring test keeps other lines cheap
        return False
    return "devname=" in text or (_TYPE.search(text) is not None and _SUBTYPE.search(text) is not None)


FORTIGATE: Final = ParserSpec(
    name="fortigate",
    parse=parse,
    sniff=sniff,
    priority=50,
    dataset="fortinet.firewall",
    description="Fortinet FortiGate (FortiOS) key=value logs: traffic, UTM and event",
)
