"""HTTP request lines, request targets and client address lists of web server logs, to ECS url/http/client."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from typing import Final
from urllib.parse import unquote, urlsplit

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, put, put_ip, put_port

REQUEST_LINE: Final = re.compile(
    r"(?P<method>[A-Z][A-Z_-]{0,19}) (?P<target>\S+)(?: HTTP/(?P<version>[\d.]+))?"
)
# "198.51.100.7:51514" or "[2001:db8::7]:51514": an address with the client's port.
_ADDRESS_PORT: Final = re.compile(r"\[?(?P<ip>[0-9A-Fa-f:.]+?)\]?:(?P<port>\d{1,5})")
_HOST_NAME: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?")
_AUTHORITY: Final = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/]+):(?P<port>\d{1,5})")
# A Host header (RFC 9110 7.2): `name[:port]`, `IPv4[:port]` or `[IPv6][:port]`.
_HOST_HEADER: Final = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::(?P<port>\d{1,5}))?")
# Addresses that say nothing about who the client is on the internet (RFC 1918, loopback,
# link-local, CGNAT, IPv6 ULA): the public client in an X-Forwarded-For chain is the first other one.
_INTERNAL: Final = tuple(
    ipaddress.ip_network(block)
    for block in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def _decoded(text: str) -> str:
    """Percent-decoded text (what a server resolves), the text itself when it is not valid UTF-8."""
    if "%" not in text:
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


def put_url_path(doc: ECSDocument, path: str, query: str | None) -> None:
    """url.path (decoded), url.extension (last segment's, without the dot) and url.query."""
    decoded = _decoded(path)
    put(doc, "url.path", decoded)
    segment = decoded.rpartition("/")[2]
    stem, dot, extension = segment.rpartition(".")
    if dot and extension and (stem or segment.startswith(".")):
        put(doc, "url.extension", extension)
    if query:
        put(doc, "url.query", _decoded(query))


def url_host(host: str) -> str:
    """url.domain for a URL's host: an IP in canonical text, a name in lower case. An IPv6 literal
    keeps its brackets, as ECS asks (url.domain, after RFC 2732): `[2001:db8::1]`."""
    try:
        address = canonical.ip(host)
    except ValueError:
        return host.lower()
    return f"[{address}]" if ":" in address else address


def put_host_header(doc: ECSDocument, host: str) -> None:
    """url.domain and url.port from a Host header value; a bare IPv6 address (no brackets) is read whole."""
    found = _HOST_HEADER.fullmatch(host)
    if found is not None:
        put(doc, "url.domain", url_host(found["host"]))
        put_port(doc, "url.port", found["port"])
    elif host.count(":") > 1:  # some clients send an IPv6 address without its brackets
        with contextlib.suppress(ValueError):
            put(doc, "url.domain", f"[{canonical.ip(host)}]")


def put_target(doc: ECSDocument, method: str, target: str) -> None:
    """url.* from a request target: origin form (/p?q), absolute form (proxies), or CONNECT authority."""
    put(doc, "url.original", target)
    if target.startswith("/"):
        path, _, query = target.partition("?")
        put_url_path(doc, path.partition("#")[0], query.partition("#")[0])
        return
    if "://" in target:
        try:
            parts = urlsplit(target)
            port = parts.port
        except ValueError:
            return
        put(doc, "url.full", target)
        put(doc, "url.scheme", parts.scheme.lower())
        put(doc, "url.domain", url_host(parts.hostname) if parts.hostname else None)
        put_port(doc, "url.port", port)
        if parts.path:
            put_url_path(doc, parts.path, parts.query)
        return
    authority = _AUTHORITY.fullmatch(target) if method == "CONNECT" else None
    if authority is not None:
        put(doc, "url.domain", url_host(authority["host"]))
        put_port(doc, "url.port", authority["port"])


def put_request_line(doc: ECSDocument, request: str) -> bool:
    """http.request.method, http.version and url.* from `METHOD target HTTP/x`; False if it is not one."""
    found = REQUEST_LINE.fullmatch(request)
    if found is None:
        return False
    put(doc, "http.request.method", found["method"])
    put_target(doc, found["method"], found["target"])
    put(doc, "http.version", found["version"])
    return True


def put_peer(doc: ECSDocument, prefix: str, address: str) -> None:
    """`<prefix>.address` as written, then .ip (+ .port) or .domain: a peer named by IP, IP:port or host."""
    if not address or address == "-":
        return
    put(doc, f"{prefix}.address", address)
    if put_ip(doc, f"{prefix}.ip", address):
        return
    with_port = _ADDRESS_PORT.fullmatch(address)
    if with_port is not None and put_ip(doc, f"{prefix}.ip", with_port["ip"]):
        put_port(doc, f"{prefix}.port", with_port["port"])
        return
    if _HOST_NAME.fullmatch(address):
        put(doc, f"{prefix}.domain", address.lower())


def _internal(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    return any(ip in block for block in _INTERNAL if block.version == ip.version)


def put_forwarded(doc: ECSDocument, chain: list[str]) -> None:
    """An X-Forwarded-For chain (client first, then each proxy): network.forwarded_ip is the
    original client as claimed, client.ip the first address of it that is not an internal one."""
    addresses = [entry for entry in chain if put_ip({}, "ip", entry)]
    if not addresses:
        return
    put_ip(doc, "network.forwarded_ip", addresses[0])
    put_ip(doc, "client.ip", next((entry for entry in addresses if not _internal(entry)), addresses[0]))


def split_chain(text: str) -> list[str]:
    """The entries of an address list as logged ("a, b", "a b", quoted or not), without blanks or "-"."""
    entries = text.replace('"', " ").replace(",", " ").split()
    return [entry for entry in entries if entry != "-"]
