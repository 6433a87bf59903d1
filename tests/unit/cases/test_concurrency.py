"""Two analysts changing the same case at once never lose either change silently (SQLite, threads)."""

from __future__ import annotations

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


def test_concurrent_updates_with_expected_versions_succeed_or_conflict(tracker: Tracker) -> None:
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
    final = tracker.cases.get(case.id)
    assert final.version == successes + 1
    updates = journal_entries(tracker, "case", case.id, "updated")
    assert len(updates) == successes
    assert_each_change_built_on_the_last(updates, "description")
    assert final.description == updates[-1]["after"]["description"]
    assert audit.verify(tracker.database).ok


def test_concurrent_tag_additions_all_land(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    at_once(lambda i: tracker.cases.update(f"analyst-{i}", case.id, changes={}, add_tags=[f"tag-{i}"]))

    assert case_tags(tracker.cases.get(case.id)) == [f"tag-{i}" for i in range(THREADS)]
    updates = journal_entries(tracker, "case", case.id, "updated")
    assert len(updates) == THREADS
    assert_each_change_built_on_the_last(updates, "tags")
    assert audit.verify(tracker.database).ok


def test_concurrent_assignments_are_each_recorded(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    at_once(lambda i: tracker.cases.assign("lead", case.id, f"analyst-{i}"))

    moves = journal_entries(tracker, "case", case.id, "assigned", "reassigned")
    assert [m["action"] for m in moves] == ["assigned"] + ["reassigned"] * (THREADS - 1)
    assert sorted(m["after"]["assignee"] for m in moves) == sorted(f"analyst-{i}" for i in range(THREADS))
    assert_each_change_built_on_the_last(moves, "assignee")
    assert tracker.cases.get(case.id).assignee == moves[-1]["after"]["assignee"]
    assert audit.verify(tracker.database).ok


def test_concurrent_identical_transitions_move_once_and_refuse_the_rest(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    def triage(index: int) -> str:
        try:
            tracker.cases.transition(f"analyst-{index}", case.id, CaseStatus.TRIAGE)
        except InvalidTransition:
            return "refused"
        return "moved"

    outcomes = at_once(triage)

    assert sorted(outcomes) == ["moved"] + ["refused"] * (THREADS - 1)
    assert tracker.cases.get(case.id).status == "triage"
    assert len(journal_entries(tracker, "case", case.id, "transitioned")) == 1
    assert audit.verify(tracker.database).ok


def test_concurrent_different_changes_to_one_case_all_land(tracker: Tracker) -> None:
    case = tracker.cases.create("lead", CaseInput(title="Shared case"))

    def change(index: int) -> None:
        actor = f"analyst-{index}"
        match index % 4:
            case 0:
                tracker.cases.update(actor, case.id, changes={}, add_tags=[f"tag-{index}"])
            case 1:
                tracker.notes.comment(actor, case.id, f"note {index}")
            case 2:
                tracker.tasks.create(actor, case.id, TaskInput(title=f"task {index}"))
            case _:
                tracker.cases.add_observables(
                    actor, case.id, [ObservableInput(ObservableType.IP, f"10.0.0.{index}")]
                )

    at_once(change)

    assert case_tags(tracker.cases.get(case.id)) == ["tag-0", "tag-4"]
    assert sorted(c.body for c in tracker.notes.comments(case.id)) == ["note 1", "note 5"]
    tasks = tracker.tasks.for_case(case.id)
    assert sorted(t.title for t in tasks) == ["task 2", "task 6"]
    assert sorted(t.position for t in tasks) == [1, 2]
    assert sorted(link.observable.value for link, _ in tracker.cases.observables(case.id)) == [
        "10.0.0.3",
        "10.0.0.7",
    ]
    assert audit.verify(tracker.database).ok


def test_concurrent_resends_of_one_alert_are_all_counted(tracker: Tracker) -> None:
    alert = AlertInput(source="siem", source_ref="r-1", title="Beaconing", severity=Severity.LOW)

    results = at_once(lambda i: [tracker.alerts.ingest(f"worker-{i}", alert)[0].id for _ in range(5)])

    ids = {alert_id for batch in results for alert_id in batch}
    assert len(ids) == 1
    assert tracker.alerts.get(ids.pop()).count == THREADS * 5
    assert audit.verify(tracker.database).ok


def test_concurrent_sightings_of_one_observable_are_all_counted(tracker: Tracker) -> None:
    ip = ObservableInput(ObservableType.IP, "203.0.113.9")

    at_once(
        lambda i: tracker.alerts.ingest(
            "ids",
            AlertInput(
                source="ids", source_ref=f"r-{i}", title="Scan", severity=Severity.LOW, observables=[ip]
            ),
        )
    )

    [row] = tracker.observables.search().items
    assert row.sightings == THREADS
    assert audit.verify(tracker.database).ok
