"""Wake idle workers when a committed transaction changed runs or step attempts, whoever made it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from socflow.storage.db import Database
from socflow.storage.tables_runs import RunRow, StepAttemptRow

_WATCHED_TABLES: Final = frozenset({RunRow.__tablename__, StepAttemptRow.__tablename__})


class Bell:
    """Counts rings; a waiter sleeps until the count moves past the one it saw, or a timeout.

    The count makes a ring between "found nothing to do" and "start waiting" impossible to miss.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rings = 0

    @property
    def rings(self) -> int:
        with self._condition:
            return self._rings

    def ring(self) -> None:
        with self._condition:
            self._rings += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Sleep until a ring after `seen` (True) or `timeout` seconds pass (False)."""
        with self._condition:
            return self._condition.wait_for(lambda: self._rings != seen, timeout)


def watch_runs(database: Database, on_change: Callable[[], None]) -> Callable[[], None]:
    """Call `on_change` after each commit, on this database, that wrote a run or an attempt row.

    It watches the statements the writer engine executes (ORM flushes and Core inserts and updates
    alike) and rings once the session holding them has committed, so runs started by the API,
    signals, timers and workers all ring it without knowing about it. Returns the function that
    stops listening. A commit made outside a `Database.session()` is not seen; the poll covers it.
    """
    engine = database.engine
    pending = threading.local()

    def after_execute(_conn: Any, statement: Any, *_args: Any) -> None:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) in _WATCHED_TABLES and getattr(statement, "is_dml", False):
            pending.changed = True

    def after_commit(session: Session) -> None:
        if session.bind is engine and getattr(pending, "changed", False):
            pending.changed = False
            on_change()

    def after_rollback(session: Session) -> None:
        if session.bind is engine:
            pending.changed = False

    event.listen(engine, "after_execute", after_execute)
    session_listeners: list[tuple[str, Callable[[Session], None]]] = [
        ("after_commit", after_commit),
        ("after_rollback", after_rollback),
    ]
    for name, listener in session_listeners:
        event.listen(Session, name, listener)

    def stop() -> None:
        if event.contains(engine, "after_execute", after_execute):
            event.remove(engine, "after_execute", after_execute)
        for name, listener in session_listeners:
            if event.contains(Session, name, listener):
                event.remove(Session, name, listener)

    return stop
