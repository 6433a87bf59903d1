"""The audit journal's hash chain verifies, and names the first entry edited, deleted, moved or cut off."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from socflow.cases.case_service import CaseInput
from socflow.cases.tasks import TaskInput
from socflow.cases.tracker import Tracker
from socflow.model.audit import GENESIS_HASH, AuditEntry
from socflow.model.lifecycle import CaseStatus
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.tables import AuditEntryRow

_CONTENT = ("at", "actor", "object_type", "object_id", "action", "before", "after", "prev_hash", "hash")


@pytest.fixture
def journal(tracker: Tracker) -> int:
    """A journal of a dozen entries written by ordinary case work; returns how many there are."""
    case = tracker.cases.create("alice", CaseInput(title="Suspicious login", tags=["vpn"]))
    tracker.cases.assign("alice", case.id, "bob")
    tracker.cases.transition("bob", case.id, CaseStatus.TRIAGE, reason="looking")
    tracker.cases.transition("bob", case.id, CaseStatus.INVESTIGATING)
    tracker.notes.comment("bob", case.id, "user confirms it was not them")
    task = tracker.tasks.create("bob", case.id, TaskInput(title="Reset password"))
    tracker.tasks.update("bob", task.id, changes={"status": "done"})
    tracker.cases.transition("carol", case.id, CaseStatus.CONTAINMENT)
    tracker.cases.escalate("carol", case.id, 2, reason="incident")
    tracker.cases.update("carol", case.id, changes={"title": "Account takeover"})
    with tracker.database.session(write=False) as session:
        return audit.count(session)


def _row(database: Database, seq: int) -> dict[str, Any]:
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM audit_entries WHERE seq = :seq"), {"seq": seq})
        return dict(row.mappings().one())


def _execute(database: Database, sql: str, **params: Any) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(sql), params)


def test_verify_an_empty_journal_is_ok(database: Database) -> None:
    report = audit.verify(database)

    assert report.ok
    assert (report.entries, report.head_hash) == (0, GENESIS_HASH)


def test_verify_a_populated_journal_is_ok(tracker: Tracker, journal: int) -> None:
    report = audit.verify(tracker.database)

    assert journal >= 10
    assert report.ok
    assert report.entries == journal
    assert report.head_hash == _row(tracker.database, journal)["hash"]


def test_verify_in_small_batches_reads_the_whole_journal(tracker: Tracker, journal: int) -> None:
    report = audit.verify(tracker.database, batch=3)

    assert report.ok
    assert report.entries == journal


def test_journal_entries_are_chained_in_sequence(tracker: Tracker, journal: int) -> None:
    rows = [_row(tracker.database, seq) for seq in range(1, journal + 1)]

    assert rows[0]["prev_hash"] == GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"]
    for row in rows:
        entry = AuditEntry(**{name: row[name] for name in AuditEntry.__dataclass_fields__})
        assert entry.compute_hash() == row["hash"]


def test_verify_names_an_edited_entry(tracker: Tracker, journal: int) -> None:
    _execute(tracker.database, """UPDATE audit_entries SET "after" = '{"status":"closed"}' WHERE seq = 5""")

    report = audit.verify(tracker.database)

    assert not report.ok
    assert report.broken is not None
    assert report.broken.seq == 5
    assert "altered" in report.broken.reason


def test_verify_names_the_entry_after_an_edit_whose_hash_was_recomputed(
    tracker: Tracker, journal: int
) -> None:
    row = _row(tracker.database, 5)
    forged = AuditEntry(**{**{n: row[n] for n in AuditEntry.__dataclass_fields__}, "actor": "mallory"})
    _execute(
        tracker.database,
        "UPDATE audit_entries SET actor = 'mallory', hash = :hash WHERE seq = 5",
        hash=forged.compute_hash(),
    )

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == 6


def test_verify_names_a_deleted_entry(tracker: Tracker, journal: int) -> None:
    _execute(tracker.database, "DELETE FROM audit_entries WHERE seq = 4")

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == 4
    assert "missing" in report.broken.reason


def test_verify_names_the_first_of_two_swapped_entries(tracker: Tracker, journal: int) -> None:
    j, k = 3, 7
    first, second = _row(tracker.database, j), _row(tracker.database, k)
    assignments = ", ".join(f'"{name}" = :{name}' for name in _CONTENT)
    sql = f"UPDATE audit_entries SET {assignments} WHERE seq = :seq"
    _execute(tracker.database, sql, **{**{n: second[n] for n in _CONTENT}, "seq": j})
    _execute(tracker.database, sql, **{**{n: first[n] for n in _CONTENT}, "seq": k})

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == j


def test_verify_names_the_first_of_two_adjacent_swapped_entries(tracker: Tracker, journal: int) -> None:
    first, second = _row(tracker.database, 6), _row(tracker.database, 7)
    assignments = ", ".join(f'"{name}" = :{name}' for name in _CONTENT)
    sql = f"UPDATE audit_entries SET {assignments} WHERE seq = :seq"
    _execute(tracker.database, sql, **{**{n: second[n] for n in _CONTENT}, "seq": 6})
    _execute(tracker.database, sql, **{**{n: first[n] for n in _CONTENT}, "seq": 7})

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == 6


def test_verify_catches_a_truncated_journal_through_its_head(tracker: Tracker, journal: int) -> None:
    _execute(tracker.database, "DELETE FROM audit_entries WHERE seq = :seq", seq=journal)

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == journal
    assert f"its head records entry {journal}" in report.broken.reason


def test_verify_catches_an_emptied_journal_through_its_head(tracker: Tracker, journal: int) -> None:
    _execute(tracker.database, "DELETE FROM audit_entries")

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == 1


def test_append_chains_after_the_head_and_moves_it(database: Database) -> None:
    pending = [
        audit.PendingEntry("alice", "case", f"case_{i}", "created", {}, {"i": i}, datetime.now(UTC))
        for i in range(3)
    ]
    with database.session() as session:
        written = audit.append(session, pending)
    with database.session() as session:
        more = audit.append(session, pending[:1])
        assert audit.append(session, []) == []

    assert [entry.seq for entry in [*written, *more]] == [1, 2, 3, 4]
    assert more[0].prev_hash == written[-1].compute_hash()
    assert audit.verify(database).head_hash == more[0].compute_hash()


def test_entries_for_many_merges_histories_by_sequence(tracker: Tracker, journal: int) -> None:
    with tracker.database.session(write=False) as session:
        (case_id,) = session.execute(text("SELECT id FROM cases")).scalars()
        (task_id,) = session.execute(text("SELECT id FROM tasks")).scalars()
        case_entries = audit.entries_for(session, "case", case_id)
        merged = audit.entries_for_many(session, [("task", task_id), ("case", case_id)])

    assert [e.seq for e in case_entries] == sorted(e.seq for e in case_entries)
    assert [e.seq for e in merged] == sorted(e.seq for e in merged)
    assert {e.object_type for e in merged} == {"case", "task"}
    assert len(merged) == len(case_entries) + 2


def test_audit_entry_row_lists_every_hashed_field() -> None:
    columns = set(AuditEntryRow.__table__.columns.keys())

    assert {*AuditEntry.__dataclass_fields__, "hash"} == columns
