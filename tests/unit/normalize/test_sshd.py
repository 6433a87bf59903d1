"""sshd parser: each OpenSSH message shape to its ECS fields."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.sshd import SSHD, parse, sniff

CONTEXT = ParseContext(received_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))


def _parse(text: str) -> ECSDocument:
    doc = parse(text, CONTEXT)
    assert doc is not None, text
    return doc


def test_sshd_accepted_publickey_maps_login_fields() -> None:
    doc = _parse(
        "Accepted publickey for alice from 192.0.2.10 port 51515 ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4"
    )
    assert get(doc, "event.action") == "ssh_login"
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "user.name") == "alice"
    assert get(doc, "source.ip") == "192.0.2.10"
    assert get(doc, "source.port") == 51515
    assert get(doc, "sshd.method") == "publickey"
    assert get(doc, "sshd.key_type") == "ED25519"
    assert get(doc, "sshd.key_fingerprint") == "SHA256:Zm9vYmFyYmF6cXV4"
    assert get(doc, "related.ip") == ["192.0.2.10"]
    assert get(doc, "related.user") == ["alice"]
    assert get(doc, "event.dataset") == "system.auth"
    assert get(doc, "event.module") == "system"


@pytest.mark.parametrize("method", ["password", "keyboard-interactive/pam", "gssapi-with-mic"])
def test_sshd_accepted_keeps_each_method(method: str) -> None:
    doc = _parse(f"Accepted {method} for bob from 2001:db8::5 port 40022 ssh2")
    assert get(doc, "sshd.method") == method
    assert get(doc, "source.ip") == "2001:db8::5"
    assert get(doc, "user.name") == "bob"


def test_sshd_failed_password_for_invalid_user_is_failure() -> None:
    doc = _parse("Failed password for invalid user admin from 203.0.113.7 port 60111 ssh2")
    assert get(doc, "event.action") == "ssh_login"
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "user.name") == "admin"
    assert get(doc, "sshd.invalid_user") is True
    assert get(doc, "source.port") == 60111


def test_sshd_failed_password_for_known_user_is_not_marked_invalid() -> None:
    doc = _parse("Failed password for root from 203.0.113.7 port 60111 ssh2")
    assert get(doc, "user.name") == "root"
    assert get(doc, "sshd.invalid_user") is None


def test_sshd_invalid_user_with_and_without_port() -> None:
    with_port = _parse("Invalid user oracle from 198.51.100.23 port 42000")
    without = _parse("Invalid user oracle from 198.51.100.23")
    for doc in (with_port, without):
        assert get(doc, "event.action") == "ssh_invalid_user"
        assert get(doc, "user.name") == "oracle"
        assert get(doc, "source.ip") == "198.51.100.23"
    assert get(with_port, "source.port") == 42000
    assert get(without, "source.port") is None


def test_sshd_connection_closed_by_authenticating_user_preauth() -> None:
    doc = _parse("Connection closed by authenticating user root 203.0.113.9 port 5555 [preauth]")
    assert get(doc, "event.action") == "ssh_connection_closed"
    assert get(doc, "user.name") == "root"
    assert get(doc, "source.ip") == "203.0.113.9"
    assert get(doc, "sshd.preauth") is True


def test_sshd_connection_closed_without_user() -> None:
    doc = _parse("Connection closed by 203.0.113.9 port 5555 [preauth]")
    assert get(doc, "user") is None
    assert get(doc, "source.port") == 5555


def test_sshd_disconnected_from_invalid_user() -> None:
    doc = _parse("Disconnected from invalid user test 192.0.2.44 port 33333 [preauth]")
    assert get(doc, "event.action") == "ssh_disconnect"
    assert get(doc, "event.type") == ["end"]
    assert get(doc, "user.name") == "test"
    assert get(doc, "sshd.invalid_user") is True


def test_sshd_received_disconnect_keeps_code_and_reason() -> None:
    doc = _parse("Received disconnect from 192.0.2.44 port 33333:11: disconnected by user")
    assert get(doc, "event.action") == "ssh_received_disconnect"
    assert get(doc, "sshd.disconnect_code") == 11
    assert get(doc, "sshd.reason") == "disconnected by user"
    assert get(doc, "source.port") == 33333


def test_sshd_session_opened_maps_session_category() -> None:
    doc = _parse("pam_unix(sshd:session): session opened for user carol(uid=1001) by (uid=0)")
    assert get(doc, "event.category") == ["session"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.action") == "session_opened"
    assert get(doc, "user.name") == "carol"


def test_sshd_session_closed() -> None:
    doc = _parse("pam_unix(sshd:session): session closed for user carol")
    assert get(doc, "event.action") == "session_closed"
    assert get(doc, "event.type") == ["end"]


def test_sshd_max_auth_attempts_is_denied() -> None:
    doc = _parse(
        "error: maximum authentication attempts exceeded for invalid user guest from 198.51.100.3 "
        "port 41000 ssh2 [preauth]"
    )
    assert get(doc, "event.action") == "ssh_max_auth_exceeded"
    assert get(doc, "event.type") == ["denied"]
    assert get(doc, "user.name") == "guest"


def test_sshd_message_repeated_counts_and_parses_inner() -> None:
    doc = _parse("message repeated 4 times: [ Failed password for root from 203.0.113.7 port 60111 ssh2]")
    assert get(doc, "sshd.repeat_count") == 4
    assert get(doc, "event.action") == "ssh_login"
    assert get(doc, "user.name") == "root"


def test_sshd_pam_auth_failure_reads_rhost_and_user() -> None:
    doc = _parse(
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=203.0.113.50  user=dave"
    )
    assert get(doc, "event.action") == "ssh_auth_failure"
    assert get(doc, "source.ip") == "203.0.113.50"
    assert get(doc, "user.name") == "dave"


def test_sshd_program_tag_in_body_is_read() -> None:
    doc = _parse("sshd[2211]: Accepted password for erin from 192.0.2.8 port 50000 ssh2")
    assert get(doc, "process.name") == "sshd"
    assert get(doc, "process.pid") == 2211
    assert get(doc, "user.name") == "erin"


def test_sshd_unknown_body_is_none() -> None:
    assert parse("Server listening on 0.0.0.0 port 22.", CONTEXT) is None
    assert parse("kernel: eth0 link up", CONTEXT) is None


@pytest.mark.parametrize(
    "text",
    [
        "Accepted password for alice from 192.0.2.10 port 22 ssh2",
        "Failed none for invalid user x from 192.0.2.10 port 22 ssh2",
        "pam_unix(sshd:session): session opened for user root by (uid=0)",
        "sshd[1]: Invalid user a from 192.0.2.1",
    ],
)
def test_sshd_sniff_claims_sshd_bodies(text: str) -> None:
    assert sniff(text)


@pytest.mark.parametrize(
    "text",
    [
        "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
        "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
        '{"winlog": {"event_id": 4624}}',
        "CEF:0|Vendor|Product|1.0|100|name|5|src=192.0.2.1",
        "%ASA-6-302013: Built outbound TCP connection",
    ],
)
def test_sshd_sniff_rejects_other_formats(text: str) -> None:
    assert not sniff(text)


def test_sshd_spec_is_registered_under_its_name() -> None:
    assert SSHD.name == "sshd"
    assert SSHD.dataset == "system.auth"
    assert SSHD.wants_syslog_body


@given(st.text(max_size=300))
def test_sshd_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, CONTEXT)


@given(
    st.sampled_from(["Accepted ", "Failed ", "Invalid user ", "Connection closed by "]), st.text(max_size=80)
)
def test_sshd_parse_survives_prefixed_garbage(prefix: str, rest: str) -> None:
    doc = parse(prefix + rest, CONTEXT)
    assert doc is None or isinstance(doc, dict)


def test_sshd_disconnecting_too_many_failures() -> None:
    doc = _parse(
        "Disconnecting authenticating user root 203.0.113.9 port 4444: "
        "Too many authentication failures [preauth]"
    )
    assert get(doc, "event.action") == "ssh_disconnect"
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "sshd.reason") == "Too many authentication failures"
    assert get(doc, "user.name") == "root"


def test_sshd_user_not_allowed_is_denied() -> None:
    doc = _parse("User frank from 198.51.100.9 not allowed because not listed in AllowUsers")
    assert get(doc, "event.action") == "ssh_user_not_allowed"
    assert get(doc, "event.type") == ["denied"]
    assert get(doc, "sshd.reason") == "not listed in AllowUsers"


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Did not receive identification string from 198.51.100.77 port 61000", "ssh_no_identification"),
        (
            "Unable to negotiate with 198.51.100.77 port 61001: no matching key exchange method found.",
            "ssh_negotiation_failed",
        ),
    ],
)
def test_sshd_connection_level_failures(text: str, action: str) -> None:
    doc = _parse(text)
    assert get(doc, "event.action") == action
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "source.ip") == "198.51.100.77"


def test_sshd_host_name_instead_of_address_goes_to_source_domain() -> None:
    doc = _parse("Accepted password for bob from jump.corp.example port 40022 ssh2")
    assert get(doc, "source.ip") is None
    assert get(doc, "source.domain") == "jump.corp.example"
    assert get(doc, "user.name") == "bob"


@pytest.mark.parametrize(
    ("text", "user", "invalid"),
    [
        ("error: PAM: Authentication failure for carol from 198.51.100.41", "carol", None),
        (
            "error: PAM: User not known to the underlying authentication module for illegal user "
            "ghost from scanner.example.net",
            "ghost",
            True,
        ),
        ("error: PAM: Authentication failure for invalid user admin from 203.0.113.60", "admin", True),
    ],
)
def test_sshd_pam_error_is_authentication_failure(text: str, user: str, invalid: bool | None) -> None:
    doc = _parse(text)
    assert get(doc, "event.action") == "ssh_auth_failure"
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "user.name") == user
    assert get(doc, "sshd.invalid_user") is invalid
    assert get(doc, "sshd.reason") is not None
    assert get(doc, "source.ip") or get(doc, "source.domain")


def test_sshd_pam_error_with_host_name_fills_source_domain() -> None:
    doc = _parse("error: PAM: Authentication failure for dave from bastion.corp.example")
    assert get(doc, "source.domain") == "bastion.corp.example"
    assert get(doc, "source.ip") is None


def test_sshd_subsystem_request_names_user_and_subsystem() -> None:
    doc = _parse("subsystem request for sftp by user erin")
    assert get(doc, "event.action") == "ssh_subsystem_request"
    assert get(doc, "event.category") == ["session"]
    assert get(doc, "event.type") == ["info"]
    assert get(doc, "event.outcome") is None
    assert get(doc, "user.name") == "erin"
    assert get(doc, "sshd.subsystem") == "sftp"


def test_sshd_failed_subsystem_request_is_failure() -> None:
    doc = _parse("subsystem request for backup by user erin failed, subsystem not found")
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "sshd.subsystem") == "backup"
    assert get(doc, "sshd.reason") == "subsystem not found"


def test_sshd_sniff_claims_pam_error_and_subsystem_lines() -> None:
    assert sniff("error: PAM: Authentication failure for carol from 198.51.100.41")
    assert sniff("sshd[812]: subsystem request for sftp by user erin")


def test_sshd_pam_account_requirement_not_met_is_denied() -> None:
    doc = _parse('pam_succeed_if(sshd:auth): requirement "uid >= 1000" not met by user "svc-backup"')
    assert get(doc, "event.action") == "ssh_user_not_allowed"
    assert get(doc, "event.type") == ["denied"]
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "user.name") == "svc-backup"
    assert get(doc, "sshd.reason") == "uid >= 1000"
    assert sniff(
        'sshd[77]: pam_succeed_if(sshd:account): requirement "user ingroup ops" not met by user "ivan"'
    )
