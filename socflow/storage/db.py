"""Engines and transactions: SQLite (WAL, immediate write locks) or PostgreSQL through psycopg 3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from socflow.errors import Conflict, SocflowError, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _prepare_sqlite(engine: Engine, *, immediate: bool) -> None:
    """Own the transaction boundaries: WAL, foreign keys, and BEGIN IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
            self.engine = create_engine(url, echo=echo, connect_args=args, pool_size=pool_size)
            _prepare_sqlite(self.engine, immediate=True)
            self.read_engine = create_engine(url, echo=echo, connect_args=args, pool_size=pool_size)
            _prepare_sqlite(self.read_engine, immediate=False)
        else:
            self.engine = create_engine(url, echo=echo, pool_size=pool_size, pool_pre_ping=True)
            self.read_engine = self.engine
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A transaction that commits on success, rolls back on error, and speaks SocflowError."""
        factory = self._writer if write else self._reader
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
            raise Conflict(f"the change conflicts with stored data: {exc.orig}") from None
        except (OperationalError, DBAPIError) as exc:
            session.rollback()
            raise StorageError(f"database error: {exc.orig}") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
