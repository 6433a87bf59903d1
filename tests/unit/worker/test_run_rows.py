"""The SQLite bulk-write path stores exactly what SQLAlchemy's own parameter processing would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from socflow.storage.db import Database
from socflow.storage.tables_runs import RunJournalRow, RunRow
from socflow.worker import run_writes
from socflow.worker.run_rows import json_text, sqlite_datetime, write_many

AT = datetime(2026, 12, 3, 12, 0, 0, 1234, tzinfo=UTC)


def _run(run_id: str) -> dict[str, object]:
    return {
        "id": run_id,
        "playbook_id": "p",
        "version_id": "p@1",
        "status": "running",
        "state": {"steps": {"s0": {"status": "pending"}}, "note": "é ✓", 7: "int key"},
        "trigger": {},
        "case_id": None,
        "created_by": "alice",
        "created_at": AT,
        "updated_at": AT.astimezone(timezone(timedelta(hours=2))),
        "version": 1,
    }


def test_rows_written_in_bulk_read_back_as_the_orm_wrote_them(database: Database) -> None:
    with database.session() as session:
        write_many(session.connection(), run_writes.INSERT_RUN, [_run("fast")])
        session.add(
            RunRow(
                **{
                    **_run("orm"),
                    "state": {"steps": {"s0": {"status": "pending"}}, "note": "é ✓", "7": "int key"},
                }
            )
        )

    with database.session(write=False) as session:
        fast, orm = session.get(RunRow, "fast"), session.get(RunRow, "orm")
        assert fast is not None
        assert orm is not None
        assert fast.state == orm.state  # a non-string key becomes a string, as with json.dumps
        assert (fast.created_at, fast.updated_at) == (orm.created_at, orm.updated_at) == (AT, AT)
        later = session.scalars(select(RunRow.id).where(RunRow.updated_at >= AT)).all()
        assert sorted(later) == ["fast", "orm"]  # stored as the same comparable text


def test_bulk_updates_apply_their_fixed_values_and_tell_listeners(database: Database) -> None:
    heard: list[str] = []

    def listener(_conn: object, statement: object, *_args: object) -> None:
        heard.append(getattr(getattr(statement, "table", None), "name", "?"))

    event.listen(database.engine, "after_execute", listener)
    try:
        with database.session() as session:
            connection = session.connection()
            write_many(connection, run_writes.INSERT_RUN, [_run("r1")])
            writes = run_writes.Writes(AT + timedelta(seconds=5))
            writes.runs.append(
                {"b_id": "r1", "b_state": {"done": True}, "b_status": "succeeded", "b_at": writes.at}
            )
            writes.journal.append(
                {"run_id": "r1", "seq": 1, "at": writes.at, "kind": "k", "actor": None, "data": {"n": 2**70}}
            )
            writes.flush(session)
    finally:
        event.remove(database.engine, "after_execute", listener)

    with database.session(write=False) as session:
        row = session.get(RunRow, "r1")
        entry = session.get(RunJournalRow, ("r1", 1))
    assert row is not None
    assert entry is not None
    assert (row.status, row.state, row.version, row.updated_at) == ("succeeded", {"done": True}, 2, writes.at)
    assert entry.data == {"n": 2**70}  # beyond orjson's integers: the json module encodes it
    assert heard.count("runs") == 2
    assert "run_journal" in heard


def test_conversions_refuse_naive_times_and_keep_json_null() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_datetime(datetime(2026, 1, 1))
    assert sqlite_datetime(None) is None
    assert sqlite_datetime(AT) == "2026-12-03 12:00:00.001234"
    assert json_text(None) == "null"
    assert json_text({"a": [1, "é"]}) == '{"a":[1,"é"]}'
