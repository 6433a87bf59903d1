"""Netfilter (iptables, nftables, UFW) kernel packet log lines to ECS network events."""

from __future__ import annotations

import re
from typing import Final

from socflow.normalize.community_id import icmp_number, put_community_id
from socflow.normalize.ecs import ECSDocument, put, put_ip, put_mac, put_port
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

# Optional "kernel:" tag and "[uptime]" stamp, then the --log-prefix text, then the packet fields.
# A prefix ending in "]" is often written with no blank before IN= (EdgeOS/VyOS "[NAME-10-A]IN=").
_FIELDS: Final = re.compile(r"(?:^|(?<=[\s\]]))IN=\S*\s+OUT=")
_HEAD: Final = re.compile(r"(?:.*\bkernel:)?\s*(?:\[\s*\d+\.\d+\])?\s*(?P<prefix>.*)", re.DOTALL)
_WORD: Final = re.compile(r"[a-z]+")
_FLAG: Final = re.compile(r"[A-Z]{2,4}")
# Words in a --log-prefix that say what the rule did; the first one found wins.
_DENY_WORDS: Final[dict[str, str]] = {
    "block": "block",
    "blocked": "block",
    "drop": "drop",
    "dropped": "drop",
    "deny": "deny",
    "denied": "deny",
    "reject": "reject",
    "rejected": "reject",
    "limit": "limit",
}
_ALLOW_WORDS: Final[dict[str, str]] = {
    "allow": "allow",
    "allowed": "allow",
    "accept": "accept",
    "accepted": "accept",
    "permit": "permit",
    "pass": "allow",
}
# EdgeOS/VyOS rule prefix "[<rule set>-<rule number or default>-<action letter>]".
_RULE_LABEL: Final = re.compile(r"\[(?P<name>[^\]\s]+)-(?P<rule>\d+|default)-(?P<letter>[A-Z])\]")
_LABEL_ACTIONS: Final[dict[str, tuple[str, str]]] = {
    "A": ("accept", "allowed"),
    "D": ("drop", "denied"),
    "R": ("reject", "denied"),
}
_TCP_FLAGS: Final = frozenset({"SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR"})


def _put_macs(doc: ECSDocument, value: str) -> None:
    """MAC= is the link header: destination (6 bytes), source (6 bytes), ethertype (2 bytes)."""
    octets = value.split(":")
    if len(octets) < 14:
        return
    put_mac(doc, "destination.mac", ":".join(octets[0:6]))
    put_mac(doc, "source.mac", ":".join(octets[6:12]))


def _action(doc: ECSDocument, prefix: str) -> tuple[str | None, str | None]:
    """(event.action, event.type verdict) from a log prefix such as "[UFW BLOCK]" or "[WAN_IN-20-D]".

    A rule label names the rule set and rule (rule.name, rule.id) and says the verdict in its last
    letter; any other prefix is searched for a verdict word."""
    if "[" in prefix and (label := _RULE_LABEL.search(prefix)) is not None:
        doc["rule"] = {"name": label["name"], "id": label["rule"]}
        verdict = _LABEL_ACTIONS.get(label["letter"])
        if verdict is not None:
            return verdict
    for word in _WORD.findall(prefix.lower()):
        if word in _DENY_WORDS:
            return _DENY_WORDS[word], "denied"
        if word in _ALLOW_WORDS:
            return _ALLOW_WORDS[word], "allowed"
    return None, None


def _fields(text: str) -> tuple[dict[str, str], list[str]]:
    """KEY=value pairs and bare flags, up to the bracketed copy of an ICMP error's inner packet."""
    pairs: dict[str, str] = {}
    flags: list[str] = []
    for token in text.split():
        if token[0] == "[":  # split() gives no empty tokens
            break
        key, equals, value = token.partition("=")
        if equals:
            if key not in pairs:
                pairs[key] = value
        elif _FLAG.fullmatch(token):
            flags.append(token)
    return pairs, flags


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for a netfilter log line; None when the line has no IN=/OUT= packet fields."""
    found = _FIELDS.search(text)
    if found is None:
        return None
    pairs, flags = _fields(text[found.start() :])
    if "SRC" not in pairs or "DST" not in pairs:
        raise ParseError("netfilter log line without SRC= or DST=")
    doc: ECSDocument = {}
    if not put_ip(doc, "source.ip", pairs["SRC"]) or not put_ip(doc, "destination.ip", pairs["DST"]):
        raise ParseError(f"netfilter log line with a bad address: SRC={pairs['SRC']} DST={pairs['DST']}")
    # The fixed fields as plain dicts (so far `doc` holds source, related and destination), in the
    # order the dotted-path setters would write them; the rest through `put`.
    event = doc["event"] = {
        "original": text,
        "dataset": "iptables.log",
        "module": "iptables",
        "kind": "event",
        "category": ["network"],
    }
    observer = doc["observer"] = {"vendor": "Netfilter", "product": "iptables", "type": "firewall"}
    head = _HEAD.match(text[: found.start()])
    prefix = head.group("prefix").strip() if head else ""
    if prefix:
        doc["iptables"] = {"prefix": prefix}
    action, verdict = _action(doc, prefix)
    if action:
        event["action"] = action
    event["type"] = ["connection", verdict] if verdict else ["connection"]

    inbound, outbound = pairs.get("IN", ""), pairs.get("OUT", "")
    if inbound:
        observer["ingress"] = {"interface": {"name": inbound}}
    if outbound:
        observer["egress"] = {"interface": {"name": outbound}}
    network = doc["network"] = {}  # nothing new at the top level until network.type below
    if inbound and not outbound:
        network["direction"] = "ingress"
    elif outbound and not inbound:
        network["direction"] = "egress"
    _put_macs(doc, pairs.get("MAC", ""))
    network["type"] = "ipv6" if ":" in doc["source"]["ip"] else "ipv4"
    put_transport(doc, pairs.get("PROTO"))
    put_port(doc, "source.port", pairs.get("SPT"))
    put_port(doc, "destination.port", pairs.get("DPT"))
    for key, path in (("LEN", "iptables.length"), ("TTL", "iptables.ttl"), ("HOPLIMIT", "iptables.ttl")):
        if pairs.get(key, "").isdigit():
            put(doc, path, int(pairs[key]))
    put(doc, "iptables.id", pairs.get("ID"))
    if pairs.get("WINDOW", "").isdigit():
        put(doc, "iptables.tcp.window", int(pairs["WINDOW"]))
    tcp_flags = [flag for flag in flags if flag in _TCP_FLAGS]
    if tcp_flags:
        put(doc, "iptables.tcp.flags", tcp_flags)
    icmp_type, icmp_code = icmp_number(pairs.get("TYPE")), icmp_number(pairs.get("CODE"))
    put(doc, "iptables.icmp.type", icmp_type)
    put(doc, "iptables.icmp.code", icmp_code)
    put_community_id(doc, icmp_type, icmp_code)
    return doc


def sniff(text: str) -> bool:
    return "IN=" in text and " SRC=" in text and " DST=" in text and " OUT=" in text


IPTABLES: Final = ParserSpec(
    name="iptables",
    parse=parse,
    sniff=sniff,
    priority=50,
    dataset="iptables.log",
    description="Netfilter kernel packet log (iptables/nftables LOG target, UFW), any --log-prefix",
)
