"""Shared pieces of the Windows ECS mapping: field access, people, processes, and code tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from socflow.normalize.ecs import ECSDocument, add_related, node_at, put, put_in, put_ip, put_port, put_user
from socflow.normalize.windows_event import integer

# Values Windows writes for "nothing here".
_EMPTY: Final = frozenset({"", "-", "%%1793", "NULL SID", "(null)"})

LOGON_TYPES: Final[dict[int, str]] = {
    0: "System",
    2: "Interactive",
    3: "Network",
    4: "Batch",
    5: "Service",
    7: "Unlock",
    8: "NetworkCleartext",
    9: "NewCredentials",
    10: "RemoteInteractive",
    11: "CachedInteractive",
    12: "CachedRemoteInteractive",
    13: "CachedUnlock",
}

# NTSTATUS codes that explain a failed logon (4625 Status/SubStatus, 4776 Status).
LOGON_FAILURES: Final[dict[str, str]] = {
    "0xc0000064": "user name does not exist",
    "0xc000006a": "wrong password",
    "0xc000006d": "bad user name or password",
    "0xc000006e": "account restriction",
    "0xc000006f": "logon outside allowed hours",
    "0xc0000070": "workstation restriction",
    "0xc0000071": "password expired",
    "0xc0000072": "account disabled",
    "0xc0000133": "clock skew between client and domain controller",
    "0xc000015b": "logon type not granted",
    "0xc0000193": "account expired",
    "0xc0000224": "password must change at next logon",
    "0xc0000234": "account locked out",
    "0xc0000413": "authentication firewall refused the logon",
}

# Kerberos result codes (4768/4769/4771 Status), as RFC 4120 names them.
KERBEROS_RESULTS: Final[dict[int, str]] = {
    0x0: "KDC_ERR_NONE",
    0x6: "KDC_ERR_C_PRINCIPAL_UNKNOWN",
    0x7: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
    0xC: "KDC_ERR_POLICY",
    0x12: "KDC_ERR_CLIENT_REVOKED",
    0x17: "KDC_ERR_KEY_EXPIRED",
    0x18: "KDC_ERR_PREAUTH_FAILED",
    0x19: "KDC_ERR_PREAUTH_REQUIRED",
    0x1F: "KRB_AP_ERR_BAD_INTEGRITY",
    0x20: "KRB_AP_ERR_TKT_EXPIRED",
    0x25: "KRB_AP_ERR_SKEW",
}


class Fields:
    """Read access to EventData/UserData that treats Windows' placeholders ("-", "%%1793") as absent."""

    __slots__ = ("values",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def __repr__(self) -> str:
        return f"Fields({self.values!r})"

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        value = value.strip()
        return None if value in _EMPTY else value

    def number(self, name: str) -> int | None:
        value = self.get(name)
        if value is not None and len(value) < 19 and value.isdecimal():  # "7760": what `integer` reads
            return int(value)
        return integer(value)


Fill = Callable[[ECSDocument, Fields], None]


@dataclass(frozen=True)
class Meaning:
    """What one event ID means in ECS terms, and how its data fills the document."""

    action: str
    category: tuple[str, ...]
    kind: tuple[str, ...]
    outcome: str | None
    fill: Fill


def basename(path: str) -> str:
    return path.replace("/", "\\").rsplit("\\", 1)[-1]


def put_account(doc: ECSDocument, prefix: str, fields: Fields, role: str) -> None:
    """`<prefix>.name/domain/id` from `<role>UserName`, `<role>DomainName`, `<role>UserSid`."""
    name = fields.get(f"{role}UserName")
    if name is not None:
        put_user(doc, prefix, name)
        domain = fields.get(f"{role}DomainName")
        put(doc, f"{prefix}.domain", domain.lower() if domain else None)  # canonical.user's form
    put(doc, f"{prefix}.id", fields.get(f"{role}UserSid") or fields.get(f"{role}Sid"))


def put_image(doc: ECSDocument, prefix: str, path: str | None) -> None:
    """`<prefix>.executable` and `<prefix>.name` from a Windows image path."""
    if not path:  # None or empty: nothing to write
        return
    node = node_at(doc, prefix)
    node["executable"] = path
    name = basename(path)
    if name:
        node["name"] = name


def put_source(doc: ECSDocument, fields: Fields, address: str, port: str) -> None:
    """source.ip / source.port; a name where an address belongs goes to source.domain."""
    value = fields.get(address)
    if value is not None and not put_ip(doc, "source.ip", value):
        put_in(doc, "source", "domain", value)
    put_port(doc, "source.port", fields.get(port))


def put_hashes(doc: ECSDocument, prefix: str, value: str | None) -> None:
    """Sysmon's "SHA1=..,MD5=..,SHA256=..,IMPHASH=.." into `<prefix>.hash.*` and related.hash."""
    if value is None:
        return
    for item in value.split(","):
        algorithm, equals, digest = item.partition("=")
        if not equals or not digest.strip():
            continue
        name = algorithm.strip().lower()
        digest = digest.strip().lower()
        if name == "imphash":
            put(doc, f"{prefix}.pe.imphash", digest)
        else:
            put(doc, f"{prefix}.hash.{name}", digest)
        add_related(doc, "hash", digest)


def put_logon_type(doc: ECSDocument, fields: Fields) -> None:
    code = fields.number("LogonType")
    if code is not None:
        put(doc, "winlog.logon.type", LOGON_TYPES.get(code, str(code)))
        put(doc, "winlog.logon.type_code", code)


def put_logon_failure(doc: ECSDocument, fields: Fields) -> None:
    for key, path in (("Status", "status"), ("SubStatus", "sub_status"), ("FailureReason", "reason")):
        value = fields.get(key)
        if value is None:
            continue
        put(doc, f"winlog.logon.failure.{path}", value)
        explained = LOGON_FAILURES.get(value.lower())
        if explained is not None and path != "reason":
            put_in(doc, "event", "reason", explained)


def put_kerberos_status(doc: ECSDocument, fields: Fields) -> None:
    """Outcome from a Kerberos result code: 0 is success, anything else a failure with its name."""
    code = fields.number("Status")
    if code is None:
        return
    put_in(doc, "event", "outcome", "success" if code == 0 else "failure")
    put(doc, "winlog.kerberos.status", KERBEROS_RESULTS.get(code, hex(code)))
