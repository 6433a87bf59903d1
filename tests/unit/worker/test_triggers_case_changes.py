"""case_changed triggers on status, severity and tier: changes made through the case services start runs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.model.lifecycle import CaseStatus, Resolution
from socflow.model.severity import Severity
from socflow.plugins import Registry
from socflow.storage.tables_runs import RunRow
from socflow.storage.tables_triggers import TriggerFiringRow
from socflow.worker.actors import run_actor
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.services import build_run_service
from socflow.worker.triggers import TriggerDispatcher

ANALYST = "api:analyst"
NOOP_STEPS = "  - {id: say, type: action, action: test.noop, next: done}\n"


def playbook(playbook_id: str, trigger: str, steps: str = NOOP_STEPS) -> str:
    """A published-ready playbook: `trigger` is the trigger block's body, `steps` runs before the end."""
    return (
        f"id: {playbook_id}\nname: {playbook_id}\nkind: sequential\ntrigger:\n{trigger}\n"
        f"steps:\n{steps}  - {{id: done, type: end}}\n"
    )


def case_operation(operation: str, args: str) -> str:
    return f"  - {{id: op, type: case_operation, operation: {operation}, args: {args}, next: done}}\n"


class World:
    """Cases, a catalogue, a run service that performs case operations, and the trigger dispatcher."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.cases = tracker.cases
        self.catalogue = PlaybookCatalogue(tracker.database)
        registry: Registry[ActionSpec] = Registry("action")
        for spec in SPECS:
            registry.register(spec)
        self.runs = build_run_service(tracker.database, self.catalogue, registry, owner="worker-1")
        self.dispatcher = TriggerDispatcher(tracker.database, self.runs, settle_delay=0.0)

    def publish(self, text: str) -> None:
        version = self.catalogue.save_draft(ANALYST, text)
        self.catalogue.publish(ANALYST, version.playbook_id, version.number)

    def case(self, severity: Severity = Severity.MEDIUM) -> str:
        return self.cases.create(ANALYST, CaseInput(title="suspicious login", severity=severity)).id

    def dispatch(self) -> int:
        started = self.dispatcher.dispatch_pending()
        self.dispatcher.flush()
        return started

    def run_rows(self, playbook_id: str) -> list[RunRow]:
        """The playbook's runs in the order of the journal entries that started them."""
        with self.tracker.database.session(write=False) as session:
            runs = list(session.scalars(select(RunRow).where(RunRow.playbook_id == playbook_id)))
        return sorted(runs, key=lambda run: int(run.trigger["event"]["seq"]))

    def changes_seen(self, playbook_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(before, after) of the journal entry that started each run of the playbook, in order."""
        return [
            (run.trigger["event"]["before"], run.trigger["event"]["after"])
            for run in self.run_rows(playbook_id)
        ]

    def firings(self, playbook_id: str) -> list[TriggerFiringRow]:
        """The playbook's firings in journal order (their source is `audit:<seq>`)."""
        with self.tracker.database.session(write=False) as session:
            query = select(TriggerFiringRow).where(TriggerFiringRow.playbook_id == playbook_id)
            firings = list(session.scalars(query))
        return sorted(firings, key=lambda firing: int(firing.source.removeprefix("audit:")))


@pytest.fixture
def world(tracker: Tracker) -> World:
    world = World(tracker)
    world.dispatch()  # start from a quiet journal
    return world


def test_a_status_change_starts_a_run_with_the_case_and_the_move(world: World) -> None:
    world.publish(playbook("on_status", "  kind: case_changed\n  changes: [status]"))
    case_id = world.case()
    world.dispatch()  # creation is not a change

    world.cases.transition(ANALYST, case_id, CaseStatus.TRIAGE, reason="looking")

    assert world.dispatch() == 1
    [run] = world.run_rows("on_status")
    assert run.case_id == case_id
    assert run.created_by == "trigger:case_changed"
    assert run.trigger["kind"] == "case_changed"
    assert run.trigger["case"]["status"] == "triage"
    assert run.trigger["event"]["action"] == "transitioned"
    assert world.changes_seen("on_status") == [({"status": "new"}, {"status": "triage", "reason": "looking"})]


STATUS_FROM_TRIAGE_TO_INVESTIGATING = (
    "  kind: case_changed\n  changes: [status]\n"
    "  filter: \"event.before.status == 'triage' and event.after.status == 'investigating'\""
)


def test_a_status_filter_on_the_from_and_to_status_fires_only_for_that_move(world: World) -> None:
    world.publish(playbook("escalate_triage", STATUS_FROM_TRIAGE_TO_INVESTIGATING))
    case_id = world.case()

    world.cases.transition(ANALYST, case_id, CaseStatus.TRIAGE)  # new -> triage: wrong origin
    assert world.dispatch() == 0
    world.cases.transition(ANALYST, case_id, CaseStatus.INVESTIGATING)  # the move asked for
    assert world.dispatch() == 1
    world.cases.transition(ANALYST, case_id, CaseStatus.TRIAGE)  # investigating -> triage: wrong way
    world.cases.transition(ANALYST, case_id, CaseStatus.CLOSED, resolution=Resolution.FALSE_POSITIVE)
    assert world.dispatch() == 0

    assert [after["status"] for _, after in world.changes_seen("escalate_triage")] == ["investigating"]
    assert [f.status for f in world.firings("escalate_triage")] == ["started"]  # misses leave no firing


def test_a_filter_on_the_new_status_fires_whatever_the_old_one(world: World) -> None:
    # `event.after` is the move itself; `case` is the case when matched, possibly after later moves.
    to_closed = "  kind: case_changed\n  changes: [status]\n  filter: \"event.after.status == 'closed'\""
    world.publish(playbook("on_close", to_closed))
    quick, slow = world.case(), world.case()
    world.cases.transition(ANALYST, quick, CaseStatus.CLOSED, resolution=Resolution.BENIGN)
    world.cases.transition(ANALYST, slow, CaseStatus.TRIAGE)
    world.cases.transition(ANALYST, slow, CaseStatus.CLOSED, resolution=Resolution.FALSE_POSITIVE)

    assert world.dispatch() == 2

    closings = [(run.case_id, run.trigger["event"]["before"]["status"]) for run in world.run_rows("on_close")]
    assert closings == [(quick, "new"), (slow, "triage")]


def test_a_severity_change_fires_and_a_severity_filter_picks_the_level(world: World) -> None:
    world.publish(playbook("any_severity", "  kind: case_changed\n  changes: [severity]"))
    world.publish(
        playbook(
            "gone_critical",
            "  kind: case_changed\n  changes: [severity]\n  filter: \"event.after.severity == 'critical'\"",
        )
    )
    case_id = world.case(Severity.LOW)

    world.cases.update(ANALYST, case_id, changes={"severity": "medium"})
    world.cases.update(ANALYST, case_id, changes={"severity": "medium", "title": "still medium"})  # no change
    world.cases.update(ANALYST, case_id, changes={"priority": 1})  # not a severity change
    world.cases.transition(ANALYST, case_id, CaseStatus.TRIAGE)
    world.cases.update(ANALYST, case_id, changes={"severity": "critical"})

    assert world.dispatch() == 3

    assert world.changes_seen("any_severity") == [
        ({"severity": "low"}, {"severity": "medium"}),
        ({"severity": "medium"}, {"severity": "critical"}),
    ]
    assert [run.trigger["case"]["severity"] for run in world.run_rows("gone_critical")] == ["critical"]
    assert {run.case_id for run in world.run_rows("gone_critical")} == {case_id}


def test_a_tier_change_fires_on_escalation_and_de_escalation(world: World) -> None:
    world.publish(playbook("any_tier", "  kind: case_changed\n  changes: [tier]"))
    case_id = world.case()
    world.cases.update(ANALYST, case_id, changes={"severity": "high"})  # not a tier change

    world.cases.escalate(ANALYST, case_id, 3, reason="needs tier 3", assignee="carol")
    world.cases.escalate(ANALYST, case_id, 2, reason="handed back")

    assert world.dispatch() == 2
    runs = world.run_rows("any_tier")
    assert [run.trigger["event"]["action"] for run in runs] == ["escalated", "deescalated"]
    assert [(before["tier"], after["tier"]) for before, after in world.changes_seen("any_tier")] == [
        (1, 3),
        (3, 2),
    ]
    # each run sees the tier its change left, though both were matched after the second move
    assert [run.trigger["case"]["tier"] for run in runs] == [3, 2]


def test_a_tier_filter_fires_on_escalation_only(world: World) -> None:
    upward = "  kind: case_changed\n  changes: [tier]\n  filter: 'event.after.tier > event.before.tier'"
    world.publish(playbook("escalations", upward))
    case_id = world.case()

    world.cases.escalate(ANALYST, case_id, 2, reason="up")
    world.cases.escalate(ANALYST, case_id, 1, reason="down")
    world.cases.escalate(ANALYST, case_id, 3, reason="up again")

    assert world.dispatch() == 2
    assert [after["tier"] for _, after in world.changes_seen("escalations")] == [2, 3]


def test_without_changes_a_case_trigger_listens_to_status_severity_and_tier_only(world: World) -> None:
    world.publish(playbook("defaults", "  kind: case_changed"))
    case_id = world.case()

    world.cases.update(ANALYST, case_id, changes={"priority": 1, "title": "renamed"}, add_tags=["vip"])
    world.cases.assign(ANALYST, case_id, "dave")
    assert world.dispatch() == 0

    world.cases.transition(ANALYST, case_id, CaseStatus.TRIAGE)
    world.cases.update(ANALYST, case_id, changes={"severity": "high"})
    world.cases.escalate(ANALYST, case_id, 2, reason="tier 2")

    assert world.dispatch() == 3
    assert [run.trigger["event"]["action"] for run in world.run_rows("defaults")] == [
        "transitioned",
        "updated",
        "escalated",
    ]


def test_a_runs_own_status_move_does_not_restart_its_playbook(world: World) -> None:
    investigate = case_operation("transition", "{status: investigating, reason: auto}")
    world.publish(playbook("auto_investigate", "  kind: case_changed\n  changes: [status]", investigate))
    world.publish(playbook("status_watcher", "  kind: case_changed\n  changes: [status]"))
    case_id = world.case()
    world.cases.transition(ANALYST, case_id, CaseStatus.TRIAGE)
    assert world.dispatch() == 2
    [run] = world.run_rows("auto_investigate")

    world.runs.drain(run_id=run.id)  # the run moves the case on, as its own actor
    assert world.cases.get(case_id).status == "investigating"

    assert world.dispatch() == 1  # only the other playbook reacts to the run's move
    assert len(world.run_rows("auto_investigate")) == 1
    assert [after["status"] for _, after in world.changes_seen("status_watcher")] == [
        "triage",
        "investigating",
    ]
    assert [(f.status, f.run_id) for f in world.firings("auto_investigate")] == [
        ("started", run.id),
        ("suppressed_loop", None),
    ]


def test_a_runs_own_severity_change_does_not_restart_its_playbook(world: World) -> None:
    raise_it = case_operation("set_severity", "{severity: critical}")
    world.publish(playbook("raise_severity", "  kind: case_changed\n  changes: [severity]", raise_it))
    case_id = world.case(Severity.LOW)
    world.cases.update(ANALYST, case_id, changes={"severity": "high"})
    assert world.dispatch() == 1
    [run] = world.run_rows("raise_severity")

    world.runs.drain(run_id=run.id)
    assert world.cases.get(case_id).severity == "critical"

    assert world.dispatch() == 0
    assert [f.status for f in world.firings("raise_severity")] == ["started", "suppressed_loop"]
    # The analyst's own later change to the same case still fires.
    world.cases.update(ANALYST, case_id, changes={"severity": "medium"})
    assert world.dispatch() == 1


def test_a_runs_own_tier_change_does_not_restart_its_playbook_for_that_case(world: World) -> None:
    world.publish(playbook("tiering", "  kind: case_changed\n  changes: [tier]"))
    case_id, other_case = world.case(), world.case()
    world.cases.escalate(ANALYST, case_id, 2, reason="analyst")
    world.dispatch()
    [run] = world.run_rows("tiering")
    actor = run_actor("tiering", run.id)

    world.cases.escalate(actor, case_id, 3, reason="the playbook")
    assert world.dispatch() == 0
    world.cases.escalate(actor, other_case, 2, reason="the playbook, elsewhere")
    assert world.dispatch() == 1  # another case is another subject

    assert [r.case_id for r in world.run_rows("tiering")] == [case_id, other_case]
    assert sorted(f.status for f in world.firings("tiering")) == ["started", "started", "suppressed_loop"]


def test_a_case_filter_sees_each_change_as_it_left_the_case_when_changes_are_matched_together(
    world: World,
) -> None:
    world.publish(playbook("on_close", "  kind: case_changed\n  filter: \"case.status == 'closed'\""))
    case_id = world.case()
    world.dispatch()

    world.cases.transition(ANALYST, case_id, CaseStatus.TRIAGE)
    world.cases.transition(ANALYST, case_id, CaseStatus.INVESTIGATING)
    world.cases.transition(ANALYST, case_id, CaseStatus.CLOSED, resolution=Resolution.FALSE_POSITIVE)

    assert world.dispatch() == 1  # three changes in one pass; only the closing one matches
    [run] = world.run_rows("on_close")
    assert run.trigger["event"]["after"]["status"] == "closed"
    assert [firing.status for firing in world.firings("on_close")].count("started") == 1
