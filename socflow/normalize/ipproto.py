"""IP protocol numbers and names (IANA) for network.transport and network.iana_number."""

from __future__ import annotations

from typing import Final

from socflow.normalize.ecs import ECSDocument, put

# The protocols firewalls and sensors report most; ECS network.transport is the lower-case name.
_BY_NUMBER: Final[dict[int, str]] = {
    0: "hopopt",
    1: "icmp",
    2: "igmp",
    4: "ipv4",
    6: "tcp",
    8: "egp",
    9: "igp",
    17: "udp",
    27: "rdp",
    33: "dccp",
    41: "ipv6",
    43: "ipv6-route",
    44: "ipv6-frag",
    46: "rsvp",
    47: "gre",
    50: "esp",
    51: "ah",
    58: "ipv6-icmp",
    59: "ipv6-nonxt",
    60: "ipv6-opts",
    88: "eigrp",
    89: "ospf",
    94: "ipip",
    103: "pim",
    112: "vrrp",
    115: "l2tp",
    132: "sctp",
    136: "udplite",
}
_BY_NAME: Final[dict[str, int]] = {name: number for number, name in _BY_NUMBER.items()}
# Spellings devices use for the same protocol.
_ALIASES: Final[dict[str, str]] = {"icmpv6": "ipv6-icmp", "icmp6": "ipv6-icmp", "ipencap": "ipv4"}


def put_transport(doc: ECSDocument, value: str | int | None) -> None:
    """network.transport (lower-case name) and network.iana_number from a protocol number or name."""
    if value is None:
        return
    text = str(value).strip().lower()
    if not text or text == "-":
        return
    if text.isdigit():
        number = int(text)
        put(doc, "network.iana_number", str(number))
        put(doc, "network.transport", _BY_NUMBER.get(number, text))
        return
    name = _ALIASES.get(text, text)
    put(doc, "network.transport", name)
    known = _BY_NAME.get(name)
    if known is not None:
        put(doc, "network.iana_number", str(known))
