"""Web server error logs (Apache httpd 2.2/2.4 ErrorLog, nginx error_log) to ECS web events."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, put, put_ip, put_port, put_time
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec
from socflow.normalize.web_request import put_host_header, put_peer, put_request_line

_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# [Thu Dec 03 17:30:00.123456 2026] [core:error] [pid 1234:tid 5678] [client 192.0.2.5:51514] AH00126: text
_APACHE: Final = re.compile(
    r"\[(?:[A-Z][a-z]{2}) (?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) "
    r"(?P<clock>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,6}))? "
    r"(?P<year>\d{4})\] \[(?:(?P<module>[\w-]+):)?(?P<level>[a-z]+\d?)\]"
    r"(?: \[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])?"
    r"(?: (?P<origin>[\w.-]+)\((?P<origin_line>\d+)\):)?"  # %F: source file(line), at debug and trace
    r"(?: \((?P<errno>-?\d+)\)(?P<errtext>[^:\[]*):)?"  # %E: the OS / APR error
    r"(?: \[client (?P<client>[^\]]+)\])?"
    r" (?P<message>.*)",
    re.DOTALL,
)
# Written to the ErrorLog before it has its format (startup on stderr): only the message ID and text.
_APACHE_BARE: Final = re.compile(r"(?P<code>AH\d{5}): \S.*", re.DOTALL)
_APACHE_CODE: Final = re.compile(r"AH\d{5}(?=:)")
_APACHE_REFERER: Final = re.compile(r", referer: (?P<referer>\S+)$")
# Messages that name the file the request resolved to (2.2 text, then 2.4's message IDs).
_APACHE_FILE_MESSAGES: Final = (
    "File does not exist: ",
    "script not found or unable to stat: ",
    "client denied by server configuration: ",
    "Directory index forbidden by Options directive: ",
)
# 2026/12/03 17:30:00 [error] 1234#1234: *5 text, client: 192.0.2.5, server: example.com, request: "..."
_NGINX: Final = re.compile(
    r"(?P<date>\d{4}/\d\d/\d\d) (?P<clock>\d\d:\d\d:\d\d) "
    r"\[(?P<level>debug|info|notice|warn|error|crit|alert|emerg)\] (?P<pid>\d+)#(?P<tid>\d+): "
    r"(?:\*(?P<connection>\d+) )?(?P<message>.*)",
    re.DOTALL,
)
_NGINX_CLIENT: Final = re.compile(r", client: (?P<client>[0-9A-Fa-f:.]+)")
_NGINX_SERVER: Final = re.compile(r", server: (?P<server>[^,\s]*)")
_NGINX_REQUEST: Final = re.compile(r', request: "(?P<line>[^"]+)"')
_NGINX_HOST: Final = re.compile(r', host: "(?P<host>[^"]+)"')
_NGINX_REFERRER: Final = re.compile(r', referrer: "(?P<referrer>[^"]+)"')
_CLIENT_PORT: Final = re.compile(r"(?P<ip>.+?)(?::(?P<port>\d+))?$")
# Both servers use syslog's level names (Apache 2.4 also has trace1..trace8).
_SEVERITY: Final = {
    "emerg": 0,
    "alert": 1,
    "crit": 2,
    "error": 3,
    "warn": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}


def _base(doc: ECSDocument, text: str, module: str, level: str) -> None:
    put(doc, "event.original", text)
    put(doc, "event.dataset", f"{module}.error")
    put(doc, "event.module", module)
    put(doc, "service.type", module)
    put(doc, "event.kind", "event")
    put(doc, "event.category", ["web"])
    severity = _SEVERITY.get(level, 7 if level.startswith("trace") else None)
    put(doc, "log.level", level)
    put(doc, "event.severity", severity)
    put(doc, "event.type", ["error"] if severity is not None and severity <= 3 else ["info"])


def _moment(
    year: int, month: int, day: int, clock: str, fraction: str | None, context: ParseContext
) -> datetime:
    hour, minute, second = (int(part) for part in clock.split(":"))
    try:
        moment = datetime(year, month, day, hour, minute, second, int((fraction or "0").ljust(6, "0")))
    except ValueError:
        raise ParseError(f"error log time {year}-{month}-{day} {clock} is not a real date") from None
    return canonical.to_utc(moment, context.zone)


def _apache_bare(text: str) -> ECSDocument | None:
    found = _APACHE_BARE.fullmatch(text.strip())
    if found is None:
        return None
    doc: ECSDocument = {}
    # APLOG_STARTUP messages are written without a header, so their level is not in the line:
    # no log.level nor event.severity, and event.type "info" as for any level without a severity.
    _base(doc, text, "apache", "")
    put(doc, "event.code", found["code"])
    put(doc, "message", found[0])
    return doc


def _put_apache_message(doc: ECSDocument, message: str) -> None:
    """message as logged (message ID included), event.code, the referer and a named file."""
    put(doc, "message", message)
    code = _APACHE_CODE.match(message)
    put(doc, "event.code", code[0] if code else None)
    referer = _APACHE_REFERER.search(message) if ", referer: " in message else None
    if referer is not None:
        put(doc, "http.request.referrer", referer["referer"])
        message = message[: referer.start()]
    if ": /" not in message:
        return
    for prefix in _APACHE_FILE_MESSAGES:
        _, found, path = message.partition(prefix)
        if found and path.startswith("/"):
            put(doc, "file.path", path)
            return


def _put_apache_client(doc: ECSDocument, client: str | None) -> None:
    """2.4 logs `ip:port`, 2.2 the bare address; an IPv6 address's last group may look like a port."""
    found = _CLIENT_PORT.match(client or "")
    if found is None or not client:
        return
    address, port = found["ip"], found["port"]
    if not put_ip(doc, "source.ip", address) and port:
        address, port = client, None  # an IPv6 address without a port
        put_ip(doc, "source.ip", address)
    put(doc, "source.address", address)
    put_port(doc, "source.port", port)


