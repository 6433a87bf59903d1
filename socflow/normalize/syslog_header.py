"""RFC 3164 and RFC 5424 syslog headers: split one off a line, and merge its fields into a document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, put_host
from socflow.normalize.registry import ParseError


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


@dataclass(frozen=True, slots=True)
class SyslogHeader:
    """The header fields of one syslog line (None where absent or NILVALUE) and the message after it."""

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


def _nil(value: str) -> str | None:
    return None if value == "-" else value


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
    if text == "-":
        return None
    return canonical.parse_iso(text)


def _parse_5424(text: str, *, strict: bool) -> SyslogHeader | None:
    match = _HEADER_5424.match(text)
    if match is None:
        if strict:
            raise ParseError(_explain_5424(text))
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
    return SyslogHeader(
        flavor=SyslogFlavor.RFC5424,
        body=message,
        priority=priority,
        version=int(match.group("ver")),
        timestamp=timestamp,
        hostname=_nil(match.group("host")),
        appname=_nil(match.group("app")),
        procid=_nil(match.group("proc")),
        msgid=_nil(match.group("msgid")),
        structured_data=structured,
    )


_FIELDS_5424: Final = (
    ("hostname", 255),
    ("app-name", 48),
    ("procid", 128),
    ("msgid", 32),
)


def _explain_5424(text: str) -> str:
    """Why a line that starts like RFC 5424 does not match its header grammar (slow path, errors only)."""
    pri = _PRI.match(text)
    if pri is None:
        return "RFC 5424: expecting a priority value within angle brackets"
    version = _VERSION.match(text, pri.end())
    if version is None or version.group(1).startswith("0"):
        return f"RFC 5424: expecting a version number from 1 to 999 at column {pri.end()}"
    tokens = text[version.end() :].split(" ", 6)
    if not tokens[0]:
        return "RFC 5424: expecting a timestamp or '-'"
    if tokens[0] != "-":
        return f"RFC 5424: invalid timestamp {tokens[0]!r}"
    for index, (field, limit) in enumerate(_FIELDS_5424, start=1):
        if index >= len(tokens) or not tokens[index]:
            return f"RFC 5424: expecting a {field} or '-'"
        token = tokens[index]
        if len(token) > limit:
            return f"RFC 5424: {field} is longer than {limit} characters"
        if not all("!" <= char <= "~" for char in token):
            return f"RFC 5424: {field} {token!r} contains characters outside printable US-ASCII"
    return "RFC 5424: expecting structured data after the message id"


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


def _parse_3164(text: str, received: datetime, zone: tzinfo, *, strict: bool) -> SyslogHeader | None:
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
        raise ParseError(_explain_5424(text))


def merge_header(doc: ECSDocument, header: SyslogHeader) -> None:
    """Header fields into `doc` without overriding what the message's own parser found.

    This runs for nearly every message, so it builds the small dicts directly instead of going
    through the dotted-path setters."""
    if header.timestamp is not None and "@timestamp" not in doc:
        doc["@timestamp"] = canonical.format_time(header.timestamp)
    host = doc.get("host")
    if header.hostname and (not isinstance(host, dict) or ("name" not in host and "ip" not in host)):
        put_host(doc, "host", header.hostname)
    syslog: dict[str, object] = {}
    if header.priority is not None:
        facility, severity = divmod(header.priority, 8)
        syslog["priority"] = header.priority
        syslog["facility"] = {"code": facility, "name": FACILITY_NAMES[facility]}
        syslog["severity"] = {"code": severity, "name": SEVERITY_NAMES[severity]}
    if header.version is not None:
        syslog["version"] = header.version
    if header.hostname is not None:
        syslog["hostname"] = header.hostname
    if header.appname is not None:
        syslog["appname"] = header.appname
    if header.procid is not None:
        syslog["procid"] = header.procid
    if header.msgid is not None:
        syslog["msgid"] = header.msgid
    if header.structured_data is not None:
        syslog["structured_data"] = header.structured_data
    if syslog:
        log = doc.get("log")
        if not isinstance(log, dict):
            log = doc["log"] = {}
        existing = log.get("syslog")
        log["syslog"] = {**syslog, **existing} if isinstance(existing, dict) else syslog
        if header.priority is not None and "level" not in log:
            log["level"] = SEVERITY_NAMES[header.priority % 8]
    if header.appname or header.procid:
        _merge_process(doc, header)


def _merge_process(doc: ECSDocument, header: SyslogHeader) -> None:
    process = doc.get("process")
    if isinstance(process, dict) and process:
        # The message describes a process of its own (sudo's command, a Windows process): the
        # header's program and pid belong to the logger, and stay in log.syslog.appname/procid.
        return
    if not isinstance(process, dict):
        process = doc["process"] = {}
    if header.appname and "name" not in process:
        process["name"] = header.appname
    if header.procid and header.procid.isdigit() and "pid" not in process:
        process["pid"] = int(header.procid)
    if not process:
        del doc["process"]
