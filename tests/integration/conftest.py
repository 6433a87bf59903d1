"""PostgreSQL for integration tests: a fresh migrated database per session, clean tables per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from socflow.storage.db import Database
from socflow.storage.migrate import upgrade
from socflow.storage.tables import Base

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _unavailable(message: str) -> None:
    """Skip with the reason, or fail when CI said the services must be there."""
    if os.environ.get("SOCFLOW_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (SOCFLOW_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A new database `socflow_test_<hex>` migrated to head, dropped when the session (or worker) ends."""
    admin_url = make_url(os.environ.get("SOCFLOW_TEST_POSTGRES_URL", DEFAULT_URL))
    shown = admin_url.render_as_string(hide_password=True)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    reason = None
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if reason is not None:
        admin.dispose()
        _unavailable(f"PostgreSQL not reachable at {shown}: {reason}")
    name = f"socflow_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        migrated = Database(url)
        upgrade(migrated)
        migrated.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url, pool_size=12)
    yield database
    database.dispose()


@pytest.fixture
def database(postgres_database: Database) -> Database:
    """Overrides the SQLite fixture here: the shared PostgreSQL database with every table emptied."""
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with postgres_database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE"))
    return postgres_database
