"""Trigger dispatch: journal entries start the matching published playbooks once, loops and floods stopped."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.cases.alerts import AlertInput
from socflow.cases.case_service import CaseInput
from socflow.cases.tasks import TaskInput
from socflow.cases.tracker import Tracker
from socflow.model.lifecycle import CaseStatus, TaskStatus
from socflow.model.severity import Severity
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.migrate import alembic_config, upgrade
from socflow.storage.tables_runs import RunRow
from socflow.storage.tables_triggers import TriggerFiringRow
from socflow.worker.actors import run_actor
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
from socflow.worker.trigger_loop import TriggerLoop, watch_journal
from socflow.worker.triggers import TriggerDispatcher

ADMIN = "cli:admin"


def playbook(pid: str, trigger: str, extra: str = "") -> str:
    return (
        f"id: {pid}\nname: {pid}\nkind: sequential\ntrigger:\n{trigger}\n{extra}"
        "steps:\n  - id: say\n    type: action\n    action: test.noop\n    next: done\n"
        "  - id: done\n    type: end\n"
    )


class World:
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.catalogue = PlaybookCatalogue(tracker.database)
        registry: Registry[ActionSpec] = Registry("action")
        for spec in SPECS:
            registry.register(spec)
        self.runs = RunService(tracker.database, self.catalogue, registry)
        self.dispatcher = TriggerDispatcher(tracker.database, self.runs, settle_delay=0.0)
        self.refs = iter(range(1, 10_000))

    def publish(self, text: str) -> str:
        version = self.catalogue.save_draft(ADMIN, text)
        return self.catalogue.publish(ADMIN, version.playbook_id, version.number).id

    def alert(self, title: str = "phish", severity: Severity = Severity.HIGH, actor: str = "api:edr") -> str:
        data = AlertInput(source="edr", source_ref=f"r{next(self.refs)}", title=title, severity=severity)
        return self.tracker.alerts.ingest(actor, data)[0].id

    def case(self, title: str = "case") -> str:
        return self.tracker.cases.create(ADMIN, CaseInput(title=title)).id

    def run_rows(self, playbook_id: str | None = None) -> list[RunRow]:
        with self.tracker.database.session(write=False) as session:
            query = select(RunRow).order_by(RunRow.created_at, RunRow.id)
            if playbook_id is not None:
                query = query.where(RunRow.playbook_id == playbook_id)
            return list(session.scalars(query))

    def firings(self) -> list[TriggerFiringRow]:
        with self.tracker.database.session(write=False) as session:
            return list(session.scalars(select(TriggerFiringRow).order_by(TriggerFiringRow.source)))


@pytest.fixture
def world(tracker: Tracker) -> World:
    return World(tracker)


ON_HIGH_ALERT = "  kind: alert\n  filter: \"alert.severity == 'high'\""


def test_an_alert_matching_the_filter_starts_one_run_with_the_alert_data(world: World) -> None:
    version = world.publish(playbook("triage", ON_HIGH_ALERT))
    matching = world.alert("phish", Severity.HIGH)
    world.alert("noise", Severity.LOW)

    started = world.dispatcher.dispatch_pending()
    again = world.dispatcher.dispatch_pending()

    runs = world.run_rows("triage")
    assert (started, again) == (1, 0)
    assert len(runs) == 1
    trigger: dict[str, Any] = runs[0].trigger
    assert trigger["kind"] == "alert"
    assert trigger["alert"]["id"] == matching
    assert trigger["alert"]["title"] == "phish"
    assert trigger["event"]["action"] == "created"
    assert runs[0].version_id == version
    assert runs[0].created_by == "trigger:alert"
    assert [(f.status, f.run_id) for f in world.firings()] == [("started", runs[0].id)]


def test_a_restarted_dispatcher_resumes_at_its_cursor_and_never_starts_twice(world: World) -> None:
    world.publish(playbook("triage", ON_HIGH_ALERT))
    world.alert()
    world.dispatcher.dispatch_pending()
    world.alert()

    fresh = TriggerDispatcher(world.tracker.database, world.runs, settle_delay=0.0)
    assert fresh.dispatch_pending() == 1
    assert TriggerDispatcher(world.tracker.database, world.runs, settle_delay=0.0).dispatch_pending() == 0
    assert len(world.run_rows("triage")) == 2


def test_alert_updates_fire_only_when_the_trigger_listens_to_them(world: World) -> None:
    world.publish(playbook("on_update", "  kind: alert\n  events: [updated]"))
    alert_id = world.alert()
    world.dispatcher.dispatch_pending()
    assert world.run_rows() == []

    world.tracker.alerts.update("api:analyst", alert_id, title="renamed")
    assert world.dispatcher.dispatch_pending() == 1
    assert world.run_rows()[0].trigger["event"]["after"] == {"title": "renamed"}


def test_case_created_changed_and_task_completed_triggers(world: World) -> None:
    world.publish(playbook("opened", "  kind: case_created"))
    world.publish(playbook("severe", "  kind: case_changed\n  changes: [severity]"))
    world.publish(playbook("task_done", "  kind: task_completed"))
    case_id = world.case()
    world.tracker.cases.transition(ADMIN, case_id, CaseStatus.TRIAGE)  # status: not listened to
    world.tracker.cases.update(ADMIN, case_id, changes={"severity": "critical"})
    task = world.tracker.tasks.create(ADMIN, case_id, TaskInput(title="contain"))
    world.tracker.tasks.update(ADMIN, task.id, changes={"status": TaskStatus.DONE.value})

    assert world.dispatcher.dispatch_pending() == 3

    by_playbook = {run.playbook_id: run for run in world.run_rows()}
    assert set(by_playbook) == {"opened", "severe", "task_done"}
    assert all(run.case_id == case_id for run in by_playbook.values())
    assert by_playbook["severe"].trigger["case"]["severity"] == "critical"
    assert by_playbook["task_done"].trigger["task"]["title"] == "contain"
    assert by_playbook["task_done"].trigger["case"]["id"] == case_id


def test_a_runs_own_change_does_not_retrigger_its_playbook_for_the_same_case(world: World) -> None:
    world.publish(playbook("looper", "  kind: case_changed\n  changes: [severity]"))
    world.publish(playbook("other", "  kind: case_changed\n  changes: [severity]"))
    case_id = world.case()
    world.tracker.cases.update(ADMIN, case_id, changes={"severity": "high"})
    world.dispatcher.dispatch_pending()
    looper_run = world.run_rows("looper")[0]

    world.tracker.cases.update(run_actor("looper", looper_run.id), case_id, changes={"severity": "critical"})
    world.dispatcher.dispatch_pending()

    assert len(world.run_rows("looper")) == 1
    assert len(world.run_rows("other")) == 2  # another playbook still reacts to the run's change
    suppressed = [f for f in world.firings() if f.status == "suppressed_loop"]
    assert [(f.playbook_id, f.run_id) for f in suppressed] == [("looper", None)]
    assert looper_run.id in (suppressed[0].detail or "")


def test_allow_retrigger_lets_a_run_start_its_playbook_again(world: World) -> None:
    world.publish(playbook("again", "  kind: case_changed\n  changes: [severity]\n  allow_retrigger: true"))
    case_id = world.case()
    world.tracker.cases.update(ADMIN, case_id, changes={"severity": "high"})
    world.dispatcher.dispatch_pending()
    first = world.run_rows("again")[0]

    world.tracker.cases.update(run_actor("again", first.id), case_id, changes={"severity": "critical"})

    assert world.dispatcher.dispatch_pending() == 1


def test_the_per_case_hourly_cap_suppresses_a_flood(world: World) -> None:
    world.publish(
        playbook("capped", "  kind: case_changed\n  changes: [priority]\n  max_runs_per_case_per_hour: 2")
    )
    case_id = world.case()
    other = world.case()
    for priority in (1, 2, 3):
        world.tracker.cases.update(ADMIN, case_id, changes={"priority": priority})
    world.tracker.cases.update(ADMIN, other, changes={"priority": 1})

    assert world.dispatcher.dispatch_pending() == 3

    statuses = sorted(f.status for f in world.firings())
    assert statuses == ["started", "started", "started", "suppressed_cap"]
    assert {run.case_id for run in world.run_rows("capped")} == {case_id, other}


def test_drafts_never_trigger_and_a_new_publication_takes_over(world: World) -> None:
    first = world.publish(playbook("pb", ON_HIGH_ALERT))
    draft = world.catalogue.save_draft(
        ADMIN, playbook("pb", "  kind: alert\n  filter: \"alert.title == 'x'\"")
    )
    world.alert("x", Severity.LOW)  # matches only the draft
    world.alert("y", Severity.HIGH)  # matches only the published version
    world.dispatcher.dispatch_pending()
    assert [run.version_id for run in world.run_rows()] == [first]

    world.catalogue.publish(ADMIN, "pb", draft.number)
    world.alert("x", Severity.LOW)
    world.dispatcher.dispatch_pending()

    assert [run.version_id for run in world.run_rows()] == [first, draft.id]


def test_a_failing_filter_is_recorded_not_matched(world: World) -> None:
    world.publish(playbook("broken", '  kind: alert\n  filter: "alert.nothing.deeper == 1"'))
    world.alert()

    assert world.dispatcher.dispatch_pending() == 0

    [firing] = world.firings()
    assert firing.status == "filter_error"
    assert "nothing" in (firing.detail or "")


def test_a_run_that_cannot_start_is_recorded_as_failed(world: World) -> None:
    needs = "inputs:\n  - {name: host, type: string, required: true}\n"
    world.publish(playbook("needy", "  kind: case_created", needs))
    world.case()

    assert world.dispatcher.dispatch_pending() == 0

    [firing] = world.firings()
    assert firing.status == "failed"
    assert "inputs" in (firing.detail or "")


def test_a_claim_left_by_a_crash_starts_its_run_once_on_recovery(world: World) -> None:
    world.publish(playbook("triage", ON_HIGH_ALERT))
    world.alert()
    dispatcher = TriggerDispatcher(world.tracker.database, world.runs, recover_after=0.0, settle_delay=0.0)
    dispatcher.dispatch_pending()
    started = world.run_rows("triage")[0]
    with world.tracker.database.session() as session:  # as if the process died after claiming
        session.add(
            TriggerFiringRow(
                playbook_id="triage",
                source="audit:999999",
                kind="alert",
                subject="alert:lost",
                status="claimed",
                data={"kind": "alert", "source": "audit:999999", "alert": {"id": "lost"}},
                fired_at=started.created_at,
            )
        )
        row = session.get(TriggerFiringRow, ("triage", f"audit:{started.trigger['event']['seq']}"))
        assert row is not None
        row.status, row.run_id = "claimed", None  # its run did start before the crash

    recovered = TriggerDispatcher(
        world.tracker.database, world.runs, recover_after=0.0, settle_delay=0.0
    ).dispatch_pending()

    runs = world.run_rows("triage")
    assert recovered == 1
    assert len(runs) == 2
    assert runs[1].trigger["alert"] == {"id": "lost"}
    assert runs[1].trigger["recovered"] is True
    assert {f.status for f in world.firings()} == {"started"}
    assert {f.run_id for f in world.firings()} == {run.id for run in runs}


def test_the_trigger_loop_dispatches_on_commit_without_waiting_for_its_poll(world: World) -> None:
    world.publish(playbook("triage", ON_HIGH_ALERT))
    loop = TriggerLoop(world.tracker.database, world.runs, poll_seconds=600.0, tick_seconds=600.0)
    loop.start()
    try:
        loop.dispatcher.dispatch_pending()  # whatever the first poll finds; then only a commit can wake it
        started = threading.Event()
        stop = watch_journal(world.tracker.database, lambda: started.set() if world.run_rows() else None)
        try:
            world.alert()
            assert started.wait(20.0), "the loop was not woken by the alert's commit"
        finally:
            stop()
    finally:
        assert loop.stop()
    assert [run.trigger["kind"] for run in world.run_rows("triage")] == ["alert"]


def test_a_delayed_settle_is_written_by_flush_and_the_cursor_catches_up(world: World) -> None:
    world.publish(playbook("triage", ON_HIGH_ALERT))
    dispatcher = TriggerDispatcher(world.tracker.database, world.runs, settle_delay=3600.0)
    world.alert()

    assert dispatcher.dispatch_pending() == 1
    assert [f.status for f in world.firings()] == ["claimed"]  # the run started; its record waits

    world.alert("noise", Severity.LOW)
    assert dispatcher.dispatch_pending() == 0
    dispatcher.flush()

    [run] = world.run_rows("triage")
    assert [(f.status, f.run_id) for f in world.firings()] == [("started", run.id)]
    assert dispatcher.cursor() >= run.trigger["event"]["seq"] + 1


def test_a_runs_change_to_another_case_still_triggers_its_playbook_there(world: World) -> None:
    world.publish(playbook("spread", "  kind: case_changed\n  changes: [severity]"))
    first, second = world.case("first"), world.case("second")
    world.tracker.cases.update(ADMIN, first, changes={"severity": "high"})
    world.dispatcher.dispatch_pending()
    [run] = world.run_rows("spread")

    world.tracker.cases.update(run_actor("spread", run.id), second, changes={"severity": "high"})

    assert world.dispatcher.dispatch_pending() == 1
    assert [r.case_id for r in world.run_rows("spread")] == [first, second]


def test_an_upgraded_database_triggers_from_the_upgrade_on(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(database)
        config = alembic_config(database)
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")  # as if the journal was written before triggers existed
        tracker = Tracker.open(database, tmp_path / "evidence")
        world = World(tracker)
        world.publish(playbook("triage", ON_HIGH_ALERT))
        world.alert("before the upgrade")

        upgrade(database)
        world.alert("after the upgrade")

        assert world.dispatcher.dispatch_pending() == 1
        assert [run.trigger["alert"]["title"] for run in world.run_rows()] == ["after the upgrade"]
    finally:
        database.dispose()
