"""RFC 3164 and RFC 5424 syslog headers: split one off a line (syslog_merge puts its fields in a document)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Final, NamedTuple

from socflow.normalize import canonical
from socflow.normalize.registry import ParseError
from socflow.normalize.syslog_errors import explain_5424


class SyslogFlavor(StrEnum):
    RFC3164 = "rfc3164"
    RFC5424 = "rfc5424"


FACILITY_NAMES: Final = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITY_NAMES: Final = (
    "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug",
)  # fmt: skip
MAX_PRIORITY: Final = 191


class SyslogHeader(NamedTuple):
    """The header fields of one syslog line (None where absent or NILVALUE) and the message after it.

    A NamedTuple, not a frozen dataclass: it is as immutable and costs a tenth to build (each line
    builds one)."""

    flavor: SyslogFlavor
    body: str
    priority: int | None = None
    version: int | None = None
    timestamp: datetime | None = None
    hostname: str | None = None
    appname: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: dict[str, dict[str, str]] | None = None


# ---- RFC 5424 ---------------------------------------------------------------------------------------

_PRI = re.compile(r"<(\d{1,3})>")
_VERSION = re.compile(r"(\d{1,3}) ")
_HEADER_5424 = re.compile(
    r"<(?P<pri>0|[1-9]\d{0,2})>(?P<ver>[1-9]\d{0,2}) "
    r"(?P<ts>-|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)) "
    r"(?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<proc>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) "
)
_SD_NAME_CHARS = re.compile(r'[^= \]"]{1,32}')
_SD_PARAM = re.compile(r' ([^= \]"]{1,32})="((?:[^"\\]|\\.)*)"', re.DOTALL)
_SD_UNESCAPE = re.compile(r'\\(["\\\]])')
_SD_BARE_BRACKET = re.compile(r"(?:^|[^\\])(?:\\\\)*\]")
_BOM: Final = "\ufeff"


def _parse_structured_data(rest: str, *, strict: bool) -> tuple[dict[str, dict[str, str]] | None, str]:
    """STRUCTURED-DATA at the start of `rest` and what follows it; ValueError names the problem.

    RFC 5424 says '"', '\\' and ']' MUST be escaped in a PARAM-VALUE: `strict` refuses a bare ']'
    (lenient reading keeps it). A backslash before any other character is a plain backslash."""
    if rest.startswith("-"):
        return None, rest[1:]
    if not rest.startswith("["):
        raise ValueError("expecting structured data ('[' or '-')")
    elements: dict[str, dict[str, str]] = {}
    position = 0
    while position < len(rest) and rest[position] == "[":
        name = _SD_NAME_CHARS.match(rest, position + 1)
        if name is None:
            raise ValueError(f"expecting an SD-ID at column {position + 1}")
        params: dict[str, str] = {}
        position = name.end()
        while (param := _SD_PARAM.match(rest, position)) is not None:
            if strict and _SD_BARE_BRACKET.search(param.group(2)) is not None:
                raise ValueError(f"unescaped ']' in the value of {param.group(1)!r}")
            value = param.group(2)
            params[param.group(1)] = _SD_UNESCAPE.sub(r"\1", value) if "\\" in value else value
            position = param.end()
        if position >= len(rest) or rest[position] != "]":
            raise ValueError(f"structured data element {name.group()!r} is not closed by ']'")
        if name.group() in elements:
            raise ValueError(f"structured data element {name.group()!r} appears twice")
        elements[name.group()] = params
        position += 1
    return elements, rest[position:]


def _timestamp_5424(text: str) -> datetime | None:
    """The header's TIMESTAMP; the header pattern already checked its RFC 3339 shape.

    That shape (at most 6 fraction digits, 'Z' or '+hh:mm') is one `fromisoformat` reads as it is,
    so the general `canonical.parse_iso` (trimming, nanoseconds, other spellings) is not needed."""
    if text == "-":
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _parse_5424(text: str, *, strict: bool) -> SyslogHeader | None:
    match = _HEADER_5424.match(text)
    if match is None:
        if strict:
            raise ParseError(explain_5424(text))
        return None
    priority = int(match.group("pri"))
    try:
        if priority > MAX_PRIORITY:
            raise ValueError(f"priority {priority} is above {MAX_PRIORITY}")
        timestamp = _timestamp_5424(match.group("ts"))
    except ValueError as error:
        if strict:
            raise ParseError(f"RFC 5424: {error}") from None
        return None
    rest = text[match.end() :]
    try:
        structured, after = _parse_structured_data(rest, strict=strict)
        if after and not after.startswith(" "):
            raise ValueError("expecting a space between structured data and the message")
    except ValueError as error:
        if strict:
            raise ParseError(f"RFC 5424: {error}") from None
        # Lenient: the header fields stand; what should have been structured data is message.
        structured, after = None, " " + rest
    message = after[1:]
    if message.startswith(_BOM):
        message = message[1:]
    _pri, version, _ts, host, app, proc, msgid = match.groups()
    return SyslogHeader(
        SyslogFlavor.RFC5424,
        message,
        priority,
        int(version),
        timestamp,
        None if host == "-" else host,
        None if app == "-" else app,
        None if proc == "-" else proc,
        None if msgid == "-" else msgid,
        structured,
    )


# ---- RFC 3164 ---------------------------------------------------------------------------------------

_CISCO_SEQUENCE = re.compile(r"\d{1,10}: ")
_ISO_STAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?")
_AFTER_STAMP = re.compile(r":?\s+|:?$")
# A host is a name or an address (IPv6 has ':'); a Cisco '%FAC-SEV-MNEMONIC:' is neither host nor tag.
_HOSTNAME = re.compile(r"([A-Za-z0-9_][\w.\-:]*)(?:\s+:)?(?:\s+|$)")
_TAG = re.compile(r"([^\s\[\]:%][^\s\[\]:]{0,63})(?:\[([^\]\s]{0,32})\])?:(?:\s|$)")


def _stamp_3164(text: str, position: int, received: datetime, zone: tzinfo) -> tuple[datetime, int] | None:
    bsd = canonical.BSD_TIMESTAMP.match(text, position)
    if bsd is not None:
        try:
            return canonical.bsd_timestamp(bsd, received, zone), bsd.end()
        except ValueError:
            return None
    iso = _ISO_STAMP.match(text, position)
    if iso is not None:
        try:
            return canonical.parse_iso(iso.group().replace(" ", "T", 1), zone), iso.end()
        except ValueError:
            return None
    return None


# The shape nearly every sender writes, `<PRI>Mmm dd hh:mm:ss host tag[pid]: `, in one match. The
# lookaheads refuse what the general reading would take as a year or a zone after the time (then
# the general path decides), so whatever this matches reads exactly as the general path reads it.
_COMMON_3164 = re.compile(
    r"<(?P<pri>\d{1,3})>(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<day>\d{1,2}) "
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d) "
    r"(?!\d{4}(?![\d:]))(?![+-]\d)(?!(?:UTC|GMT)[+-]\d)(?!(?:" + canonical.ZONE_NAMES + r")(?=\s|$|:))"
    r"(?P<host>[A-Za-z0-9_][\w.\-]*) " + _TAG.pattern
)


def _common_3164(text: str, received: datetime, zone: tzinfo) -> SyslogHeader | None:
    """The usual RFC 3164 header in one regex match; None sends the line down the general path."""
    found = _COMMON_3164.match(text)
    if found is None:
        return None
    pri, month, day, hour, minute, second, host, appname, procid = found.groups()
    priority = int(pri)
    if priority > MAX_PRIORITY:
        return None
    try:
        groups = (month, day, None, None, hour, minute, second, None, None)
        timestamp = canonical.bsd_moment(groups, received, zone)
    except ValueError:
        return None
    # Positional: building a NamedTuple by keyword costs several times more.
    return SyslogHeader(
        SyslogFlavor.RFC3164, text[found.end() :], priority, None, timestamp, host, appname, procid or None
    )


def _parse_3164(text: str, received: datetime, zone: tzinfo, *, strict: bool) -> SyslogHeader | None:
    common = _common_3164(text, received, zone)
    if common is not None:
        return common
    return _general_3164(text, received, zone, strict=strict)


def _general_3164(text: str, received: datetime, zone: tzinfo, *, strict: bool) -> SyslogHeader | None:
    """Every RFC 3164 variant: Cisco sequence numbers, ISO stamps, years, zones, no host, no tag."""
    position = 0
    priority: int | None = None
    pri = _PRI.match(text)
    if pri is not None:
        priority = int(pri.group(1))
        if priority > MAX_PRIORITY:
            if strict:
                raise ParseError(f"syslog priority {priority} is above {MAX_PRIORITY}")
            return None
        position = pri.end()
    stamped = _stamp_3164(text, position, received, zone)
    if stamped is None and (sequence := _CISCO_SEQUENCE.match(text, position)) is not None:
        stamped = _stamp_3164(text, sequence.end(), received, zone)
    if stamped is None and priority is None:
        if strict:
            raise ParseError("not syslog: expecting '<PRI>' or a timestamp at the start of the line")
        return None
    timestamp: datetime | None = None
    hostname: str | None = None
    if stamped is not None:
        timestamp, position = stamped
        gap = _AFTER_STAMP.match(text, position)
        if gap is None:
            if strict:
                raise ParseError(f"syslog: expecting a space after the timestamp at column {position}")
            return None
        position = gap.end()
        if _TAG.match(text, position) is None:
            host = _HOSTNAME.match(text, position)
            if host is not None:
                hostname, position = host.group(1), host.end()
    appname = procid = None
    tag = _TAG.match(text, position)
    if tag is not None:
        appname, procid = tag.group(1), tag.group(2) or None
        position = tag.end()
    return SyslogHeader(
        flavor=SyslogFlavor.RFC3164,
        body=text[position:],
        priority=priority,
        timestamp=timestamp,
        hostname=hostname,
        appname=appname,
        procid=procid,
    )


def split_syslog(
    text: str, received: datetime | None = None, zone: tzinfo = UTC, *, strict: bool = False
) -> SyslogHeader | None:
    """The syslog header at the start of `text`, or None when there is none.

    RFC 5424 is recognised by '<PRI>VERSION '; anything else with a PRI or a leading timestamp
    is read as RFC 3164. With `strict` a line that is not syslog, or a broken RFC 5424 header,
    raises ParseError with the reason; without it the answer is None (never an exception)."""
    moment = received or datetime.now(UTC)
    if text.startswith("<"):
        pri = _PRI.match(text)
        if pri is not None and _VERSION.match(text, pri.end()) is not None:
            header = _parse_5424(text, strict=strict)
            if header is not None or strict:
                return header
        if strict and pri is not None:
            _refuse_bad_start(text, pri.end())
    return _parse_3164(text, moment, zone, strict=strict)


def _refuse_bad_start(text: str, position: int) -> None:
    """Strict reading: after <PRI> comes a VERSION (RFC 5424), a timestamp or the message (RFC 3164)."""
    rest = text[position:]
    if rest[:1].isspace():
        raise ParseError(f"syslog: expecting a version, a timestamp or a message at column {position}")
    if rest[:1].isdigit() and not _ISO_STAMP.match(rest) and not _CISCO_SEQUENCE.match(rest):
        raise ParseError(explain_5424(text))
