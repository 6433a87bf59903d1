"""Canonical values for events: UTC timestamps, host names, IPs, MACs and user names in one form each."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Logs repeat the same addresses, hosts and users: the converters are pure, so they are memoised.
_CACHE_SIZE: Final = 4096
_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_MAC_SEPARATORS = re.compile(r"[:\-.\s]")
_EPOCH_MS_THRESHOLD: Final = 100_000_000_000  # above this an epoch number is in milliseconds
_EPOCH_US_THRESHOLD: Final = 100_000_000_000_000
_EPOCH_NS_THRESHOLD: Final = 100_000_000_000_000_000
_UTC_NAMES: Final = frozenset({"UTC", "Z", "GMT", "UT", "ZULU", "ETC/UTC", "ETC/GMT"})
_OFFSET = re.compile(r"^(?:UTC|GMT)?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.IGNORECASE)
_FRACTION_TOO_LONG = re.compile(r"(\.\d{6})\d+")


def zone(name: str | None) -> tzinfo:
    """A tzinfo for an IANA name, 'UTC', or a fixed offset ('+02:00', '-0530', 'UTC+2').

    Unknown names are refused with the name in the message."""
    if not name or name.strip().upper() in _UTC_NAMES:
        return UTC
    fixed = _fixed_offset(name.strip())
    if fixed is not None:
        return fixed
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _fixed_offset(text: str) -> tzinfo | None:
    match = _OFFSET.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.group("sign"), int(match.group("h")), int(match.group("m") or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"time zone offset out of range: {text!r}")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)


def to_utc(moment: datetime, assumed_zone: tzinfo = UTC) -> datetime:
    """Aware UTC: a naive time is read in `assumed_zone` (the sender's configured zone, else UTC)."""
    if moment.tzinfo is UTC:  # already UTC (most moments here): datetimes are immutable, keep it
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=assumed_zone)
    return moment.astimezone(UTC)


def from_epoch(value: float | int | str) -> datetime:
    """Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude) as aware UTC.

    Out-of-range numbers raise ValueError (never OverflowError or OSError)."""
    number = float(value)
    if abs(number) >= _EPOCH_NS_THRESHOLD:
        number /= 1_000_000_000
    elif abs(number) >= _EPOCH_US_THRESHOLD:
        number /= 1_000_000
    elif abs(number) >= _EPOCH_MS_THRESHOLD:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"epoch value out of range: {value!r}") from None


