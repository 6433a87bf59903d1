"""Web server access logs (Apache and nginx, Common and Combined Log Format) to ECS web events.

Accepted shape: `[vhost[:port]] client ident user [time] "request" status bytes ["referrer" "agent"]`
and then optionally one request time: a decimal one is seconds (nginx `$request_time`), a whole
number is microseconds (Apache `%D`). Anything else after the agent is kept in
`<module>.access.extra`, not guessed at."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Final

from socflow.normalize.ecs import ECSDocument, put, put_ip, put_port, put_time, put_user
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

_QUOTED: Final = r'"(?:[^"\\]|\\.)*"'
_BODY: Final = (
    r"(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>\d[^\]]*)\] "
    rf"(?P<request>{_QUOTED}) (?P<status>\d{{3}}|-) (?P<bytes>\d+|-)"
    rf"(?: (?P<referrer>{_QUOTED}) (?P<agent>{_QUOTED}))?(?P<rest>.*)"
)
_LINE: Final = re.compile(rf"(?:(?P<vhost>[^\s\[\"]+) )?{_BODY}", re.DOTALL)
_LINE_ANYWHERE: Final = re.compile(rf"(?:^|\s){_BODY}", re.DOTALL)
_TIME: Final = re.compile(
    r"(\d{1,2})/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? ([+-])(\d\d)(\d\d)"
)
_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_REQUEST: Final = re.compile(r"(?P<method>[A-Z][A-Z_-]{0,19}) (?P<target>\S+)(?: HTTP/(?P<version>[\d.]+))?")
_SNIFF: Final = re.compile(
    r"(?:\S+ )?\S+ \S+ \S+ \[\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}\] \""
)
_DURATION: Final = re.compile(r"\s*(?P<seconds>\d+\.\d+)|\s*(?P<micros>\d+)")
_UNESCAPE: Final = re.compile(r"\\([\"\\])")


def _unquote(value: str | None) -> str:
    if not value or len(value) < 2:
        return ""
    inner = value[1:-1]
    return _UNESCAPE.sub(r"\1", inner) if "\\" in inner else inner


def _time(text: str) -> datetime:
    found = _TIME.fullmatch(text)
    if found is None or found[2] not in _MONTHS:
        raise ParseError(f"access log time {text!r} is not dd/Mon/yyyy:HH:MM:SS +zzzz")
    day, _, year, hour, minute, second, fraction, sign, off_hours, off_minutes = found.groups()
    offset = timedelta(hours=int(off_hours), minutes=int(off_minutes))
    try:
        return datetime(
            int(year),
            _MONTHS[found[2]],
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=timezone(-offset if sign == "-" else offset),
        )
    except ValueError:
        raise ParseError(f"access log time {text!r} is not a real date") from None


def _put_client(doc: ECSDocument, client: str) -> None:
    if put_ip(doc, "source.ip", client):
        return
    if client != "-":
        put(doc, "source.domain", client.lower())


def _put_request(doc: ECSDocument, request: str, module: str) -> None:
    found = _REQUEST.fullmatch(request)
    if found is None:
        put(doc, f"{module}.access.malformed_request", request)  # e.g. a TLS handshake sent to a plain port
        return
    put(doc, "http.request.method", found["method"])
    target = found["target"]
    put(doc, "url.original", target)
    if target.startswith("/"):
        path, _, query = target.partition("?")
        put(doc, "url.path", path)
        put(doc, "url.query", query)
    put(doc, "http.version", found["version"])


def _put_rest(doc: ECSDocument, rest: str, module: str) -> None:
    if not rest.strip():
        return
    duration = _DURATION.fullmatch(rest.rstrip())
    if duration is None:
        put(doc, f"{module}.access.extra", rest.strip())
    elif duration["seconds"]:
        put(doc, "event.duration", int(float(duration["seconds"]) * 1_000_000_000))
    else:
        put(doc, "event.duration", int(duration["micros"]) * 1000)


def _parse(text: str, module: str) -> ECSDocument | None:
    line = text.rstrip("\r\n")
    found = _LINE.match(line) or _LINE_ANYWHERE.search(line)
    if found is None:
        return None
    doc: ECSDocument = {}
    put(doc, "event.original", text)
    put(doc, "event.dataset", f"{module}.access")
    put(doc, "event.module", module)
    put(doc, "service.type", module)  # the server logs itself: it is the service, not an observer
    put(doc, "event.kind", "event")
    put(doc, "event.category", ["web"])
    put_time(doc, _time(found["time"]))
    groups = found.groupdict()
    vhost = groups.get("vhost")
    if vhost and vhost != "-":
        name, colon, port = vhost.rpartition(":") if vhost.count(":") == 1 else ("", "", "")
        put(doc, "url.domain", (name if colon else vhost).lower())
        put_port(doc, "url.port", port if colon else None)
        put(doc, "destination.domain", (name if colon else vhost).lower())
    _put_client(doc, found["client"])
    put_user(doc, "user", found["user"])
    _put_request(doc, _unquote(found["request"]), module)
    status = found["status"]
    if status.isdigit():
        code = int(status)
        put(doc, "http.response.status_code", code)
        put(doc, "event.outcome", "success" if code < 400 else "failure")
        put(doc, "event.type", ["access"] if code < 400 else ["access", "error"])
    else:
        put(doc, "event.type", ["access"])
    if found["bytes"].isdigit():
        put(doc, "http.response.body.bytes", int(found["bytes"]))
    referrer = _unquote(found["referrer"])
    put(doc, "http.request.referrer", referrer if referrer != "-" else None)
    agent = _unquote(found["agent"])
    put(doc, "user_agent.original", agent if agent != "-" else None)
    _put_rest(doc, found["rest"], module)
    return doc


def parse_apache(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for an Apache httpd access line; None when it is not CLF/Combined."""
    return _parse(text, "apache")


def parse_nginx(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for an nginx access line; None when it is not CLF/Combined."""
    return _parse(text, "nginx")


def sniff(text: str) -> bool:
    return '] "' in text and _SNIFF.match(text) is not None


APACHE: Final = ParserSpec(
    name="apache",
    parse=parse_apache,
    sniff=sniff,
    priority=40,
    dataset="apache.access",
    description="Apache httpd access log: Common, Combined, vhost_combined, optional request time",
)
# nginx's default "combined" format is byte for byte Apache's, so auto detection cannot tell them
# apart: it picks "apache"; choose "nginx" explicitly for an nginx source.
NGINX: Final = ParserSpec(
    name="nginx",
    parse=parse_nginx,
    sniff=None,
    priority=40,
    dataset="nginx.access",
    description="nginx access log: combined / common, optional $request_time",
)
