"""sudo parser: command lines, refusals and PAM messages to ECS."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.sudo import SUDO, parse, sniff

CONTEXT = ParseContext(received_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))


def _parse(text: str) -> ECSDocument:
    doc = parse(text, CONTEXT)
    assert doc is not None, text
    return doc


def test_sudo_command_maps_user_target_and_process() -> None:
    doc = _parse("    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u")
    assert get(doc, "user.name") == "alice"
    assert get(doc, "user.effective.name") == "root"
    assert get(doc, "process.command_line") == "/usr/bin/id -u"
    assert get(doc, "process.executable") == "/usr/bin/id"
    assert get(doc, "process.name") == "id"
    assert get(doc, "process.args") == ["/usr/bin/id", "-u"]
    assert get(doc, "process.working_directory") == "/home/alice"
    assert get(doc, "sudo.tty") == "pts/0"
    assert get(doc, "event.category") == ["process"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "event.action") == "sudo_command"
    assert get(doc, "related.user") == ["alice", "root"]
    assert get(doc, "event.dataset") == "system.auth"


def test_sudo_command_without_tty_and_with_env() -> None:
    doc = _parse(
        "deploy : PWD=/srv/app ; USER=www-data ; ENV=LANG=C HOME=/srv ; COMMAND=/usr/bin/make install"
    )
    assert get(doc, "sudo.tty") is None
    assert get(doc, "sudo.env") == "LANG=C HOME=/srv"
    assert get(doc, "user.effective.name") == "www-data"
    assert get(doc, "process.command_line") == "/usr/bin/make install"


def test_sudo_command_keeps_semicolons_inside_command() -> None:
    doc = _parse("alice : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c echo a ; echo b")
    assert get(doc, "process.command_line") == "/bin/sh -c echo a ; echo b"


def test_sudo_incorrect_password_attempts_is_authentication_failure() -> None:
    doc = _parse(
        "bob : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/su"
    )
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.action") == "sudo_auth_failure"
    assert get(doc, "sudo.attempts") == 3
    assert get(doc, "user.name") == "bob"
    assert get(doc, "process.executable") == "/usr/bin/su"


def test_sudo_not_in_sudoers_is_denied() -> None:
    doc = _parse("mallory : user NOT in sudoers ; TTY=pts/3 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash")
    assert get(doc, "event.type") == ["denied"]
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.action") == "sudo_not_in_sudoers"
    assert get(doc, "sudo.reason") == "user NOT in sudoers"
    assert get(doc, "user.name") == "mallory"


def test_sudo_command_not_allowed_is_denied_process() -> None:
    doc = _parse("bob : command not allowed ; TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/rm -rf /")
    assert get(doc, "event.action") == "sudo_command_not_allowed"
    assert get(doc, "event.category") == ["process"]


def test_sudo_pam_auth_failure_reads_pairs() -> None:
    doc = _parse(
        "pam_unix(sudo:auth): authentication failure; logname=bob uid=1002 euid=0 tty=/dev/pts/2 "
        "ruser=bob rhost=  user=bob"
    )
    assert get(doc, "event.action") == "sudo_auth_failure"
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "user.name") == "bob"
    assert get(doc, "user.id") == "1002"
    assert get(doc, "sudo.tty") == "/dev/pts/2"
    assert get(doc, "source") is None


def test_sudo_pam_session_opened_maps_both_users() -> None:
    doc = _parse("pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)")
    assert get(doc, "event.category") == ["session"]
    assert get(doc, "event.action") == "session_opened"
    assert get(doc, "user.name") == "alice"
    assert get(doc, "user.id") == "1000"
    assert get(doc, "user.effective.name") == "root"
    assert get(doc, "user.effective.id") == "0"


def test_sudo_pam_session_closed() -> None:
    doc = _parse("pam_unix(sudo:session): session closed for user root")
    assert get(doc, "event.action") == "session_closed"
    assert get(doc, "event.type") == ["end"]


def test_sudo_unknown_body_is_none() -> None:
    assert parse("sudo: unable to resolve host ws-017", CONTEXT) is None
    assert parse("Accepted password for alice from 192.0.2.10 port 22 ssh2", CONTEXT) is None


def test_sudo_sniff_claims_sudo_and_not_sshd() -> None:
    assert sniff("alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id")
    assert sniff("pam_unix(sudo:auth): authentication failure; logname=bob")
    assert not sniff("pam_unix(sshd:session): session opened for user root by (uid=0)")
    assert not sniff("Failed password for root from 203.0.113.7 port 1 ssh2")
    assert not sniff('{"EventID": 4624}')


def test_sudo_spec_describes_its_dataset() -> None:
    assert SUDO.name == "sudo"
    assert SUDO.dataset == "system.auth"


@given(st.text(max_size=300))
def test_sudo_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_sudo_attempt_count_is_read(count: int) -> None:
    noun = "attempt" if count == 1 else "attempts"
    doc = _parse(f"bob : {count} incorrect password {noun} ; TTY=pts/2 ; PWD=/ ; USER=root ; COMMAND=/bin/ls")
    assert get(doc, "sudo.attempts") == count


def test_sudo_pam_auth_failure_user_is_the_invoker_not_the_login_name() -> None:
    # frank logged in, switched to grace with su, then ran sudo as grace: PAM's ruser/user are grace.
    doc = _parse(
        "pam_unix(sudo:auth): authentication failure; logname=frank uid=1004 euid=0 tty=/dev/pts/3 "
        "ruser=grace rhost=  user=grace"
    )
    assert get(doc, "user.name") == "grace"
    assert get(doc, "user.id") == "1004"
    assert get(doc, "user.effective.name") is None
    assert get(doc, "related.user") == ["grace"]


def test_sudo_pam_auth_failure_keeps_the_asked_account_when_it_differs() -> None:
    # With targetpw/rootpw sudo asks for another account's password: PAM's user= names it.
    doc = _parse(
        "pam_unix(sudo:auth): authentication failure; logname=heidi uid=1005 euid=0 tty=/dev/pts/4 "
        "ruser=heidi rhost=  user=root"
    )
    assert get(doc, "user.name") == "heidi"
    assert get(doc, "user.effective.name") == "root"
