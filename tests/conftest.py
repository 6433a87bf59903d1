"""Shared fixtures: a migrated SQLite database per test, copied from one template migrated per run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from socflow.cases.tracker import Tracker
from socflow.storage.db import Database
from socflow.storage.migrate import upgrade


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "socflow.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def database(template_db: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "socflow.db"
    shutil.copyfile(template_db, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def tracker(database: Database, tmp_path: Path) -> Tracker:
    return Tracker.open(database, tmp_path / "evidence")