def parse_iso(text: str, assumed_zone: tzinfo = UTC) -> datetime:
    """ISO-8601 / RFC 3339 variants (T or space, Z or offset, 0-9 fraction digits) as aware UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # Python accepts at most 6 fraction digits: trim nanoseconds.
    value = _FRACTION_TOO_LONG.sub(r"\1", value.replace(",", ".", 1) if "," in value else value)
    return to_utc(datetime.fromisoformat(value), assumed_zone)


def year_for(month: int, day: int, received: datetime) -> int:
    """RFC 3164 has no year: take the one that puts the event nearest before receipt.

    A message stamped Dec 31 received on Jan 1 belongs to last year; a stamp a little in the
    future (clock skew up to a day) stays in the current year."""
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise ValueError(f"no such date: month {month}, day {day}")
    candidate = received.year
    try:
        stamped = date(candidate, month, day)
    except ValueError:  # Feb 29 in a non-leap year (or Apr 31): the last year that has the date
        return _previous_year_with(month, day, candidate - 1)
    # "More than a day after receipt" on whole dates: the stamp's midnight minus the receipt moment
    # exceeds one day exactly when the dates are two or more days apart.
    days_after_receipt = (stamped - received.date()).days
    if days_after_receipt >= 2:
        return _previous_year_with(month, day, candidate - 1)
    if days_after_receipt < -363 and month == 1:  # Jan 1 stamped by a clock running ahead on Dec 31
        try:
            if (date(candidate + 1, month, day) - received.date()).days <= 1:
                return candidate + 1
        except ValueError:
            pass
    return candidate


def _previous_year_with(month: int, day: int, start: int) -> int:
    for year in range(start, start - 8, -1):
        try:
            datetime(year, month, day)
        except ValueError:
            continue
        return year
    raise ValueError(f"no such date: month {month}, day {day}")


@dataclass(frozen=True)
class HostName:
    name: str
    domain: str | None


@lru_cache(maxsize=_CACHE_SIZE)
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


_PLAIN_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")


def ip(value: str) -> str:
    """IPv4 or IPv6 in canonical text; IPv4-mapped IPv6 folded to IPv4; zone and brackets dropped."""
    if _PLAIN_IPV4.fullmatch(value):  # already canonical: the common case, without ipaddress
        return value
    canonical_text = _ip_or_none(value)
    if canonical_text is None:
        raise ValueError(f"not an IP address: {value!r}")
    return canonical_text


@lru_cache(maxsize=_CACHE_SIZE)
def _ip_or_none(value: str) -> str | None:
    """The canonical text, or None: host names are asked too, and a cached None saves the exception."""
    text = value.strip().strip("[]")
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@lru_cache(maxsize=_CACHE_SIZE)
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


@lru_cache(maxsize=_CACHE_SIZE)
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


_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
# RFC 3164 style, as real senders write it: optional Cisco '*'/'.' marker, optional weekday,
# 'Mmm dd' or 'Mmm  d', optional year before or after the time, optional fraction, optional zone.
_ABBREVIATED_ZONES: Final = {"UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
                             "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2,
                             "BST": 1, "EET": 2, "EEST": 3, "JST": 9, "IST": 5.5}  # fmt: skip
# Only these names (or an offset) are read as a zone after the time: an upper-case host name such
# as "HOST" must stay a host name.
ZONE_NAMES: Final = "|".join(sorted(_ABBREVIATED_ZONES, key=len, reverse=True))
BSD_TIMESTAMP = re.compile(
    r"[*.]?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+)?"
    r"(?P<mon>[A-Za-z]{3})\s+(?P<day>\d{1,2})(?:\s+(?P<year>\d{4}))?\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?"
    r"(?:\s+(?P<year2>\d{4})(?![\d:]))?"
    r"(?:\s+(?P<tz>(?:UTC|GMT)[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2}|" + ZONE_NAMES + r")(?=\s|$|:))?"
)
_EPOCH_TEXT = re.compile(r"^-?\d{9,19}(?:\.\d+)?$")
_CLF_TIMESTAMP = re.compile(
    r"^(?P<day>\d{1,2})/(?P<mon>[A-Za-z]{3})/(?P<year>\d{4}):(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:\s*(?P<tz>[+-]\d{4}))?$"
)
_SLASHED_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})([ T].*)$")


_BSD_GROUPS: Final = ("mon", "day", "year", "year2", "h", "mi", "s", "frac", "tz")


def bsd_timestamp(match: re.Match[str], received: datetime, assumed_zone: tzinfo = UTC) -> datetime:
    """The UTC moment of a BSD_TIMESTAMP match; the year by `year_for`, the zone as written, else assumed.

    The year is inferred against the receipt date in the sender's zone (where the stamp was
    written). Streams repeat the same stamp many times a second, so the conversion is memoised."""
    return bsd_moment(match.group(*_BSD_GROUPS), received, assumed_zone)


def bsd_moment(groups: tuple[str | None, ...], received: datetime, assumed_zone: tzinfo = UTC) -> datetime:
    """`bsd_timestamp` from the groups of BSD_TIMESTAMP already taken out, in the order of _BSD_GROUPS."""
    if assumed_zone is UTC and received.tzinfo is UTC:  # the usual case: no conversion needed
        received_date = received.date()
    else:
        received_date = to_utc(received).astimezone(assumed_zone).date()
    return _bsd_moment(groups, assumed_zone, received_date)


@lru_cache(maxsize=_CACHE_SIZE)
def _bsd_moment(groups: tuple[str | None, ...], assumed_zone: tzinfo, received_date: date) -> datetime:
    month_text, day_text, year_text, year2_text, hour, minute, second, fraction_text, zone_text = groups
    month = _MONTHS.get((month_text or "").lower())
    if month is None:
        raise ValueError(f"unknown month {month_text!r}")
    day = int(day_text or 0)
    year_written = year_text or year2_text
    year = int(year_written) if year_written else _year_of(month, day, received_date)
    fraction = int(fraction_text[:6].ljust(6, "0")) if fraction_text else 0
    if zone_text:
        written = _written_zone(zone_text)
        if written is not None:
            assumed_zone = written
    clock = (int(hour or 0), int(minute or 0), int(second or 0), fraction)
    if assumed_zone is UTC:  # what `to_utc` makes of a naive moment read in UTC, built at once
        return datetime(year, month, day, *clock, tzinfo=UTC)
    return to_utc(datetime(year, month, day, *clock), assumed_zone)


@lru_cache(maxsize=256)  # a stream's stamps fall on a handful of days, received on one or two
def _year_of(month: int, day: int, received_date: date) -> int:
    return year_for(month, day, datetime(received_date.year, received_date.month, received_date.day))


def _written_zone(text: str) -> tzinfo | None:
    hours = _ABBREVIATED_ZONES.get(text.upper())
    if hours is not None:
        return timezone(timedelta(hours=hours))
    try:
        return _fixed_offset(text)
    except ValueError:
        return None


def parse_time(text: str, assumed_zone: tzinfo = UTC, received: datetime | None = None) -> datetime:
    """Any timestamp spelling a log carries, as aware UTC.

    Tried in order: epoch numbers (s/ms/us/ns by magnitude), ISO-8601 / RFC 3339 (also with
    '/' in the date), BSD 'Mmm dd [yyyy] hh:mm:ss[.fff] [zone]' (year by `year_for` relative to
    `received`, default now), and Apache 'dd/Mmm/yyyy:hh:mm:ss +zzzz'. A time without a zone is
    read in `assumed_zone`. Anything else raises ValueError naming the text."""
    value = text.strip()
    if _EPOCH_TEXT.match(value):
        return from_epoch(value)
    slashed = _SLASHED_DATE.match(value)
    candidate = (
        f"{slashed.group(1)}-{slashed.group(2)}-{slashed.group(3)}{slashed.group(4)}" if slashed else value
    )
    try:
        return parse_iso(candidate, assumed_zone)
    except ValueError:
        pass
    bsd = BSD_TIMESTAMP.fullmatch(value)
    if bsd is not None:
        return bsd_timestamp(bsd, received or datetime.now(UTC), assumed_zone)
    clf = _CLF_TIMESTAMP.match(value)
    if clf is not None:
        month = _MONTHS.get(clf.group("mon").lower())
        if month is not None:
            moment = datetime(
                int(clf.group("year")), month, int(clf.group("day")),
                int(clf.group("h")), int(clf.group("mi")), int(clf.group("s")),
            )  # fmt: skip
            written = _written_zone(clf.group("tz")) if clf.group("tz") else None
            return to_utc(moment, written or assumed_zone)
    raise ValueError(f"unrecognised timestamp {text!r}")


@lru_cache(maxsize=_CACHE_SIZE)
def format_time(moment: datetime) -> str:
    """The one text form of `@timestamp` and friends: ISO-8601 in UTC with a Z (memoised: stamps repeat)."""
    utc = to_utc(moment)
    if utc.microsecond == 0:
        precision = "seconds"
    elif utc.microsecond % 1000 == 0:
        precision = "milliseconds"
    else:
        precision = "microseconds"
    return utc.isoformat(timespec=precision).replace("+00:00", "Z")
