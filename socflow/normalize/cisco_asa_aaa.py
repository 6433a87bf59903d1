"""Cisco ASA/FTD AAA, management login and remote-access VPN session messages to ECS fields."""

from __future__ import annotations

import re
from typing import Final

from socflow.normalize.ecs import ECSDocument, add_related, put, put_ip, put_port, put_traffic, put_user
from socflow.normalize.registry import ParseError

_AAA: Final = re.compile(
    r"AAA user (?P<what>authentication|authorization|accounting) (?P<result>Successful|Rejected)"
)
_KEYED_USER: Final = re.compile(
    r"(?:\b(?:[Uu]ser(?:name)?|Uname)\s*[=:]\s*|\bUser <|\bfor user (?=[\"“]))[\"“]?(?P<user>[^\s,:<>\"”]+)"
)
# An address (IPv6 has colons, so it must end at a blank) or a configured server name.
_KEYED_SERVER: Final = re.compile(
    r"server\s*=\s*(?P<server>(?:[0-9A-Fa-f]*[:.]){2,}[0-9A-Fa-f]*(?=[\s,]|$)|[^\s:,]+)"
)
_KEYED_IP: Final = re.compile(
    r"(?:user IP|\bIP address|\bIP)\s*[=:,]?\s*<?(?P<ip>[0-9A-Fa-f:.]*[0-9A-Fa-f])>?"
)
# "Group <g> User <u> IP <a>", "Group g User u IP a" and "Group = g, Username = u, IP = a": the
# identity triple that starts the VPN messages (group names may hold spaces inside the brackets).
_GROUP_USER_IP: Final = re.compile(
    r"Group\s*(?:=\s*(?P<g1>[^,]+?),|<(?P<g2>[^<>]*)>|(?P<g3>\S+))\s*"
    r"User(?:name)?\s*(?:=\s*(?P<u1>[^,]*?),|<(?P<u2>[^<>]*)>|(?P<u3>\S+))\s*"
    r"IP\s*(?:=\s*(?P<i1>[^,\s]+)|<(?P<i2>[^<>]*)>|(?P<i3>\S+))"
)
_GROUP: Final = re.compile(r"\bGroup\s*[=:]?\s*<?(?P<group>[^\s,<>]+)>?")
_REASON: Final = re.compile(r"[Rr]eason\s*[=:]\s*(?P<reason>[^:,]+?)\s*(?::|,|$)")
_ASSIGNED: Final = re.compile(r"IPv4 Address <?(?P<v4>[0-9.]+)>?(?: IPv6 address <?(?P<v6>[0-9A-Fa-f:]+)>?)?")
_SESSION_DURATION: Final = re.compile(r"Duration: (?:(?P<d>\d+)d)?(?P<h>\d+)h:(?P<m>\d+)m:(?P<s>\d+)s")
_SESSION_BYTES: Final = re.compile(r"Bytes xmt: (?P<xmt>\d+), Bytes rcv: (?P<rcv>\d+)")
# 605004/605005: a login to the ASA's own management, over the network
# ("from <address>/<port> to <interface>:<address>/<service>") or at the console ("from serial to console").
_LOGIN: Final = re.compile(
    r"Login (?P<verdict>permitted|denied) from (?:(?P<aip>[0-9A-Fa-f:.]+)/(?P<aport>\d+) to "
    r"(?P<bif>[^\s:]+):(?P<bip>[0-9A-Fa-f:.]+)/(?P<service>\S+)|[^\s/]+ to [^\s/:]+)"
    r" for user [\"“]?(?P<user>[^\"”]*)[\"”]?"
)
_DAP: Final = re.compile(
    r"DAP: User (?P<user>[^,]*), Addr (?P<ip>[^,\s]+), Connection (?P<kind>[^:]+):"
    r"[^:]*selected for this connection: (?P<records>.*?)\.?$"
)
_TERMINATED: Final = re.compile(r"terminated: (?P<reason>[^.]+)")
_MASKED_USER: Final = "*****"  # the ASA hides names it considers secret (e.g. a password typed as a name)
_SUCCESS_IDS: Final = frozenset({"113004", "113012", "611101", "605005"})
_ENDED_IDS: Final = frozenset({"113019", "716002", "722023"})


def _user(doc: ECSDocument, name: str | None) -> None:
    if name and name.strip() and name.strip() != _MASKED_USER:
        put_user(doc, "user", name.strip())


