"""A Database stand-in whose every session is one open transaction, so services compose into it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from socflow.storage.db import Database


class Enlisted(Database):
    """Hands `session` out again and again, never committing: the owner of the transaction commits.

    A service built on it (`CaseService(Enlisted(session))`) makes its changes and audit entries
    inside the caller's transaction, so they land together with whatever else the caller writes.
    """

    def __init__(self, session: Session, database: Database) -> None:
        self._session = session
        self.url = database.url
        self.is_sqlite = database.is_sqlite
        self.engine = database.engine
        self.read_engine = database.read_engine

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        yield self._session

    def dispose(self) -> None:
        """The engines belong to the database this one borrows from; nothing to release here."""
