"""Two analysts changing the same case at once never lose either change silently (PostgreSQL, threads)."""

from __future__ import annotations

import pytest
from concurrency_support import (
    ROUNDS,
    THREADS,
    assert_each_change_built_on_the_last,
    at_once,
    journal_entries,
)

from socflow.cases.alerts import AlertInput
from socflow.cases.case_service import CaseInput, case_tags
from socflow.cases.observables import ObservableInput
from socflow.cases.tasks import TaskInput
from socflow.cases.tracker import Tracker
from socflow.errors import Conflict, InvalidTransition
from socflow.model.lifecycle import CaseStatus
from socflow.model.observable import ObservableType
from socflow.model.severity import Severity
from socflow.storage import audit

pytestmark = pytest.mark.integration


def test_postgres_first_writes_to_an_empty_journal_all_land(tracker: Tracker) -> None:
    ids = at_once(lambda i: tracker.cases.create(f"analyst-{i}", CaseInput(title=f"case {i}")).id)

    assert len(set(ids)) == THREADS
    report = audit.verify(tracker.database)
    assert (report.ok, report.entries) == (True, THREADS)


def test_postgres_concurrent_updates_with_expected_versions_succeed_or_conflict(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    def analyst(index: int) -> tuple[int, int]:
        won = lost = 0
        for round_ in range(ROUNDS):
            version = tracker.cases.get(case.id).version
            try:
                tracker.cases.update(
                    f"analyst-{index}",
                    case.id,
                    changes={"description": f"{index}-{round_}"},
                    expected_version=version,
                )
                won += 1
            except Conflict:
                lost += 1
        return won, lost

    results = at_once(analyst)

    successes = sum(won for won, _ in results)
    assert successes + sum(lost for _, lost in results) == THREADS * ROUNDS
    assert tracker.cases.get(case.id).version == successes + 1
    updates = journal_entries(tracker, "case", case.id, "updated")
    assert len(updates) == successes
    assert_each_change_built_on_the_last(updates, "description")
    assert audit.verify(tracker.database).ok


def test_postgres_concurrent_changes_without_versions_all_land(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    def change(index: int) -> None:
        actor = f"analyst-{index}"
        match index % 4:
            case 0:
                tracker.cases.update(actor, case.id, changes={}, add_tags=[f"tag-{index}"])
            case 1:
                tracker.cases.assign("lead", case.id, actor)
            case 2:
                tracker.tasks.create(actor, case.id, TaskInput(title=f"task {index}"))
            case _:
                tracker.cases.add_observables(
                    actor, case.id, [ObservableInput(ObservableType.IP, f"10.0.0.{index}")]
                )

    at_once(change)

    final = tracker.cases.get(case.id)
    assert case_tags(final) == ["tag-0", "tag-4"]
    assignments = journal_entries(tracker, "case", case.id, "assigned", "reassigned")
    assert sorted(a["after"]["assignee"] for a in assignments) == ["analyst-1", "analyst-5"]
    assert final.assignee == assignments[-1]["after"]["assignee"]
    assert sorted(t.position for t in tracker.tasks.for_case(case.id)) == [1, 2]
    assert len(tracker.cases.observables(case.id)) == 2
    assert audit.verify(tracker.database).ok


def test_postgres_concurrent_tag_additions_all_land(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    at_once(lambda i: tracker.cases.update(f"analyst-{i}", case.id, changes={}, add_tags=[f"tag-{i}"]))

    assert case_tags(tracker.cases.get(case.id)) == [f"tag-{i}" for i in range(THREADS)]
    assert_each_change_built_on_the_last(journal_entries(tracker, "case", case.id, "updated"), "tags")
    assert audit.verify(tracker.database).ok


def test_postgres_concurrent_assignments_are_each_recorded(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    at_once(lambda i: tracker.cases.assign("lead", case.id, f"analyst-{i}"))

    moves = journal_entries(tracker, "case", case.id, "assigned", "reassigned")
    assert [m["action"] for m in moves] == ["assigned"] + ["reassigned"] * (THREADS - 1)
    assert sorted(m["after"]["assignee"] for m in moves) == sorted(f"analyst-{i}" for i in range(THREADS))
    assert_each_change_built_on_the_last(moves, "assignee")
    assert tracker.cases.get(case.id).assignee == moves[-1]["after"]["assignee"]
    assert audit.verify(tracker.database).ok


def test_postgres_concurrent_identical_transitions_move_once(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    def triage(index: int) -> str:
        try:
            tracker.cases.transition(f"analyst-{index}", case.id, CaseStatus.TRIAGE)
        except InvalidTransition:
            return "refused"
        return "moved"

    assert sorted(at_once(triage)) == ["moved"] + ["refused"] * (THREADS - 1)
    assert len(journal_entries(tracker, "case", case.id, "transitioned")) == 1
    assert audit.verify(tracker.database).ok


def test_postgres_concurrent_resends_and_sightings_are_all_counted(tracker: Tracker) -> None:
    ip = ObservableInput(ObservableType.IP, "203.0.113.9")
    alert = AlertInput(
        source="siem", source_ref="r-1", title="Beaconing", severity=Severity.LOW, observables=[ip]
    )
    first, _ = tracker.alerts.ingest("worker", alert)

    at_once(lambda i: [tracker.alerts.ingest(f"worker-{i}", alert) for _ in range(3)])

    assert tracker.alerts.get(first.id).count == 1 + THREADS * 3
    [observable] = tracker.observables.search().items
    assert observable.sightings == 1 + THREADS * 3
    assert audit.verify(tracker.database).ok


def test_postgres_simultaneous_first_sends_of_one_alert_make_one_alert(tracker: Tracker) -> None:
    ip = ObservableInput(ObservableType.IP, "198.51.100.77")
    alert = AlertInput(
        source="edr", source_ref="first-1", title="Beacon", severity=Severity.HIGH, observables=[ip]
    )

    results = at_once(lambda i: tracker.alerts.ingest(f"sensor-{i}", alert))

    assert len({row.id for row, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    stored = tracker.alerts.get(results[0][0].id)
    assert stored.count == THREADS
    [observable] = tracker.observables.search().items
    assert observable.sightings == THREADS
    assert audit.verify(tracker.database).ok
