"""Migrations: an upgraded database has exactly the schema the tables declare, and can go down and up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from socflow.storage.db import Database
from socflow.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from socflow.storage.tables import Base
from socflow.storage.tables_events import EventRow


def _schema_differences(database: Database) -> list[object]:
    assert EventRow.__table__.name in Base.metadata.tables  # the event store is part of the schema
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_on_a_fresh_file_matches_the_declared_tables(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        upgrade(database)

        assert _schema_differences(database) == []
        with database.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        database.dispose()


def test_upgrade_records_the_head_revision_and_is_repeatable(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert current_revision(database) is None

        upgrade(database)
        upgrade(database)

        assert head_revision(database) is not None
        assert current_revision(database) == head_revision(database)
    finally:
        database.dispose()


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        upgrade(database)
        config = alembic_config(database)
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        with database.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}

        upgrade(database)

        assert _schema_differences(database) == []
    finally:
        database.dispose()


def test_the_migrated_template_matches_the_declared_tables(database: Database) -> None:
    assert _schema_differences(database) == []
    assert current_revision(database) == head_revision(database)


def test_alembic_config_keeps_a_percent_sign_in_the_url(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / '100%.db'}")
    try:
        assert alembic_config(database).get_main_option("sqlalchemy.url") == database.url
    finally:
        database.dispose()
