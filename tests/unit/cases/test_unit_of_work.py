"""A service call is one transaction: its changes and its audit entries land together or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.cases.uow import diff, plain, unit_of_work
from socflow.errors import InvalidTransition, NotFound, ValidationFailed
from socflow.model.lifecycle import CaseStatus
from socflow.model.tags import clean_tags
from socflow.storage import audit
from socflow.storage.tables import CaseRow


def _state(tracker: Tracker) -> tuple[int, list[tuple[Any, ...]]]:
    with tracker.database.session(write=False) as session:
        rows = session.execute(select(CaseRow)).scalars()
        cases = [(r.id, r.status, r.version, r.updated_at, r.assignee, r.tier) for r in rows]
        return audit.count(session), cases


def test_failed_transition_writes_no_entry_and_changes_nothing(tracker: Tracker) -> None:
    case = tracker.cases.create("alice", CaseInput(title="Brute force"))
    before = _state(tracker)

    with pytest.raises(InvalidTransition):
        tracker.cases.transition("bob", case.id, CaseStatus.ERADICATION)

    assert _state(tracker) == before
    assert audit.verify(tracker.database).ok


def test_failure_after_recording_changes_rolls_everything_back(tracker: Tracker) -> None:
    case = tracker.cases.create("alice", CaseInput(title="Brute force"))
    before = _state(tracker)

    def assign_then_fail() -> None:
        with unit_of_work(tracker.database, "bob") as work:
            row = work.get(CaseRow, case.id, "case")
            row.assignee = "bob"
            work.record("case", case.id, "assigned", {"assignee": None}, {"assignee": "bob"})
            work.session.flush()
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        assign_then_fail()

    assert _state(tracker) == before


def test_unit_of_work_needs_an_actor(tracker: Tracker) -> None:
    with pytest.raises(ValidationFailed) as caught, unit_of_work(tracker.database, ""):
        pass

    assert caught.value.issues[0].path == "actor"


def test_unit_of_work_get_of_an_unknown_row_is_not_found(tracker: Tracker) -> None:
    with (
        pytest.raises(NotFound, match="case 'case_nope' does not exist"),
        unit_of_work(tracker.database, "bob") as work,
    ):
        work.get(CaseRow, "case_nope", "case")


def test_unit_of_work_chains_its_entries_when_it_commits(tracker: Tracker) -> None:
    with unit_of_work(tracker.database, " bob ") as work:
        work.record("case", "case_1", "noted")
        work.record("case", "case_1", "noted_again", after={"n": 2})

    with tracker.database.session(write=False) as session:
        entries = audit.entries_for(session, "case", "case_1")
    assert [(e.seq, e.action, e.actor, e.before, e.after) for e in entries] == [
        (1, "noted", "bob", "{}", "{}"),
        (2, "noted_again", "bob", "{}", '{"n":2}'),
    ]


def test_diff_keeps_only_changed_fields() -> None:
    assert diff({"a": 1, "b": 2, "c": None}, {"a": 1, "b": 3, "c": "x"}) == (
        {"b": 2, "c": None},
        {"b": 3, "c": "x"},
    )


def test_plain_makes_enums_and_times_json_ready() -> None:
    value = {"s": CaseStatus.NEW, "t": [datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))]}

    assert plain(value) == {"s": "new", "t": [datetime(2026, 1, 1, tzinfo=UTC).isoformat()]}


def test_clean_tags_trims_lowercases_and_deduplicates_in_order() -> None:
    assert clean_tags([" B ", "a", "b", "A"]) == ["b", "a"]
    assert clean_tags(None) == []
