"""A state-machine run resting in a state shows what it waits on: its state, events, since, until."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from run_support import StillClock
from sqlalchemy import select

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.playbooks.work import Event
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.tables import AlertRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.run_cache import graph_for
from socflow.worker.run_views import stored_run_detail, waiting_on
from socflow.worker.runs import RunService
from socflow.worker.timekeeper import Timekeeper

START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

MACHINE = """
id: triage_machine
name: triage machine
kind: state_machine
initial: triage
states:
  - id: triage
    on_entry:
      - {id: note, type: action, action: test.echo, args: {text: triaging}}
    transitions:
      - {event: entered, when: "false", to: closed}
      - {event: analyst.decision, when: "event.data.verdict == 'benign'", to: closed}
      - {event: analyst.escalate, to: respond}
  - id: respond
    transitions:
      - {event: analyst.close, to: closed}
      - {after: 2h, to: closed}
  - {id: closed, final: true, outcome: closed}
"""


@pytest.fixture
def clock() -> StillClock:
    return StillClock(START)


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


@pytest.fixture
def service(database: Database, catalogue: PlaybookCatalogue, clock: StillClock) -> RunService:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        registry.register(spec)
    return RunService(database, catalogue, registry, clock=clock, owner="worker-1")


def _start(service: RunService, catalogue: PlaybookCatalogue, text: str = MACHINE) -> str:
    version = catalogue.save_draft("alice", text)
    catalogue.publish("alice", version.playbook_id)
    return service.start("alice", version.playbook_id)


def _states(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in detail["waiting_on"] if w["kind"] == "state"]


def test_a_run_resting_in_an_event_only_state_waits_on_that_state(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    run_id = _start(service, catalogue)
    clock.advance(60)
    service.drain(run_id=run_id)

    detail = stored_run_detail(service, run_id, timedelta(hours=24))

    assert detail["status"] == "waiting"
    [waiting] = detail["waiting_on"]  # no step in flight: the state is all it waits on
    assert (waiting["kind"], waiting["step_id"], waiting["name"]) == ("state", "triage", "triage")
    assert waiting["events"] == [
        {
            "name": "analyst.decision",
            "guarded": True,
            "when": "event.data.verdict == 'benign'",
            "to": "closed",
        },
        {"name": "analyst.escalate", "guarded": False, "when": None, "to": "respond"},
    ]
    assert waiting["summary"] == "state triage, left by event analyst.decision (guarded), analyst.escalate"
    assert waiting["since"] == START.isoformat()  # when the state was entered, not when its entry step ended
    assert waiting["deadline"] == (START + timedelta(hours=24)).isoformat()
    assert waiting["deadline_kind"] == "stuck_after"
    assert (waiting["attempt"], waiting["who"], waiting["overdue"]) == (None, None, False)


def test_while_the_entry_steps_run_the_entered_transition_may_still_come(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = _start(service, catalogue)

    detail = stored_run_detail(service, run_id)

    assert [(w["kind"], w["step_id"]) for w in detail["waiting_on"]] == [
        ("action", "note"),
        ("state", "triage"),
    ]
    [state] = _states(detail)
    assert [event["name"] for event in state["events"]] == ["entered", "analyst.decision", "analyst.escalate"]
    assert (state["deadline"], state["deadline_kind"]) == (None, None)  # no timer, no limit given


def test_a_state_with_a_timer_waits_until_the_timer(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    run_id = _start(service, catalogue)
    service.drain(run_id=run_id)
    clock.advance(600)
    service.signal("tina", run_id, Event("analyst.escalate"))

    detail = stored_run_detail(service, run_id, timedelta(hours=24))

    entered = START + timedelta(seconds=600)
    [state] = _states(detail)
    assert state["step_id"] == "respond"
    assert state["since"] == entered.isoformat()
    assert (state["deadline"], state["deadline_kind"]) == (
        (entered + timedelta(hours=2)).isoformat(),
        "timer",
    )
    timer = (entered + timedelta(hours=2)).isoformat()
    assert state["summary"] == f"state respond, left by event analyst.close or its timer at {timer}"
    assert [w["kind"] for w in detail["waiting_on"]] == ["wait_timer", "state"]


def test_a_run_with_max_duration_waits_in_its_state_until_its_deadline(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = _start(
        service, catalogue, MACHINE.replace("initial: triage", "initial: triage\nlimits: {max_duration: 4h}")
    )
    service.drain(run_id=run_id)

    [state] = _states(stored_run_detail(service, run_id, timedelta(hours=24)))

    assert (state["deadline"], state["deadline_kind"]) == (
        (START + timedelta(hours=4)).isoformat(),
        "max_duration",
    )


def test_a_state_saved_without_its_entry_time_falls_back_to_the_runs_last_change(
    service: RunService, catalogue: PlaybookCatalogue, database: Database
) -> None:
    run_id = _start(service, catalogue)
    service.drain(run_id=run_id)
    row = service.get(run_id)
    old = {key: value for key, value in row.state.items() if key != "entered_at"}
    with database.session(write=False) as session:
        graph = graph_for(session, row.version_id)
    changed = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)

    [state] = waiting_on(old, (), graph, entered_fallback=changed)

    assert state["since"] == changed.isoformat()
    assert waiting_on(old, ()) == []  # without the graph the state cannot be described


def test_a_finished_state_machine_run_waits_on_nothing(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = _start(service, catalogue)
    service.drain(run_id=run_id)
    service.signal("tina", run_id, Event("analyst.decision", {"verdict": "benign"}))

    detail = stored_run_detail(service, run_id, timedelta(hours=24))

    assert (detail["status"], detail["outcome"]) == ("succeeded", "closed")
    assert detail["waiting_on"] == []


def test_the_stuck_alert_of_a_state_machine_run_names_its_state(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, database: Database
) -> None:
    run_id = _start(service, catalogue)
    service.drain(run_id=run_id)
    clock.advance(6 * 3600)

    assert Timekeeper(service, stuck_after=6 * 3600, stuck_scan_seconds=0).fire_due() == 1

    with database.session(write=False) as session:
        [alert] = session.scalars(select(AlertRow).where(AlertRow.source == "socflow")).all()
    assert (
        f"state triage, left by event analyst.decision (guarded), analyst.escalate, since {START.isoformat()}"
        in (alert.description or "")
    )
    assert "It waits on no step." not in (alert.description or "")
