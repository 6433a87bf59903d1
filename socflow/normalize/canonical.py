"""Canonical values for events: UTC timestamps, host names, IPs, MACs and user names in one form each."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_MAC_SEPARATORS = re.compile(r"[:\-.\s]")
_EPOCH_MS_THRESHOLD: Final = 100_000_000_000  # above this an epoch number is in milliseconds
_EPOCH_US_THRESHOLD: Final = 100_000_000_000_000


def zone(name: str | None) -> tzinfo:
    """A tzinfo for an IANA name or 'UTC'; unknown names are refused with the name in the message."""
    if not name or name.upper() in {"UTC", "Z", "GMT"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def to_utc(moment: datetime, assumed_zone: tzinfo = UTC) -> datetime:
    """Aware UTC: a naive time is read in `assumed_zone` (the sender's configured zone, else UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=assumed_zone)
    return moment.astimezone(UTC)


def from_epoch(value: float | int | str) -> datetime:
    """Epoch seconds, milliseconds or microseconds (told apart by magnitude) as aware UTC."""
    number = float(value)
    if abs(number) >= _EPOCH_US_THRESHOLD:
        number /= 1_000_000
    elif abs(number) >= _EPOCH_MS_THRESHOLD:
        number /= 1000
    return datetime.fromtimestamp(number, UTC)


def parse_iso(text: str, assumed_zone: tzinfo = UTC) -> datetime:
    """ISO-8601 / RFC 3339 variants (T or space, Z or offset, 0-9 fraction digits) as aware UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # Python accepts at most 6 fraction digits: trim nanoseconds.
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    return to_utc(datetime.fromisoformat(value), assumed_zone)


def year_for(month: int, day: int, received: datetime) -> int:
    """RFC 3164 has no year: take the one that puts the event nearest before receipt.

    A message stamped Dec 31 received on Jan 1 belongs to last year; a stamp a little in the
    future (clock skew up to a day) stays in the current year."""
    candidate = received.year
    try:
        stamped = datetime(candidate, month, day, tzinfo=received.tzinfo)
    except ValueError:  # Feb 29 in a non-leap year: it must have been the last leap year
        candidate -= 1
        while True:
            try:
                datetime(candidate, month, day)
                return candidate
            except ValueError:
                candidate -= 1
    if stamped - received > timedelta(days=1):
        return candidate - 1
    return candidate


@dataclass(frozen=True)
class HostName:
    name: str
    domain: str | None


def host(value: str) -> HostName:
    """Lower-case; FQDN split into name and domain; NetBIOS `DOMAIN\\HOST` understood."""
    text = value.strip().rstrip(".")
    if "\\" in text:
        domain, _, name = text.partition("\\")
        return HostName(name.lower(), domain.lower() or None)
    text = text.lower()
    try:
        ipaddress.ip_address(text)
        return HostName(text, None)
    except ValueError:
        pass
    name, dot, domain = text.partition(".")
    return HostName(name, domain if dot else None)


def ip(value: str) -> str:
    """IPv4 or IPv6 in canonical text; IPv4-mapped IPv6 folded to IPv4; zone and brackets dropped."""
    text = value.strip().strip("[]")
    text = text.split("%", 1)[0]
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def mac(value: str) -> str:
    """Any common MAC notation (aa:bb.., AA-BB-.., aabb.ccdd.eeff, bare hex) as ECS `AA-BB-CC-DD-EE-FF`."""
    digits = _MAC_SEPARATORS.sub("", value.strip().lower())
    if not _MAC_HEX.match(digits):
        raise ValueError(f"not a MAC address: {value!r}")
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


@dataclass(frozen=True)
class UserName:
    name: str
    domain: str | None


def user(value: str) -> UserName:
    """`DOMAIN\\user`, `user@domain` or `user` as name + domain (domain lower-case, name as sent)."""
    text = value.strip()
    if "\\" in text:
        domain, _, name = text.partition("\\")
        return UserName(name, domain.lower() or None)
    if "@" in text:
        name, _, domain = text.rpartition("@")
        return UserName(name, domain.lower() or None)
    return UserName(text, None)
