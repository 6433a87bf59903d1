"""The one error tree: every failure socflow reports carries a stable code and an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Issue:
    """One problem found while validating input, with the path to where it is."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class SocflowError(Exception):
    """Base of every error socflow raises on purpose; `code` is stable, the message is for people."""

    message: str
    details: dict[str, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    code: ClassVar[str] = "socflow_error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ConfigError(SocflowError):
    """A setting is missing or invalid; start-up stops."""

    code = "config_invalid"
    http_status = 500
    exit_code = 78  # EX_CONFIG


class ValidationFailed(SocflowError):
    """Input was refused; `issues` lists every problem with its path."""

    code = "validation_failed"
    http_status = 422
    exit_code = 65  # EX_DATAERR


class NotFound(SocflowError):
    """The named object does not exist."""

    code = "not_found"
    http_status = 404
    exit_code = 66  # EX_NOINPUT


class Conflict(SocflowError):
    """The change collides with the object's current state (stale version, duplicate)."""

    code = "conflict"
    http_status = 409
    exit_code = 75  # EX_TEMPFAIL


class DuplicateKey(Conflict):
    """A concurrent writer stored the same unique key first; retrying the whole change may succeed."""

    code = "duplicate_key"


class InvalidTransition(Conflict):
    """A lifecycle move that the transition table does not allow from the current status."""

    code = "invalid_transition"


class Unauthorized(SocflowError):
    """No valid credentials were presented."""

    code = "unauthorized"
    http_status = 401
    exit_code = 77  # EX_NOPERM


class Forbidden(SocflowError):
    """The caller is known but may not do this."""

    code = "forbidden"
    http_status = 403
    exit_code = 77


class PayloadTooLarge(SocflowError):
    """A request body or upload exceeds the configured limit."""

    code = "payload_too_large"
    http_status = 413
    exit_code = 65


class MalformedInput(SocflowError):
    """The input cannot be read at all (broken JSON, wrong encoding); the message names where."""

    code = "malformed_input"
    http_status = 400
    exit_code = 65


class UnsupportedMediaType(SocflowError):
    """The request body's Content-Type is not one this endpoint reads."""

    code = "unsupported_media_type"
    http_status = 415
    exit_code = 65


class StorageError(SocflowError):
    """The database failed in a way the caller cannot fix by changing input."""

    code = "storage_error"
    http_status = 503
    exit_code = 74  # EX_IOERR


class EvidenceAltered(SocflowError):
    """A stored evidence file no longer has the hash recorded when it was added."""

    code = "evidence_altered"
    http_status = 500
    exit_code = 2


class AuditChainBroken(SocflowError):
    """The audit journal's hash chain does not verify."""

    code = "audit_chain_broken"
    http_status = 500
    exit_code = 2
