"""Database sessions: SQLite runs in WAL with foreign keys, and driver errors leave as socflow errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from socflow.errors import Conflict, StorageError
from socflow.storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from socflow.storage.tables import CaseRow, CommentRow, utcnow


def _case(case_id: str = "case_1") -> CaseRow:
    return CaseRow(
        id=case_id,
        title="Phishing",
        severity="medium",
        severity_rank=3,
        priority=3,
        status="new",
        tlp="amber",
        pap="amber",
        created_by="alice",
    )


@pytest.mark.parametrize("engine", ["engine", "read_engine"])
def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(database: Database, engine: str) -> None:
    with getattr(database, engine).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_sqlite_database_file_directory_is_created(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'a' / 'b' / 'socflow.db'}")
    try:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        assert (tmp_path / "a" / "b" / "socflow.db").is_file()
        assert database.is_sqlite
    finally:
        database.dispose()


def test_session_commits_on_success(database: Database) -> None:
    with database.session() as session:
        session.add(_case())

    with database.session(write=False) as session:
        assert session.get(CaseRow, "case_1") is not None


def test_session_rolls_back_on_error(database: Database) -> None:
    def add_then_fail() -> None:
        with database.session() as session:
            session.add(_case())
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()

    with database.session(write=False) as session:
        assert session.get(CaseRow, "case_1") is None


def test_read_session_never_commits(database: Database) -> None:
    with database.session(write=False) as session:
        session.add(_case())
        session.flush()

    with database.session(write=False) as session:
        assert session.execute(select(CaseRow)).first() is None


def test_session_turns_a_duplicate_key_into_a_conflict(database: Database) -> None:
    with database.session() as session:
        session.add(_case())

    with pytest.raises(Conflict, match="conflicts with stored data"), database.session() as session:
        session.add(_case())


def test_session_enforces_foreign_keys(database: Database) -> None:
    orphan = CommentRow(id="comment_1", case_id="case_missing", author="a", body="b", created_at=utcnow())

    with pytest.raises(Conflict), database.session() as session:
        session.add(orphan)


def test_session_turns_a_stale_version_into_a_conflict(database: Database) -> None:
    with database.session() as session:
        session.add(_case())

    def edit_behind_its_back() -> None:
        with database.session() as session:
            row = session.get(CaseRow, "case_1")
            assert row is not None
            session.execute(text("UPDATE cases SET version = version + 1 WHERE id = 'case_1'"))
            row.title = "Changed"

    with pytest.raises(Conflict, match="changed by someone else"):
        edit_behind_its_back()

    with database.session(write=False) as session:
        stored = session.get(CaseRow, "case_1")
        assert stored is not None
        assert (stored.title, stored.version) == ("Phishing", 1)


def test_session_turns_a_database_failure_into_a_storage_error(database: Database) -> None:
    with pytest.raises(StorageError, match="database error"), database.session() as session:
        session.execute(text("SELECT * FROM no_such_table"))


def test_sqlite_writers_of_one_process_take_turns_and_the_waiter_enters_when_the_first_leaves(
    tmp_path: Path,
) -> None:
    import threading

    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    order: list[str] = []
    inside, waiting = threading.Event(), threading.Event()

    def second_writer() -> None:
        waiting.set()
        with database.session() as session:
            session.execute(text("SELECT 1"))
            order.append("second entered")

    try:
        with database.session() as session:
            session.execute(text("SELECT 1"))
            inside.set()
            other = threading.Thread(target=second_writer)
            other.start()
            assert waiting.wait(5)
            other.join(0.2)  # it cannot get in while this writer is inside
            assert other.is_alive()
            order.append("first leaving")
        other.join(5)
        assert not other.is_alive()
        assert order == ["first leaving", "second entered"]
        with database.session(write=False) as reader:  # readers never wait for a writer
            reader.execute(text("SELECT 1"))
    finally:
        database.dispose()
