"""UTCDateTime stores every time as UTC, returns it aware, and refuses a time without a zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from socflow.storage.db import Database
from socflow.storage.tables import CaseRow, UTCDateTime, utcnow

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_utc_datetime_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive datetimes are refused"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1, 12, 0), sqlite.dialect())


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_utc_datetime_binds_the_utc_wall_time(dialect: object) -> None:
    bound = UTCDateTime().process_bind_param(datetime(2026, 7, 1, 14, 0, tzinfo=PARIS_SUMMER), dialect)  # type: ignore[arg-type]

    assert bound == datetime(2026, 7, 1, 12, 0)


def test_utc_datetime_returns_aware_utc() -> None:
    value = UTCDateTime().process_result_value(datetime(2026, 7, 1, 12, 0), sqlite.dialect())

    assert value == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert value is not None
    assert value.tzinfo is UTC


def test_utc_datetime_passes_none_through() -> None:
    assert UTCDateTime().process_bind_param(None, sqlite.dialect()) is None
    assert UTCDateTime().process_result_value(None, sqlite.dialect()) is None


def test_utcnow_is_aware_utc() -> None:
    assert utcnow().tzinfo is UTC


def _case(created_at: datetime) -> CaseRow:
    return CaseRow(
        id="case_1",
        title="t",
        severity="low",
        severity_rank=2,
        priority=4,
        status="new",
        tlp="amber",
        pap="amber",
        created_by="alice",
        created_at=created_at,
        updated_at=created_at,
    )


def test_utc_datetime_round_trips_the_same_instant_through_the_database(database: Database) -> None:
    local = datetime(2026, 7, 1, 14, 0, 0, 123456, tzinfo=PARIS_SUMMER)
    with database.session() as session:
        session.add(_case(local))

    with database.session(write=False) as session:
        row = session.get(CaseRow, "case_1")

    assert row is not None
    assert row.created_at == local
    assert row.created_at.tzinfo is UTC
    assert row.created_at.hour == 12


def test_utc_datetime_refuses_a_naive_datetime_on_write(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetimes are refused"), database.session() as session:
        session.add(_case(datetime(2026, 7, 1, 14, 0)))