def _aaa_server(doc: ECSDocument, server: str) -> None:
    """The AAA server the ASA asked: the destination of the check, by address or by configured name."""
    put(doc, "cisco.asa.aaa_server", server)
    if not put_ip(doc, "destination.ip", server):
        put(doc, "destination.domain", server)
        add_related(doc, "hosts", server)


def authentication(doc: ECSDocument, msgid: str, message: str) -> None:
    """AAA, local database, cut-through proxy (611101/611102) and login (605004/605005) outcomes."""
    login = _LOGIN.search(message)
    if login is not None:
        if login["service"] is not None:  # the console form ("from serial to console") names no network
            put_ip(doc, "source.ip", login["aip"])
            put_port(doc, "source.port", login["aport"])
            put_ip(doc, "destination.ip", login["bip"])
            put(doc, "network.protocol", login["service"].lower())
            put(doc, "observer.egress.interface.name", login["bif"])
        _user(doc, login["user"])
        success = login["verdict"] == "permitted"
    else:
        aaa = _AAA.search(message)
        success = msgid in _SUCCESS_IDS if aaa is None else aaa["result"] == "Successful"
        user = _KEYED_USER.search(message)
        _user(doc, user["user"] if user else None)
        server = _KEYED_SERVER.search(message)
        if server is not None:
            _aaa_server(doc, server["server"])
        address = _KEYED_IP.search(message)
        put_ip(doc, "source.ip", address["ip"] if address else None)
        reason = _REASON.search(message)
        put(doc, "event.reason", reason["reason"] if reason else None)
    put(doc, "event.category", ["authentication"])
    put(doc, "event.type", ["start"])  # a logon attempt; event.outcome says how it ended
    put(doc, "event.outcome", "success" if success else "failure")
    put(doc, "event.action", "logged-in" if success else "logon-failed")


def _identity(doc: ECSDocument, message: str) -> None:
    """user.name, the VPN group and the client's address from the message's opening triple."""
    triple = _GROUP_USER_IP.search(message)
    if triple is not None:
        _user(doc, triple["u1"] or triple["u2"] or triple["u3"])
        put(doc, "cisco.asa.vpn.group", (triple["g1"] or triple["g2"] or triple["g3"] or "").strip())
        put_ip(doc, "source.ip", triple["i1"] or triple["i2"] or triple["i3"])
        return
    user = _KEYED_USER.search(message)
    _user(doc, user["user"] if user else None)
    group = _GROUP.search(message)
    put(doc, "cisco.asa.vpn.group", group["group"] if group else None)
    address = _KEYED_IP.search(message)
    put_ip(doc, "source.ip", address["ip"] if address else None)


def vpn_session(doc: ECSDocument, msgid: str, message: str) -> None:
    """WebVPN/AnyConnect sessions: 113019 disconnected, 716001/716002, 722022/722023, 722051."""
    _identity(doc, message)
    put(doc, "event.category", ["network", "session"])
    if msgid == "722051":
        assigned = _ASSIGNED.search(message)
        if assigned is not None:
            put_ip(doc, "cisco.asa.vpn.assigned_ip", assigned["v4"])
            put_ip(doc, "cisco.asa.vpn.assigned_ipv6", assigned["v6"])
        put(doc, "event.action", "address-assigned")
        put(doc, "event.type", ["info"])
        put(doc, "event.outcome", "success")
        return
    ended = msgid in _ENDED_IDS
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
    counted = _SESSION_BYTES.search(message) if msgid == "113019" else None
    if counted is not None:
        # The peer (source) sent what the ASA received; "xmt" is what the ASA sent to it.
        put_traffic(doc, "bytes", int(counted["rcv"]), int(counted["xmt"]))


def dap_selection(doc: ECSDocument, msgid: str, message: str) -> None:
    """734001: the dynamic access policy records chosen for a user's connection, after authentication."""
    found = _DAP.search(message)
    if found is None:
        raise ParseError(f"ASA {msgid}: unrecognised DAP message")
    _user(doc, found["user"])
    put_ip(doc, "source.ip", found["ip"])
    put(doc, "cisco.asa.connection_type", found["kind"].strip())
    records = [record.strip() for record in found["records"].split(",") if record.strip()]
    put(doc, "cisco.asa.dap_records", records or None)
    put(doc, "event.category", ["authentication"])
    put(doc, "event.type", ["info"])
    put(doc, "event.outcome", "success")
    put(doc, "event.action", "dap-records-selected")
