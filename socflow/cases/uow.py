"""Unit of work: one transaction, one actor, and the audit entries it writes when it commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from socflow.errors import Conflict, Issue, NotFound, ValidationFailed
from socflow.storage import audit
from socflow.storage.db import Database


def now() -> datetime:
    return datetime.now(UTC)


def plain(value: Any) -> Any:
    """A JSON-ready form of a field value for the journal."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


MAX_ACTOR = 200  # the size of the actor columns (audit_entries.actor, cases.created_by, ...)

EnumT = TypeVar("EnumT", bound=Enum)


def require_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise ValidationFailed("every change needs an actor", issues=[Issue("actor", "must not be empty")])
    if len(actor.strip()) > MAX_ACTOR:
        raise ValidationFailed(
            f"actor must be at most {MAX_ACTOR} characters", issues=[Issue("actor", f"1 to {MAX_ACTOR}")]
        )
    return actor.strip()


def require_aware(value: datetime | None, path: str) -> datetime | None:
    """Refuse a naive time here, with its path, rather than deep in the database driver."""
    if value is not None and value.tzinfo is None:
        raise ValidationFailed(
            f"{path} needs a time zone", issues=[Issue(path, "a time without a zone is ambiguous")]
        )
    return value


def parse_enum(kind: type[EnumT], value: Any, path: str) -> EnumT:
    """`kind(value)`, refused as ValidationFailed naming `path` and the accepted names."""
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(str(member.value) for member in kind)
        raise ValidationFailed(
            f"{path} must be one of: {names}", issues=[Issue(path, f"one of: {names}")]
        ) from None


class UnitOfWork:
    """Collects journal entries while a service changes rows; they are chained on commit."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = require_actor(actor)
        self.pending: list[audit.PendingEntry] = []

    def record(
        self,
        object_type: str,
        object_id: str,
        action: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.pending.append(
            audit.PendingEntry(
                actor=self.actor,
                object_type=object_type,
                object_id=object_id,
                action=action,
                before=before or {},
                after=after or {},
                at=now(),
            )
        )

    def get(self, model: type[Any], object_id: str, kind: str) -> Any:
        """Load a row this unit of work will change, locked until it commits.

        The lock makes a concurrent writer on PostgreSQL wait and then read the committed row, instead
        of both changing the same version and one failing; SQLite writers are already serialised.
        """
        return fetch(self.session, model, object_id, kind, lock=True)


@contextmanager
def unit_of_work(database: Database, actor: str) -> Iterator[UnitOfWork]:
    """Run changes and their audit entries in one transaction: both land or neither does."""
    with database.session() as session:
        work = UnitOfWork(session, actor)
        yield work
        session.flush()
        audit.append(session, work.pending)


def fetch(session: Session, model: type[Any], object_id: str, kind: str, *, lock: bool = False) -> Any:
    row = session.get(model, object_id, with_for_update=lock or None)
    if row is None:
        raise NotFound(f"{kind} {object_id!r} does not exist", details={"object": kind, "id": object_id})
    return row


def check_version(row: Any, expected: int | None, kind: str) -> None:
    """Refuse a change made against an older version of the object (optimistic concurrency)."""
    if expected is not None and row.version != expected:
        raise Conflict(
            f"{kind} {row.id!r} is at version {row.version}, not {expected}: it was changed meanwhile",
            details={"current_version": row.version, "expected_version": expected},
        )
