"""The audit journal on PostgreSQL: the chain verifies, tampering is named, concurrent writers serialise."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.model.audit import GENESIS_HASH
from socflow.model.lifecycle import CaseStatus
from socflow.storage import audit
from socflow.storage.db import Database

pytestmark = pytest.mark.integration

_CONTENT = ("at", "actor", "object_type", "object_id", "action", "before", "after", "prev_hash", "hash")


@pytest.fixture
def journal(tracker: Tracker) -> int:
    case = tracker.cases.create("alice", CaseInput(title="Suspicious login"))
    tracker.cases.assign("alice", case.id, "bob")
    for status in (CaseStatus.TRIAGE, CaseStatus.INVESTIGATING, CaseStatus.CONTAINMENT):
        tracker.cases.transition("bob", case.id, status)
    tracker.notes.comment("bob", case.id, "contained")
    tracker.cases.escalate("bob", case.id, 2, reason="incident")
    tracker.cases.update("bob", case.id, changes={"title": "Account takeover"})
    with tracker.database.session(write=False) as session:
        return audit.count(session)


def _execute(database: Database, sql: str, **params: Any) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(sql), params)


def _row(database: Database, seq: int) -> dict[str, Any]:
    with database.engine.connect() as connection:
        result = connection.execute(text("SELECT * FROM audit_entries WHERE seq = :seq"), {"seq": seq})
        return dict(result.mappings().one())


def test_postgres_verify_empty_and_populated_journals(database: Database, tracker: Tracker) -> None:
    empty = audit.verify(database)
    assert (empty.ok, empty.entries, empty.head_hash) == (True, 0, GENESIS_HASH)

    tracker.cases.create("alice", CaseInput(title="t"))

    assert audit.verify(database).ok


def test_postgres_verify_names_an_edited_entry(tracker: Tracker, journal: int) -> None:
    _execute(tracker.database, """UPDATE audit_entries SET "after" = '{}' WHERE seq = 4""")

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == 4


def test_postgres_verify_names_a_deleted_entry(tracker: Tracker, journal: int) -> None:
    _execute(tracker.database, "DELETE FROM audit_entries WHERE seq = 3")

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == 3


def test_postgres_verify_names_the_first_of_two_swapped_entries(tracker: Tracker, journal: int) -> None:
    first, second = _row(tracker.database, 2), _row(tracker.database, 5)
    assignments = ", ".join(f'"{name}" = :{name}' for name in _CONTENT)
    sql = f"UPDATE audit_entries SET {assignments} WHERE seq = :seq"
    _execute(tracker.database, sql, **{**{n: second[n] for n in _CONTENT}, "seq": 2})
    _execute(tracker.database, sql, **{**{n: first[n] for n in _CONTENT}, "seq": 5})

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == 2


def test_postgres_verify_catches_a_truncated_journal(tracker: Tracker, journal: int) -> None:
    _execute(tracker.database, "DELETE FROM audit_entries WHERE seq = :seq", seq=journal)

    report = audit.verify(tracker.database)

    assert report.broken is not None
    assert report.broken.seq == journal


def test_postgres_head_lock_serialises_concurrent_writers_from_an_empty_journal(database: Database) -> None:
    threads, batches = 8, 10
    barrier = threading.Barrier(threads)

    def writer(index: int) -> int:
        barrier.wait()
        written = 0
        for _ in range(batches):
            entries = [
                audit.PendingEntry(
                    f"w{index}", "case", f"case_{index}", "noted", {}, {"n": n}, datetime.now(UTC)
                )
                for n in range(3)
            ]
            with database.session() as session:
                written += len(audit.append(session, entries))
        return written

    with ThreadPoolExecutor(threads) as pool:
        done = list(pool.map(writer, range(threads)))

    assert done == [batches * 3] * threads
    report = audit.verify(database)
    assert report.ok
    assert report.entries == threads * batches * 3
    with database.engine.connect() as connection:
        seqs = connection.execute(text("SELECT seq FROM audit_entries ORDER BY seq")).scalars().all()
    assert seqs == list(range(1, threads * batches * 3 + 1))
