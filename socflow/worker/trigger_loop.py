"""The in-process trigger thread: it dispatches right after each commit that journals a change."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from socflow.storage.db import Database
from socflow.storage.tables import AuditEntryRow
from socflow.worker.loop import Periodic, WorkerLoop
from socflow.worker.runs import RunService
from socflow.worker.scheduler import Scheduler
from socflow.worker.triggers import WATCHED_OBJECTS, TriggerDispatcher

_JOURNAL: Final = AuditEntryRow.__tablename__


def _object_type(row: Any) -> Any:
    return row.get("object_type") if isinstance(row, dict) else None


def watch_journal(
    database: Database, on_change: Callable[[], None], watched: Collection[str] | None = None
) -> Callable[[], None]:
    """Call `on_change` after each commit on this database that appended to the audit journal
    entries about one of the `watched` object types (default: any).

    The journal append is the last statement of every unit of work, so this fires for every alert,
    case, task and playbook change, whichever part of the process made it. Returns the function that
    stops listening; commits by other processes are found by the loop's poll.
    """
    engine = database.engine
    pending = threading.local()

    def after_execute(_conn: Any, statement: Any, multiparams: Any, params: Any, *_args: Any) -> None:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) == _JOURNAL and getattr(statement, "is_insert", False):
            rows = multiparams if isinstance(multiparams, list | tuple) and multiparams else [params]
            if watched is None or any(_object_type(row) in watched for row in rows):
                pending.journaled = True

    def after_commit(session: Session) -> None:
        if session.bind is engine and getattr(pending, "journaled", False):
            pending.journaled = False
            on_change()

    def after_rollback(session: Session) -> None:
        if session.bind is engine:
            pending.journaled = False

    event.listen(engine, "after_execute", after_execute)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_rollback", after_rollback)

    def stop() -> None:
        for target, name, listener in (
            (engine, "after_execute", after_execute),
            (Session, "after_commit", after_commit),
            (Session, "after_rollback", after_rollback),
        ):
            if event.contains(target, name, listener):
                event.remove(target, name, listener)

    return stop


class TriggerLoop:
    """One thread matching new journal entries as soon as they commit (polling as the fallback), and
    the schedule triggers every `tick_seconds`. `start()` and `stop()` as for the worker loop."""

    def __init__(
        self,
        database: Database,
        runs: RunService,
        *,
        poll_seconds: float = 1.0,
        tick_seconds: float = 1.0,
        batch: int = 500,
    ) -> None:
        self.database = database
        self.dispatcher = TriggerDispatcher(database, runs, batch=batch)
        self.scheduler = Scheduler(database, runs, index=self.dispatcher.index)
        self.loop = WorkerLoop(
            self._dispatch,
            threads=1,
            poll_seconds=poll_seconds,
            tick_seconds=tick_seconds,
            periodic=[Periodic("schedule triggers", self.scheduler.fire_due)],
            name="socflow-triggers",
        )
        self._unwatch: Callable[[], None] | None = None

    def _dispatch(self) -> bool:
        # Everything pending is consumed before this returns, and a commit meanwhile rings the bell:
        # sleeping now never misses an entry, and spares the worker threads an idle extra pass.
        self.dispatcher.dispatch_pending()
        return False

    def start(self) -> None:
        self._unwatch = watch_journal(self.database, self.loop.nudge, WATCHED_OBJECTS)
        self.loop.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop listening and let the thread finish what it is dispatching; True when it ended."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        stopped = self.loop.stop(timeout)
        if stopped:
            self.dispatcher.flush()
        return stopped
