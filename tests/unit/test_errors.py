"""The error tree: each error has a stable code, an HTTP status and an exit code, and prints its message."""

from __future__ import annotations

import pytest

from socflow.errors import (
    AuditChainBroken,
    ConfigError,
    Conflict,
    DuplicateKey,
    EvidenceAltered,
    Forbidden,
    InvalidTransition,
    Issue,
    MalformedInput,
    NotFound,
    PayloadTooLarge,
    SocflowError,
    StorageError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)

EXPECTED = [
    (ConfigError, "config_invalid", 500, 78),
    (ValidationFailed, "validation_failed", 422, 65),
    (NotFound, "not_found", 404, 66),
    (Conflict, "conflict", 409, 75),
    (InvalidTransition, "invalid_transition", 409, 75),
    (DuplicateKey, "duplicate_key", 409, 75),
    (EvidenceAltered, "evidence_altered", 500, 2),
    (Unauthorized, "unauthorized", 401, 77),
    (Forbidden, "forbidden", 403, 77),
    (PayloadTooLarge, "payload_too_large", 413, 65),
    (StorageError, "storage_error", 503, 74),
    (AuditChainBroken, "audit_chain_broken", 500, 2),
    (MalformedInput, "malformed_input", 400, 65),
    (UnsupportedMediaType, "unsupported_media_type", 415, 65),
]


@pytest.mark.parametrize(("kind", "code", "http_status", "exit_code"), EXPECTED)
def test_error_has_stable_code_http_status_and_exit_code(
    kind: type[SocflowError], code: str, http_status: int, exit_code: int
) -> None:
    error = kind("something went wrong")

    assert isinstance(error, SocflowError)
    assert (error.code, error.http_status, error.exit_code) == (code, http_status, exit_code)
    assert str(error) == "something went wrong"
    assert error.args == ("something went wrong",)


def test_error_codes_are_unique() -> None:
    codes = [code for _, code, _, _ in EXPECTED]

    assert len(set(codes)) == len(codes)


def test_every_error_class_is_in_the_table() -> None:
    def subclasses(cls: type[SocflowError]) -> set[type[SocflowError]]:
        direct = set(cls.__subclasses__())
        return direct.union(*(subclasses(sub) for sub in direct))

    assert {kind for kind, _, _, _ in EXPECTED} == {
        kind for kind in subclasses(SocflowError) if kind.__module__ == "socflow.errors"
    }


def test_invalid_transition_is_caught_as_a_conflict() -> None:
    with pytest.raises(Conflict):
        raise InvalidTransition("cannot move")


def test_error_carries_details_and_issues_without_sharing_them() -> None:
    first = ValidationFailed("bad", issues=[Issue("title", "must not be empty")], details={"a": 1})
    second = ValidationFailed("also bad")
    second.details["b"] = 2
    second.issues.append(Issue("x", "y"))

    assert first.details == {"a": 1}
    assert [issue.to_dict() for issue in first.issues] == [{"path": "title", "message": "must not be empty"}]
    assert ValidationFailed("fresh").details == {}
    assert ValidationFailed("fresh").issues == []
