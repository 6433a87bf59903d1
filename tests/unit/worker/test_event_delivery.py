"""Event delivery: alerts and broadcast events complete the waiting wait_event steps whose keys match."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.cases.alerts import AlertInput
from socflow.cases.tracker import Tracker
from socflow.errors import ValidationFailed
from socflow.model.severity import Severity
from socflow.plugins import Registry
from socflow.storage.tables_runs import StepAttemptRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.event_delivery import alert_events, deliver
from socflow.worker.runs import RunService
from socflow.worker.triggers import TriggerDispatcher

ADMIN = "cli:admin"


def waits_for(pid: str, event: str, key: str) -> str:
    return (
        f"id: {pid}\nname: {pid}\nkind: sequential\n"
        "inputs:\n  - {name: expected, type: string, required: true}\n"
        "steps:\n"
        f"  - {{id: hold, type: wait_event, event: {event},"
        f" correlate: {{{key}: '{{{{ inputs.expected }}}}'}}, next: done}}\n"
        "  - {id: done, type: end, outcome: matched}\n"
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

    def publish(self, text: str) -> str:
        version = self.catalogue.save_draft(ADMIN, text)
        return self.catalogue.publish(ADMIN, version.playbook_id, version.number).playbook_id

    def start(self, playbook_id: str, expected: str) -> str:
        return self.runs.start(ADMIN, playbook_id, {"expected": expected})

    def status(self, run_id: str) -> str:
        return self.runs.get(run_id).status

    def alert(self, source_ref: str, title: str = "beacon") -> str:
        data = AlertInput(source="edr", source_ref=source_ref, title=title, severity=Severity.HIGH)
        return self.tracker.alerts.ingest("api:edr", data)[0].id

    def signals(self, run_id: str) -> list[tuple[str | None, dict[str, object]]]:
        """Who signalled the run and the event data its journal kept."""
        return [(e.actor, e.data["data"]) for e in self.runs.journal(run_id) if e.kind == "signalled"]


@pytest.fixture
def world(tracker: Tracker) -> World:
    return World(tracker)


def test_an_alert_completes_the_run_waiting_for_its_keys_and_not_the_other(world: World) -> None:
    playbook = world.publish(waits_for("on_alert", "alert", "source_ref"))
    matching, other = world.start(playbook, "ref-7"), world.start(playbook, "ref-8")
    world.dispatcher.dispatch_pending()  # the run starts are journalled too; nothing to deliver yet

    alert_id = world.alert("ref-7")
    world.dispatcher.dispatch_pending()

    assert (world.status(matching), world.runs.get(matching).state["outcome"]) == ("succeeded", "matched")
    assert world.status(other) == "waiting"
    [(actor, data)] = world.signals(matching)
    assert actor == "trigger:alert"
    assert data["id"] == alert_id
    assert data["source_ref"] == "ref-7"
    assert world.signals(other) == []


def test_alert_created_is_delivered_under_its_specific_name_too(world: World) -> None:
    created = world.publish(waits_for("on_created", "alert.created", "title"))
    updated = world.publish(waits_for("on_updated", "alert.updated", "title"))
    first, second = world.start(created, "odd login"), world.start(updated, "odd login")

    world.alert("ref-1", title="odd login")
    world.dispatcher.dispatch_pending()

    assert world.status(first) == "succeeded"
    assert world.status(second) == "waiting"


def test_a_dotted_key_matches_nested_and_flat_data(world: World) -> None:
    playbook = world.publish(waits_for("scan", "scan.done", "host.ip"))
    nested, flat, neither = (world.start(playbook, ip) for ip in ("10.0.0.5", "10.0.0.6", "10.0.0.7"))

    first = deliver(world.runs, "api:scanner", "scan.done", {"host": {"ip": "10.0.0.5"}})
    second = deliver(world.runs, "api:scanner", "scan.done", {"host.ip": "10.0.0.6", "ports": [22]})
    wrong_name = deliver(world.runs, "api:scanner", "scan.started", {"host.ip": "10.0.0.7"})

    assert (first, second, wrong_name) == ([nested], [flat], [])
    assert (world.status(nested), world.status(flat), world.status(neither)) == (
        "succeeded",
        "succeeded",
        "waiting",
    )
    result = world.runs.get(flat).state["steps"]["hold"]["result"]
    assert result == {"event": "scan.done", "host.ip": "10.0.0.6", "ports": [22]}


def test_one_event_signals_every_run_that_waits_for_it(world: World) -> None:
    playbook = world.publish(waits_for("fanout", "ticket.closed", "ticket"))
    runs = [world.start(playbook, "1041") for _ in range(3)]
    other = world.start(playbook, "1042")

    # The number 1041 matches the text "1041" the template resolved to.
    signalled = deliver(world.runs, "api:itsm", "ticket.closed", {"ticket": 1041, "by": "bob"})

    assert signalled == runs
    assert world.status(other) == "waiting"
    assert all(world.status(run) == "succeeded" for run in runs)


def test_a_run_finished_meanwhile_is_skipped(world: World) -> None:
    playbook = world.publish(waits_for("race", "ticket.closed", "ticket"))
    gone, alive = world.start(playbook, "T-9"), world.start(playbook, "T-9")
    world.runs.cancel(ADMIN, gone)
    # The look-up raced with the cancel: its attempt still reads as waiting.
    with world.tracker.database.session() as session:
        session.execute(update(StepAttemptRow).where(StepAttemptRow.run_id == gone).values(status="waiting"))

    signalled = deliver(world.runs, "api:itsm", "ticket.closed", {"ticket": "T-9"})

    assert signalled == [alive]
    assert world.status(gone) == "cancelled"
    assert world.signals(gone) == []


def test_nothing_waiting_means_no_signal_and_no_alert_load(world: World) -> None:
    playbook = world.publish(waits_for("idle", "mail.reply", "thread"))
    run = world.start(playbook, "th-1")
    world.dispatcher.dispatch_pending()

    world.alert("ref-3")
    world.dispatcher.dispatch_pending()
    missed = deliver(world.runs, ADMIN, "mail.reply", {"thread": "th-2"})

    assert missed == []
    assert world.signals(run) == []
    with world.tracker.database.session(write=False) as session:
        assert alert_events(session, [("alert", "A-1", "created"), ("case", "C-1", "created")]) == []


def test_bad_events_are_refused_with_the_field_named(world: World) -> None:
    with pytest.raises(ValidationFailed, match="event name"):
        deliver(world.runs, ADMIN, "  ", {})
    with pytest.raises(ValidationFailed, match="data must be an object"):
        deliver(world.runs, ADMIN, "x", ["not", "a", "mapping"])  # type: ignore[arg-type]
