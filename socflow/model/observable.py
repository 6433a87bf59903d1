"""Observable types and the canonical form of each value, so one indicator is one row everywhere."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from socflow.errors import Issue, ValidationFailed


class ObservableType(StrEnum):
    IP = "ip"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    EMAIL = "email"
    USER = "user"
    HOST = "host"
    FILE_NAME = "file_name"
    REGISTRY_KEY = "registry_key"
    PROCESS = "process"


MAX_VALUE_LENGTH: Final = 2048
_HEX_LENGTH: Final = {ObservableType.MD5: 32, ObservableType.SHA1: 40, ObservableType.SHA256: 64}
_HEX = re.compile(r"^[0-9a-f]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_HIVES: Final = {
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKCU": "HKEY_CURRENT_USER",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKU": "HKEY_USERS",
    "HKCC": "HKEY_CURRENT_CONFIG",
}


def _ip(value: str) -> str:
    address = ipaddress.ip_address(value.strip().strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a valid domain name: {exc}") from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("not a valid domain name")
    return name


def _url(value: str) -> str:
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.hostname:  # netloc alone lets "http://user@/" or "http://:80/" in
        raise ValueError("a URL needs a scheme and a host")
    netloc = parts.hostname.lower()
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, parts.fragment))


def _hasher(kind: ObservableType) -> Callable[[str], str]:
    def canonical(value: str) -> str:
        digest = value.strip().lower()
        if len(digest) != _HEX_LENGTH[kind] or not _HEX.match(digest):
            raise ValueError(f"a {kind} hash is {_HEX_LENGTH[kind]} hexadecimal digits")
        return digest

    return canonical


def _email(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        raise ValueError("an email address needs a local part and a domain")
    return f"{local.lower()}@{_domain(domain)}"


def _user(value: str) -> str:
    text = value.strip()
    if "\\" in text:
        domain, _, name = text.partition("\\")
        return f"{domain.upper()}\\{name.lower()}"
    return text.lower()


def _host(value: str) -> str:
    return value.strip().rstrip(".").lower()


def _registry_key(value: str) -> str:
    hive, sep, rest = value.strip().replace("/", "\\").partition("\\")
    hive = _HIVES.get(hive.upper(), hive.upper())
    return f"{hive}{sep}{rest}"


def _as_is(value: str) -> str:
    return value.strip()


_CANONICALIZERS: Final[dict[ObservableType, Callable[[str], str]]] = {
    ObservableType.IP: _ip,
    ObservableType.DOMAIN: _domain,
    ObservableType.URL: _url,
    ObservableType.MD5: _hasher(ObservableType.MD5),
    ObservableType.SHA1: _hasher(ObservableType.SHA1),
    ObservableType.SHA256: _hasher(ObservableType.SHA256),
    ObservableType.EMAIL: _email,
    ObservableType.USER: _user,
    ObservableType.HOST: _host,
    ObservableType.FILE_NAME: _as_is,
    ObservableType.REGISTRY_KEY: _registry_key,
    ObservableType.PROCESS: _as_is,
}


def canonical_value(kind: ObservableType, value: str, *, path: str = "value") -> str:
    """The one spelling of `value` for its type; refuses a value that is not of that type."""
    if not value or not value.strip():
        raise ValidationFailed(f"{path} must not be empty", issues=[Issue(path, "must not be empty")])
    try:
        canonical = _CANONICALIZERS[kind](value)
    except ValueError as exc:
        message = f"{value!r} is not a valid {kind}: {exc}"
        raise ValidationFailed(message, issues=[Issue(path, message)]) from None
    if len(canonical) > MAX_VALUE_LENGTH:  # the stored column's size; PostgreSQL would refuse it late
        message = f"a {kind} value is at most {MAX_VALUE_LENGTH} characters"
        raise ValidationFailed(message, issues=[Issue(path, message)])
    return canonical
