"""Web server access logs (Apache and nginx, Common and Combined Log Format) to ECS web events.

Accepted shape: `[vhost[:port]] client ident user [time] "request" status bytes ["referrer" "agent"]`,
where the client may be an address list (`$proxy_add_x_forwarded_for`: the last entry is the peer).
After the agent: optionally the forwarded-for list (nginx's default `main` format ends with
`"$http_x_forwarded_for"`; `X-Forwarded-For="..."` is accepted too) and one request time: a decimal
is seconds (nginx `$request_time`), a whole number microseconds (Apache `%D`). Anything else after the
agent is kept in `<module>.access.extra`, not guessed at. mod_ssl's default `ssl_request_log` line
(`[time] client protocol cipher "request" bytes`) is read too."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Final

from socflow.normalize.ecs import ECSDocument, put, put_port, put_time, put_user
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec
from socflow.normalize.web_request import put_forwarded, put_peer, put_request_line, split_chain, url_host

_QUOTED: Final = r'"(?:[^"\\]|\\.)*"'
_TAIL: Final = (
    rf"\[(?P<time>\d[^\]]*)\] (?P<request>{_QUOTED}) (?P<status>\d{{3}}|-) (?P<bytes>\d+|-)"
    rf"(?: (?P<referrer>{_QUOTED}) (?P<agent>{_QUOTED}))?(?P<rest>.*)"
)
# `head` is everything before ident and user: client, or vhost + client, or an address list.
_LINE: Final = re.compile(rf"(?P<head>[^\[\]\s][^\[\]]*?) (?P<ident>\S+) (?P<user>\S+) {_TAIL}", re.DOTALL)
_LINE_ANYWHERE: Final = re.compile(rf"(?:^|\s)(?P<head>\S+) (?P<ident>\S+) (?P<user>\S+) {_TAIL}", re.DOTALL)
_SSL_REQUEST: Final = re.compile(
    rf"\[(?P<time>\d[^\]]*)\] (?P<client>\S+) (?P<protocol>\S+) (?P<cipher>\S+) (?P<request>{_QUOTED})"
    r" (?P<bytes>\d+|-)\s*"
)
_TIME: Final = re.compile(
    r"(\d{1,2})/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? ([+-])(\d\d)(\d\d)"
)
_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_SNIFF: Final = re.compile(r" \S+ \S+ \[\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}\] \"")
_SNIFF_SSL: Final = re.compile(
    r"\[\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}\] \S+ \S+ \S+ \""
)
_REST: Final = re.compile(
    r'(?:\s+(?:X-Forwarded-For=)?(?P<forwarded>"[^"]*"))?'
    r"(?:\s+(?:(?P<seconds>\d+\.\d+)|(?P<micros>\d+)))?\s*"
)
_VHOST: Final = re.compile(
    r"(?P<name>[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>\d{1,5}))?|[0-9A-Fa-f:]+"
)
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


def _put_head(doc: ECSDocument, head: str) -> None:
    """Client (source.*), virtual host (destination.* and url.*) and forwarded-for chain from `head`."""
    tokens = head.split()
    listed = any(token.startswith('"') or token.endswith(",") for token in tokens)
    if len(tokens) > 2 and not listed:  # words before the entry (e.g. a log shipper's prefix)
        tokens = tokens[-1:]
    vhost = None
    if len(tokens) > 1 and not tokens[0].startswith('"') and not tokens[0].endswith(","):
        vhost = tokens.pop(0)
    chain = split_chain(" ".join(tokens))
    if not chain:
        return
    put_peer(doc, "source", chain[-1])  # the connection's peer; the entries before it were forwarded
    put_forwarded(doc, chain[:-1])
    found = _VHOST.fullmatch(vhost) if vhost else None
    if found is not None and vhost is not None and vhost != "-":
        name = url_host(found["name"] or vhost)
        put_peer(doc, "destination", name)
        put(doc, "url.domain", name)
        put_port(doc, "destination.port", found["port"])
        put_port(doc, "url.port", found["port"])


def _put_request(doc: ECSDocument, request: str, module: str) -> None:
    if request in ("", "-"):  # no request line arrived (e.g. a connection closed by a timeout)
        return
    if not put_request_line(doc, request):
        put(doc, f"{module}.access.malformed_request", request)  # e.g. a TLS handshake sent to a plain port


def _put_rest(doc: ECSDocument, rest: str, module: str) -> None:
    if not rest.strip():
        return
    found = _REST.fullmatch(rest)
    if found is None:
        put(doc, f"{module}.access.extra", rest.strip())
        return
    if found["forwarded"]:
        put_forwarded(doc, split_chain(found["forwarded"]))
    if found["seconds"]:
        put(doc, "event.duration", int(float(found["seconds"]) * 1_000_000_000))
    elif found["micros"]:
        put(doc, "event.duration", int(found["micros"]) * 1000)


def _start(text: str, module: str, moment: datetime) -> ECSDocument:
    doc: ECSDocument = {}
    put(doc, "event.original", text)
    put(doc, "event.dataset", f"{module}.access")
    put(doc, "event.module", module)
    put(doc, "service.type", module)  # the server logs itself: it is the service, not an observer
    put(doc, "event.kind", "event")
    put(doc, "event.category", ["web"])
    put_time(doc, moment)
    return doc


def _parse_ssl_request(text: str, module: str) -> ECSDocument | None:
    """mod_ssl's `ssl_request_log`: `%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b`."""
    found = _SSL_REQUEST.fullmatch(text)
    if found is None:
        return None
    doc = _start(text, module, _time(found["time"]))
    put(doc, "event.type", ["access"])
    put_peer(doc, "source", found["client"])
    protocol, _, version = found["protocol"].lower().partition("v")  # "TLSv1.3" -> tls 1.3
    if version:
        put(doc, "tls.version_protocol", protocol)
        put(doc, "tls.version", version)
    put(doc, "tls.cipher", found["cipher"] if found["cipher"] != "-" else None)
    _put_request(doc, _unquote(found["request"]), module)
    if found["bytes"].isdigit():
        put(doc, "http.response.body.bytes", int(found["bytes"]))
    return doc


def _parse(text: str, module: str) -> ECSDocument | None:
    line = text.rstrip("\r\n")
    if line.startswith("["):
        return _parse_ssl_request(line, module)
    found = _LINE.match(line) or _LINE_ANYWHERE.search(line)
    if found is None:
        return None
    doc = _start(text, module, _time(found["time"]))
    _put_head(doc, found["head"])
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
    if text.startswith("["):
        return _SNIFF_SSL.match(text) is not None
    return '] "' in text and _SNIFF.search(text) is not None


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