def parse_apache_error(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for an Apache ErrorLog line; None when the line is not one."""
    found = _APACHE.match(text.strip())
    if found is None or found["mon"] not in _MONTHS:
        return _apache_bare(text) if text.startswith("AH") else None
    doc: ECSDocument = {}
    _base(doc, text, "apache", found["level"])
    moment = _moment(
        int(found["year"]), _MONTHS[found["mon"]], int(found["day"]), found["clock"], found["frac"], context
    )
    put_time(doc, moment)
    put(doc, "apache.error.module", found["module"])
    if found["pid"]:
        put(doc, "process.pid", int(found["pid"]))
    if found["tid"]:
        put(doc, "process.thread.id", int(found["tid"]))
    put(doc, "log.origin.file.name", found["origin"])
    if found["origin_line"]:
        put(doc, "log.origin.file.line", int(found["origin_line"]))
    put(doc, "error.code", found["errno"])
    put(doc, "error.message", (found["errtext"] or "").strip())
    _put_apache_client(doc, found["client"])
    _put_apache_message(doc, found["message"].strip())
    return doc


def parse_nginx_error(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for an nginx error_log line; None when the line is not one."""
    found = _NGINX.match(text.strip())
    if found is None:
        return None
    doc: ECSDocument = {}
    _base(doc, text, "nginx", found["level"])
    year, month, day = (int(part) for part in found["date"].split("/"))
    put_time(doc, _moment(year, month, day, found["clock"], None, context))
    put(doc, "process.pid", int(found["pid"]))
    put(doc, "process.thread.id", int(found["tid"]))
    if found["connection"]:
        put(doc, "nginx.error.connection_id", int(found["connection"]))
    message = found["message"].strip()
    put(doc, "message", message)  # whole: the context after ", client:" is part of what nginx said
    if ", client: " not in message:
        return doc
    client = _NGINX_CLIENT.search(message)
    put_peer(doc, "source", client["client"] if client else "")
    server = _NGINX_SERVER.search(message)
    put(doc, "nginx.error.server", server["server"] if server else None)
    request = _NGINX_REQUEST.search(message)
    if request is not None:
        put_request_line(doc, request["line"])
    host = _NGINX_HOST.search(message)
    if host is not None:
        put_host_header(doc, host["host"])
    referrer = _NGINX_REFERRER.search(message)
    put(doc, "http.request.referrer", referrer["referrer"] if referrer else None)
    return doc


def sniff_apache_error(text: str) -> bool:
    if text.startswith("AH"):
        return _APACHE_BARE.fullmatch(text.strip()) is not None
    return text.startswith("[") and _APACHE.match(text) is not None


def sniff_nginx_error(text: str) -> bool:
    return text[:1].isdigit() and _NGINX.match(text) is not None


APACHE_ERROR: Final = ParserSpec(
    name="apache-error",
    parse=parse_apache_error,
    sniff=sniff_apache_error,
    priority=40,
    dataset="apache.error",
    description="Apache httpd ErrorLog (2.2 and 2.4 formats)",
)
NGINX_ERROR: Final = ParserSpec(
    name="nginx-error",
    parse=parse_nginx_error,
    sniff=sniff_nginx_error,
    priority=40,
    dataset="nginx.error",
    description="nginx error_log",
)
