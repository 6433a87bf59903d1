"""sudo command, refusal and PAM messages to ECS process and authentication events."""

from __future__ import annotations

import re
from typing import Final

from socflow.normalize.ecs import ECSDocument, put, put_ip, put_user
from socflow.normalize.registry import ParseContext, ParserSpec

DATASET: Final = "system.auth"

_PROGRAM: Final = re.compile(r"^sudo(?:\[(?P<pid>\d+)\])?:\s*")
# "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"; a refusal puts its
# reason ("3 incorrect password attempts", "user NOT in sudoers") before the first pair.
_COMMAND_LINE: Final = re.compile(r"^(?P<user>[^\s:;]+) : (?P<rest>.*\bCOMMAND=.*|.*\b(?:TTY|PWD|USER)=.*)$")
_ATTEMPTS: Final = re.compile(r"^(?P<count>\d+) incorrect password attempts?$")
_PAM_AUTH: Final = re.compile(r"^pam_unix\(sudo(?:-i)?:auth\): (?P<what>.*)$")
_PAM_SESSION: Final = re.compile(
    r"^pam_unix\(sudo(?:-i)?:session\): session (?P<state>opened|closed) for user (?P<user>[^\s(]+)"
    r"(?:\(uid=(?P<uid>\d+)\))?(?: by (?P<by>[^\s(]*)(?:\(uid=(?P<by_uid>\d+)\))?)?"
)
_PAIR: Final = re.compile(r"(\w+)=(\S*)")
_SNIFF: Final = re.compile(
    r"^(?:sudo(?:\[\d+\])?:\s*)?\s*(?:[^\s:;]+ : (?:.* ; )?(?:TTY|PWD|USER|COMMAND)=|pam_unix\(sudo(?:-i)?:)"
)

# Refusal reasons sudo writes, and what each means (event.action, event.category).
_REFUSALS: Final[dict[str, tuple[str, str]]] = {
    "user NOT in sudoers": ("sudo_not_in_sudoers", "iam"),
    "user NOT authorized on host": ("sudo_not_authorized_on_host", "iam"),
    "command not allowed": ("sudo_command_not_allowed", "process"),
    "a password is required": ("sudo_password_required", "authentication"),
    "no password was provided": ("sudo_password_required", "authentication"),
    "unknown user": ("sudo_unknown_user", "iam"),
}


def sniff(text: str) -> bool:
    """True for sudo's "USER : ... COMMAND=" lines and its PAM (sudo:auth / sudo:session) lines."""
    return _SNIFF.match(text.lstrip()) is not None


def _split_pairs(rest: str) -> tuple[str | None, dict[str, str]]:
    """(refusal reason, KEY=value pairs); COMMAND= is last and keeps any ' ; ' it contains."""
    head, marker, command = rest.partition("COMMAND=")
    pairs: dict[str, str] = {}
    reason: str | None = None
    for index, part in enumerate(item.strip() for item in head.split(" ; ")):
        if not part:
            continue
        key, equals, value = part.partition("=")
        if equals and key.isupper():
            pairs[key] = value
        elif index == 0:
            reason = part
    if marker:
        pairs["COMMAND"] = command.strip()
    return reason, pairs


def _put_command(doc: ECSDocument, command: str) -> None:
    if not command.strip():
        return
    put(doc, "process.command_line", command)
    put(doc, "process.parent.name", "sudo")  # the command runs as sudo's child
    words = command.split()
    if not words:
        return
    put(doc, "process.executable", words[0])
    put(doc, "process.name", words[0].rsplit("/", 1)[-1])
    put(doc, "process.args", words)
    put(doc, "process.args_count", len(words))


def _command(doc: ECSDocument, user: str, rest: str) -> None:
    reason, pairs = _split_pairs(rest)
    put_user(doc, "user", user)
    put_user(doc, "user.effective", pairs.get("USER"))
    put(doc, "process.working_directory", pairs.get("PWD"))
    put(doc, "sudo.tty", pairs.get("TTY"))
    put(doc, "sudo.group", pairs.get("GROUP"))
    put(doc, "sudo.env", pairs.get("ENV"))
    put(doc, "sudo.host", pairs.get("HOST"))
    _put_command(doc, pairs.get("COMMAND", ""))
    if reason is None:
        _event(doc, "sudo_command", "process", "start", "success")
        return
    put(doc, "sudo.reason", reason)
    attempts = _ATTEMPTS.match(reason)
    if attempts is not None:
        put(doc, "sudo.attempts", int(attempts["count"]))
        _event(doc, "sudo_auth_failure", "authentication", "start", "failure")
        return
    action, category = _REFUSALS.get(reason, ("sudo_refused", "process"))
    _event(doc, action, category, "denied", "failure")


def _pam_auth(doc: ECSDocument, what: str) -> None:
    head, _, pairs_text = what.partition(";")
    pairs = dict(_PAIR.findall(pairs_text))
    # sudo sets PAM's ruser to the user who ran it and user to the account whose password it asks
    # (the same one unless targetpw/rootpw); logname is only the terminal's original login.
    invoker = pairs.get("ruser") or pairs.get("user") or pairs.get("logname")
    put_user(doc, "user", invoker)
    if pairs.get("user") and pairs["user"] != invoker:
        put_user(doc, "user.effective", pairs["user"])
    put(doc, "user.id", pairs.get("uid"))  # the caller's real uid: the invoker's
    put(doc, "sudo.tty", pairs.get("tty"))
    rhost = pairs.get("rhost")
    if rhost and not put_ip(doc, "source.ip", rhost):
        put(doc, "source.domain", rhost)
    put(doc, "sudo.reason", head.strip())
    _event(doc, "sudo_auth_failure", "authentication", "start", "failure")


def _pam_session(doc: ECSDocument, found: re.Match[str]) -> None:
    opened = found["state"] == "opened"
    put_user(doc, "user.effective", found["user"])
    put(doc, "user.effective.id", found["uid"])
    put_user(doc, "user", found["by"])
    put(doc, "user.id", found["by_uid"])
    action = "session_opened" if opened else "session_closed"
    _event(doc, action, "session", "start" if opened else "end", "success")


def _event(doc: ECSDocument, action: str, category: str, kind: str, outcome: str) -> None:
    put(doc, "event.kind", "event")
    put(doc, "event.action", action)
    put(doc, "event.category", [category])
    put(doc, "event.type", [kind])
    put(doc, "event.outcome", outcome)


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for a sudo log body; None when the body is not a sudo message."""
    body = text.strip()
    doc: ECSDocument = {}
    program = _PROGRAM.match(body)
    if program is not None:
        body = body[program.end() :].strip()
    # Tried in this order, each only when the one before did not match.
    if (session := _PAM_SESSION.match(body)) is not None:
        _pam_session(doc, session)
    elif (auth := _PAM_AUTH.match(body)) is not None:
        _pam_auth(doc, auth["what"])
    elif (line := _COMMAND_LINE.match(body)) is not None:
        _command(doc, line["user"], line["rest"])
    else:
        return None
    put(doc, "message", body)
    put(doc, "event.module", "system")
    put(doc, "event.dataset", DATASET)
    return doc


SUDO: Final = ParserSpec(
    name="sudo",
    parse=parse,
    sniff=sniff,
    priority=40,
    dataset=DATASET,
    description="sudo command lines, refusals and its PAM authentication/session messages (the syslog body)",
)
