"""PostgreSQL schema: the migrations build exactly the declared tables, and times come back aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.storage.db import Database
from socflow.storage.migrate import current_revision, head_revision, upgrade
from socflow.storage.tables import Base, CaseRow

pytestmark = pytest.mark.integration


def test_postgres_migrated_schema_matches_the_declared_tables(database: Database) -> None:
    assert not database.is_sqlite
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_postgres_upgrade_is_at_head_and_repeatable(database: Database) -> None:
    upgrade(database)

    assert current_revision(database) == head_revision(database)
    assert current_revision(database) is not None


def test_postgres_times_round_trip_as_aware_utc(tracker: Tracker) -> None:
    local = datetime(2026, 7, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    case = tracker.cases.create("alice", CaseInput(title="t"))
    with tracker.database.session() as session:
        row = session.get(CaseRow, case.id)
        assert row is not None
        row.incident_confirmed_at = local

    stored = tracker.cases.get(case.id)

    assert stored.incident_confirmed_at == local
    assert stored.incident_confirmed_at is not None
    assert stored.incident_confirmed_at.tzinfo is UTC
    assert stored.created_at.tzinfo is UTC
