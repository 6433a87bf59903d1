"""OpenSSH server (sshd) authentication and session messages to ECS authentication/session events."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from socflow.normalize.ecs import ECSDocument, put, put_ip, put_port, put_user
from socflow.normalize.registry import ParseContext, ParserSpec

DATASET: Final = "system.auth"

# A body may still carry the program tag when the sender's header was not recognised.
_PROGRAM: Final = re.compile(r"^sshd(?:-session)?(?:\[(?P<pid>\d+)\])?:\s*")
_REPEATED: Final = re.compile(r"^message repeated (?P<count>\d+) times: \[\s*(?P<inner>.*?)\s*\]$", re.DOTALL)
_PREAUTH: Final = re.compile(r"\s*\[preauth\]\s*$")
# An address, or a host name when sshd runs with UseDNS.
_ADDR: Final = r"(?P<ip>[^\s\[\]]+)"
_PORT: Final = r"port (?P<port>\d+)"
_WHO: Final = r"(?:(?P<qualifier>invalid user|authenticating user|user) (?P<user>.*?) )?"


@dataclass(frozen=True)
class _Form:
    """One message shape: its pattern and the ECS event fields it implies."""

    pattern: re.Pattern[str]
    action: str
    category: str
    kind: str
    outcome: str | None


def _form(pattern: str, action: str, category: str, kind: str, outcome: str | None) -> _Form:
    return _Form(re.compile(pattern), action, category, kind, outcome)


_FORMS: Final[tuple[_Form, ...]] = (
    _form(
        r"^Accepted (?P<method>\S+) for (?P<user>.*?) from "
        + _ADDR
        + " "
        + _PORT
        + r"(?: (?P<proto>ssh\d?))?(?:: (?P<key_type>\S+) (?P<fingerprint>\S+))?",
        "ssh_login",
        "authentication",
        "start",
        "success",
    ),
    _form(
        r"^Failed (?P<method>\S+) for (?P<invalid>invalid user )?(?P<user>.*?) from "
        + _ADDR
        + " "
        + _PORT
        + r"(?: (?P<proto>ssh\d?))?",
        "ssh_login",
        "authentication",
        "start",
        "failure",
    ),
    _form(
        r"^Invalid user (?P<user>.*?) from " + _ADDR + r"(?: " + _PORT + ")?",
        "ssh_invalid_user",
        "authentication",
        "start",
        "failure",
    ),
    _form(
        r"^error: maximum authentication attempts exceeded for (?P<invalid>invalid user )?(?P<user>.*?) from "
        + _ADDR
        + " "
        + _PORT,
        "ssh_max_auth_exceeded",
        "authentication",
        "denied",
        "failure",
    ),
    _form(
        r"^Disconnecting " + _WHO + _ADDR + " " + _PORT + r": (?P<reason>.*)",
        "ssh_disconnect",
        "authentication",
        "end",
        "failure",
    ),
    _form(
        r"^Connection (?P<how>closed|reset) by " + _WHO + _ADDR + " " + _PORT,
        "ssh_connection_closed",
        "network",
        "end",
        None,
    ),
    _form(
        r"^Disconnected from " + _WHO + _ADDR + " " + _PORT,
        "ssh_disconnect",
        "network",
        "end",
        None,
    ),
    _form(
        r"^Received disconnect from " + _ADDR + r"(?: " + _PORT + r")?:\s*(?P<code>\d+):\s*(?P<reason>.*)",
        "ssh_received_disconnect",
        "network",
        "end",
        None,
    ),
    _form(
        r"^User (?P<user>.*?) from " + _ADDR + r" not allowed because (?P<reason>.*)",
        "ssh_user_not_allowed",
        "authentication",
        "denied",
        "failure",
    ),
    _form(
        r"^pam_unix\(sshd:session\): session opened for user (?P<user>[^\s(]+)(?:\(uid=\d+\))?"
        r"(?: by (?P<by>\S*?)\(uid=\d+\))?",
        "session_opened",
        "session",
        "start",
        "success",
    ),
    _form(
        r"^pam_unix\(sshd:session\): session closed for user (?P<user>[^\s(]+)",
        "session_closed",
        "session",
        "end",
        "success",
    ),
    _form(
        r"^(?:pam_unix\(sshd:auth\): authentication failure;|PAM (?P<more>\d+) more authentication failures;)"
        r"(?P<pairs>.*)",
        "ssh_auth_failure",
        "authentication",
        "start",
        "failure",
    ),
    _form(  # an account rule in sshd's PAM stack (e.g. a minimum uid) refused the user
        r'^pam_succeed_if\(sshd:\w+\): requirement "(?P<reason>[^"]*)" not met by user "(?P<user>[^"]*)"',
        "ssh_user_not_allowed",
        "authentication",
        "denied",
        "failure",
    ),
    _form(  # sshd reporting its PAM stack's refusal; "illegal user" is older sshd's "invalid user"
        r"^error: PAM: (?P<reason>.+?) for (?P<invalid>(?:illegal|invalid) user )?(?P<user>\S*) from "
        + _ADDR,
        "ssh_auth_failure",
        "authentication",
        "start",
        "failure",
    ),
    _form(
        r"^subsystem request for (?P<subsystem>\S+) by user (?P<user>\S+) failed, (?P<reason>.*)",
        "ssh_subsystem_request",
        "session",
        "info",
        "failure",
    ),
    _form(
        r"^subsystem request for (?P<subsystem>\S+) by user (?P<user>\S+)$",
        "ssh_subsystem_request",
        "session",
        "info",
        None,
    ),
    _form(
        r"^Did not receive identification string from " + _ADDR + r"(?: " + _PORT + ")?",
        "ssh_no_identification",
        "network",
        "connection",
        "failure",
    ),
    _form(
        r"^Unable to negotiate with " + _ADDR + r"(?: " + _PORT + r")?: (?P<reason>.*)",
        "ssh_negotiation_failed",
        "network",
        "connection",
        "failure",
    ),
)

# Words a body must start with for the sniffer to claim it (cheap prefilter before the patterns).
_SNIFF: Final = re.compile(
    r"^(?:sshd(?:-session)?(?:\[\d+\])?:\s*)?(?:message repeated \d+ times: \[\s*)?"
    r"(?:Accepted \S+ for |Failed \S+ for |Invalid user |error: maximum authentication attempts exceeded |"
    r"Disconnecting (?:invalid |authenticating )?user |Connection (?:closed|reset) by |Disconnected from |"
    r"Received disconnect from |User \S+ from \S+ not allowed |pam_unix\(sshd:|pam_succeed_if\(sshd:|"
    r"PAM \d+ more authentication failures; |error: PAM: |subsystem request for |"
    r"Did not receive identification string |"
    r"Unable to negotiate with )"
)
_PAIR: Final = re.compile(r"(\w+)=(\S*)")


def sniff(text: str) -> bool:
    """True for bodies that begin like one of the sshd messages this parser knows."""
    return _SNIFF.match(text) is not None


def _put_pam_pairs(doc: ECSDocument, pairs: str) -> None:
    """`logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root` (PAM's failure line)."""
    fields = dict(_PAIR.findall(pairs))
    put_user(doc, "user", fields.get("user"))
    rhost = fields.get("rhost")
    if rhost and not put_ip(doc, "source.ip", rhost):
        put(doc, "source.domain", rhost)
    put(doc, "sshd.tty", fields.get("tty"))


_SSHD_GROUPS: Final = (  # regex group -> sshd.* field, after sshd.method and network.protocol
    ("key_type", "key_type"),
    ("subsystem", "subsystem"),
    ("fingerprint", "key_fingerprint"),
    ("reason", "reason"),
)


def _put_sshd(doc: ECSDocument, field: str, value: object) -> None:
    """`put(doc, "sshd.<field>", value)` without the path handling."""
    if value is None or value == "":
        return
    sshd = doc.get("sshd")
    if not isinstance(sshd, dict):
        sshd = doc["sshd"] = {}
    sshd[field] = value


def _fill(doc: ECSDocument, form: _Form, found: re.Match[str]) -> None:
    groups: dict[str, str | None] = found.groupdict()
    # Built directly rather than by dotted-path `put`s: this runs for every sshd line.
    event = doc.get("event")
    if not isinstance(event, dict):
        event = doc["event"] = {}
    event["kind"] = "event"
    event["category"] = [form.category]
    event["type"] = [form.kind]
    event["action"] = form.action
    if form.outcome:
        event["outcome"] = form.outcome
    user = groups.get("user")
    if user is not None and user.strip():
        put_user(doc, "user", user.strip())
    address = groups.get("ip")
    if address and not put_ip(doc, "source.ip", address):
        put(doc, "source.domain", address.rstrip(":"))
    put_port(doc, "source.port", groups.get("port"))
    method = groups.get("method")
    if method:
        _put_sshd(doc, "method", method)
    if groups.get("proto"):
        put(doc, "network.protocol", "ssh")
    for group, field in _SSHD_GROUPS:
        value = groups.get(group)
        if value:
            _put_sshd(doc, field, value)
    code = groups.get("code")
    if code:
        _put_sshd(doc, "disconnect_code", int(code))
    if groups.get("invalid") or groups.get("qualifier") == "invalid user":
        put(doc, "sshd.invalid_user", True)
    if groups.get("pairs") is not None:
        _put_pam_pairs(doc, groups["pairs"] or "")
    more = groups.get("more")
    if more:
        put(doc, "sshd.repeat_count", int(more))


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for a known sshd message body; None when the body is not one of them."""
    body = text.strip()
    doc: ECSDocument = {}
    program = _PROGRAM.match(body)
    if program is not None:
        put(doc, "process.name", "sshd")
        put(doc, "process.pid", int(program["pid"]) if program["pid"] else None)
        body = body[program.end() :]
    repeated = _REPEATED.match(body)
    if repeated is not None:
        put(doc, "sshd.repeat_count", int(repeated["count"]))
        body = repeated["inner"]
    # The pattern needs the literal, which most bodies lack: looking for it first saves a regex scan.
    preauth = _PREAUTH.search(body) if "[preauth]" in body else None
    if preauth is not None:
        put(doc, "sshd.preauth", True)
        body = body[: preauth.start()]
    for form in _FORMS:
        found = form.pattern.match(body)
        if found is not None:
            _fill(doc, form, found)
            if body:
                doc["message"] = body
            event = doc["event"]  # _fill made it
            event["module"] = "system"
            event["dataset"] = DATASET
            return doc
    return None


SSHD: Final = ParserSpec(
    name="sshd",
    parse=parse,
    sniff=sniff,
    priority=40,
    dataset=DATASET,
    description="OpenSSH server authentication, disconnect and PAM session messages (the syslog body)",
)
