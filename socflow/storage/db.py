"""Engines and transactions: SQLite (WAL, immediate write locks) or PostgreSQL through psycopg 3."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from socflow.errors import Conflict, DuplicateKey, SocflowError, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_RECYCLE_S = 3600
SQLITE_WAL_CHECKPOINT_BYTES = 40 * 1024 * 1024
SQLITE_CACHE_KIB = 16_384


def _prepare_sqlite(engine: Engine, *, immediate: bool) -> None:
    """Own the transaction boundaries: WAL, foreign keys, and BEGIN IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint every ~40 MB of WAL instead of 4 MB: an alert intake writes ~30 pages, so the
        # default made every 30th commit also copy the WAL back and fsync (the p95-p99 of a write).
        page_bytes = cursor.execute("PRAGMA page_size").fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_BYTES // page_bytes}")
        # A 16 MiB page cache instead of 2 MiB: the event insert touches several indexes. (16 KiB pages
        # saved the intake another ~5-10% CPU but every commit then wrote 4x the bytes to the WAL, and
        # trigger-to-first-action p99 went from 18-20 to 31-38 ms: SQLite's 4 KiB default stays.)
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: Any, _record: Any) -> None:
        """Keep the planner's statistics current, as SQLite advises: PRAGMA optimize before closing.

        It analyses only the tables this connection queried whose statistics are missing or stale, so
        it is usually a no-op. Without statistics the planner guesses, and may sort a whole status
        for a page of 50 instead of walking the index of the sort order.
        """
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=1000")  # a busy database skips it until the next close
            cursor.execute("PRAGMA optimize")
            cursor.close()
        except sqlite3.Error:
            pass


class Database:
    """One database: a writer engine, a reader engine (the same one on PostgreSQL), and sessions."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            # Closing a connection refreshes statistics (see _on_close); recycling pooled file
            # connections hourly makes a long-running server do that too.
            recycle = -1 if parsed.database in (None, "", ":memory:") else SQLITE_RECYCLE_S
            pool = {"pool_size": pool_size, "pool_recycle": recycle}
            self.engine = create_engine(url, echo=echo, connect_args=args, **pool)
            _prepare_sqlite(self.engine, immediate=True)
            self.read_engine = create_engine(url, echo=echo, connect_args=args, **pool)
            _prepare_sqlite(self.read_engine, immediate=False)
        else:
            self.engine = create_engine(url, echo=echo, pool_size=pool_size, pool_pre_ping=True)
            self.read_engine = self.engine
        # SQLite has one writer at a time. Threads of this process queue here, each woken the moment
        # the previous writer commits; SQLite's own busy handler, left for other processes, polls
        # with sleeps of 1, 2, 5, 10... ms, which made a contended write wait milliseconds for nothing.
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A transaction that commits on success, rolls back on error, and speaks SocflowError."""
        factory = self._writer if write else self._reader
        lock = self._write_lock if write else None
        if lock is not None:
            lock.acquire()
        session = factory()
        try:
            yield session
            if write:
                session.commit()
        except SocflowError:
            session.rollback()
            raise
        except StaleDataError:
            session.rollback()
            raise Conflict("the object was changed by someone else meanwhile; reload and retry") from None
        except IntegrityError as exc:
            session.rollback()
            raise DuplicateKey(f"the change conflicts with stored data: {exc.orig}") from None
        except (OperationalError, DBAPIError) as exc:
            session.rollback()
            raise StorageError(f"database error: {exc.orig}") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if lock is not None:
                lock.release()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
