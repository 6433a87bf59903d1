"""SQLite settings the intake's insert cost depends on: page cache and checkpoints counted in bytes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from socflow.storage.db import (
    SQLITE_CACHE_KIB,
    SQLITE_WAL_CHECKPOINT_BYTES,
    Database,
)
from socflow.storage.migrate import upgrade


def _pragma(database: Database, name: str) -> int:
    with database.engine.connect() as connection:
        value = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
    assert isinstance(value, int)
    return value


def test_a_new_database_gets_a_large_cache_and_checkpoints_by_bytes(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        upgrade(database)
        page_bytes = _pragma(database, "page_size")
        assert _pragma(database, "cache_size") == -SQLITE_CACHE_KIB
        assert _pragma(database, "wal_autocheckpoint") == SQLITE_WAL_CHECKPOINT_BYTES // page_bytes
    finally:
        database.dispose()


def test_a_database_with_larger_pages_checkpoints_after_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA page_size=8192")
    connection.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
    connection.close()
    database = Database(f"sqlite:///{path}")
    try:
        assert _pragma(database, "page_size") == 8192
        assert _pragma(database, "wal_autocheckpoint") == SQLITE_WAL_CHECKPOINT_BYTES // 8192
        with database.engine.connect() as check:
            assert check.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        database.dispose()
