"""Web server error logs (Apache httpd 2.2/2.4 ErrorLog, nginx error_log) to ECS web events."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, put, put_ip, put_port, put_time
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

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
    r"(?: \[client (?P<client>[^\]]+)\])?"
    r" (?:(?P<code>AH\d{5}): )?(?P<message>.*)",
    re.DOTALL,
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
_NGINX_REQUEST: Final = re.compile(
    r', request: "(?P<method>[A-Z]+) (?P<target>\S+)(?: HTTP/(?P<version>[\d.]+))?"'
)
_NGINX_HOST: Final = re.compile(r', host: "(?P<host>[^"]+)"')
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


def parse_apache_error(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for an Apache ErrorLog line; None when the line is not one."""
    found = _APACHE.match(text.strip())
    if found is None or found["mon"] not in _MONTHS:
        return None
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
    client = _CLIENT_PORT.match(found["client"] or "")
    if client is not None and found["client"]:
        address, port = client["ip"], client["port"]
        if not put_ip(doc, "source.ip", address) and port:
            put_ip(doc, "source.ip", f"{address}:{port}")  # an IPv6 address without a port
            port = None
        put_port(doc, "source.port", port)
    put(doc, "error.code", found["code"])
    put(doc, "message", found["message"].strip())
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
    put(doc, "nginx.error.connection_id", found["connection"])
    message = found["message"]
    client = _NGINX_CLIENT.search(message)
    put_ip(doc, "source.ip", client["client"] if client else None)
    server = _NGINX_SERVER.search(message)
    put(doc, "nginx.error.server", server["server"] if server else None)
    request = _NGINX_REQUEST.search(message)
    if request is not None:
        put(doc, "http.request.method", request["method"])
        put(doc, "url.original", request["target"])
        put(
            doc,
            "url.path",
            request["target"].partition("?")[0] if request["target"].startswith("/") else None,
        )
        put(doc, "http.version", request["version"])
    host = _NGINX_HOST.search(message)
    put(doc, "url.domain", host["host"].lower() if host else None)
    first = client.start() if client is not None else len(message)
    put(doc, "message", message[:first].strip())
    return doc


def sniff_apache_error(text: str) -> bool:
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
