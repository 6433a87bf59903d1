"""The timekeeper: waiting steps' due times fired late rather than never, run deadlines, stuck runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from run_support import StillClock
from sqlalchemy import select

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.config import Settings
from socflow.errors import Conflict, InvalidTransition
from socflow.playbooks.work import Event
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.tables import AlertRow
from socflow.storage.tables_runs import RunRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.run_views import run_detail
from socflow.worker.runs import RunService
from socflow.worker.timekeeper import ACTOR, Timekeeper


def _registry() -> Registry[ActionSpec]:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        registry.register(spec)
    return registry


@pytest.fixture
def clock() -> StillClock:
    return StillClock()


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


@pytest.fixture
def service(database: Database, catalogue: PlaybookCatalogue, clock: StillClock) -> RunService:
    return RunService(database, catalogue, _registry(), clock=clock, owner="worker-1")


def _start(service: RunService, catalogue: PlaybookCatalogue, text: str) -> str:
    version = catalogue.save_draft("alice", text)
    catalogue.publish("alice", version.playbook_id)
    return service.start("alice", version.playbook_id)


def _journal(service: RunService, run_id: str) -> list[str]:
    return [entry.kind for entry in service.journal(run_id)]


WAIT_EVENT = """
id: wait_reply
name: wait for a reply
kind: sequential
steps:
  - {id: reply, type: wait_event, event: mail.reply, timeout: 1h, on_timeout: chase, next: got}
  - {id: got, type: end, outcome: replied}
  - {id: chase, type: action, action: test.echo, args: {text: chase}, next: chased}
  - {id: chased, type: end, outcome: chased}
"""


def test_wait_event_times_out_onto_its_timeout_path(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    run_id = _start(service, catalogue, WAIT_EVENT)
    [wait] = service.attempts(run_id)
    assert (wait.status, wait.due_at) == ("waiting", clock.at + timedelta(hours=1))
    keeper = Timekeeper(service)

    clock.advance(3599)
    assert keeper.fire_due() == 0
    clock.advance(1)
    assert keeper.fire_due() == 1
    service.drain()

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "chased")
    wait = service.attempts(run_id)[0]
    assert (wait.status, wait.error_code) == ("failed", "timeout")
    entries = {e.kind: e for e in service.journal(run_id)}
    assert entries["step_timed_out"].actor == ACTOR
    assert entries["step_timed_out"].data["due"] == "2026-12-03T13:00:00+00:00"
    assert keeper.fire_due() == 0


def test_due_time_passed_while_no_worker_ran_fires_on_the_next_pass(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, database: Database
) -> None:
    text = WAIT_EVENT.replace(", on_timeout: chase", "").split("  - {id: chase")[0]
    run_id = _start(service, catalogue, text)
    clock.advance(3 * 86400)  # the worker was down for three days

    fresh = RunService(database, PlaybookCatalogue(database), _registry(), clock=clock, owner="worker-2")
    assert Timekeeper(fresh).fire_due() == 1

    run = service.get(run_id)
    assert run.status == "failed"
    assert run.state["error"]["code"] == "timeout"
    assert run.state["steps"]["reply"]["status"] == "timed_out"


def test_wait_event_retry_waits_again_with_a_new_due_time(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    text = WAIT_EVENT.replace("timeout: 1h,", "timeout: 1h, retry: {count: 1},")
    run_id = _start(service, catalogue, text)
    clock.advance(7200)
    Timekeeper(service).fire_due()

    first, second = service.attempts(run_id)
    assert (first.attempt, first.status) == (1, "failed")
    assert (second.attempt, second.status) == (2, "waiting")
    assert second.due_at == clock.at + timedelta(hours=1)
    service.signal("mailer", run_id, Event("mail.reply"))
    assert service.get(run_id).state["outcome"] == "replied"


APPROVAL = """
id: gate
name: gate
kind: sequential
steps:
  - {id: ask, type: approval, role: soc_lead, authorizes: act, expires: 30m, ON_EXPIRED next: act}
  - {id: act, type: action, action: test.echo, args: {text: done}, next: done}
  - {id: done, type: end, outcome: done}
  - {id: expired, type: end, outcome: expired}
"""


def test_approval_expires_onto_on_expired_and_refuses_a_late_decision(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    run_id = _start(service, catalogue, APPROVAL.replace("ON_EXPIRED", "on_expired: expired,"))
    clock.advance(1800)

    assert Timekeeper(service).fire_due() == 1

    run = service.get(run_id)
    assert (run.status, run.state["outcome"]) == ("succeeded", "expired")
    assert run.state["steps"]["ask"]["status"] == "expired"
    [ask] = service.attempts(run_id)
    assert (ask.status, ask.error_code) == ("failed", "expired")
    assert "step_expired" in _journal(service, run_id)
    with pytest.raises(InvalidTransition):
        service.signal("bob", run_id, Event("approved", step_id="ask", roles=("soc_lead",)))


def test_approval_without_on_expired_fails_the_run(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    text = APPROVAL.replace("ON_EXPIRED", "").replace("  - {id: expired, type: end, outcome: expired}\n", "")
    run_id = _start(service, catalogue, text)
    clock.advance(3600)
    Timekeeper(service).fire_due()
    run = service.get(run_id)
    assert run.status == "failed"
    assert run.state["error"]["code"] == "expired"


TASK = """
id: triage
name: triage
kind: sequential
steps:
  - {id: look, type: human_task, instructions: look at it, role: tier2, due: 4h, TIMEOUT next: done}
  - {id: done, type: end, outcome: done}
"""


def test_human_task_past_due_is_overdue_and_keeps_waiting_on_its_person(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    started = clock.at
    run_id = _start(service, catalogue, TASK.replace("TIMEOUT", ""))
    keeper = Timekeeper(service)
    clock.advance(5 * 3600)

    assert keeper.fire_due() == 1
    assert keeper.fire_due() == 0  # once: nothing more to fire until the person acts

    run = service.get(run_id)
    assert run.status == "waiting"
    [task] = service.attempts(run_id)
    assert (task.status, task.due_at) == ("waiting", None)
    assert _journal(service, run_id).count("step_overdue") == 1
    detail = run_detail(run, service.attempts(run_id), service.journal(run_id))
    [waiting] = detail["waiting_on"]
    assert waiting["kind"] == "human_task"
    assert waiting["who"] == {"assignee": None, "role": "tier2"}
    assert waiting["since"] == started.isoformat()
    assert (waiting["due_at"], waiting["overdue"]) == ("2026-12-03T16:00:00+00:00", True)
    assert run.state["steps"]["look"]["overdue"] is True
    service.signal("tina", run_id, Event("done", step_id="look"))
    assert service.get(run_id).status == "succeeded"


def test_human_task_with_timeout_is_overdue_first_then_times_out(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    run_id = _start(service, catalogue, TASK.replace("TIMEOUT", "timeout: 8h,"))
    keeper = Timekeeper(service)
    clock.advance(4 * 3600)
    assert keeper.fire_due() == 1
    [task] = service.attempts(run_id)
    assert task.due_at == clock.at + timedelta(hours=4)
    clock.advance(4 * 3600)

    assert keeper.fire_due() == 1

    run = service.get(run_id)
    assert run.status == "failed"
    assert run.state["steps"]["look"]["status"] == "timed_out"
    assert [k for k in _journal(service, run_id) if k.startswith("step_")][-3:] == [
        "step_overdue",
        "step_timed_out",
        "step_failed",
    ]


def test_paused_runs_keep_their_due_times_until_resumed(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    run_id = _start(service, catalogue, WAIT_EVENT)
    service.pause("alice", run_id)
    clock.advance(7200)
    keeper = Timekeeper(service, stuck_after=86400)
    assert keeper.fire_due() == 0
    service.resume("alice", run_id)
    assert keeper.fire_due() == 1
    assert service.get(run_id).state["steps"]["reply"]["status"] == "timed_out"


def _alerts(database: Database) -> list[AlertRow]:
    with database.session(write=False) as session:
        return list(session.scalars(select(AlertRow).where(AlertRow.source == "socflow")))


def test_a_run_open_past_the_default_limit_raises_one_alert(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, database: Database
) -> None:
    run_id = _start(service, catalogue, TASK.replace("due: 4h, TIMEOUT", ""))
    keeper = Timekeeper(service, stuck_after=6 * 3600, stuck_scan_seconds=0)
    clock.advance(6 * 3600 - 1)
    assert keeper.fire_due() == 0
    clock.advance(1)

    assert keeper.fire_due() == 1
    clock.advance(3600)
    assert keeper.fire_due() == 0

    [alert] = _alerts(database)
    assert (alert.source_ref, alert.severity, alert.count) == (f"run-stuck:{run_id}", "high", 1)
    assert "triage" in alert.title
    assert run_id in alert.title
    assert "Status: waiting." in alert.description
    assert "step look: human task for role tier2, since 2026-12-03T12:00:00+00:00" in alert.description
    run = service.get(run_id)
    assert run.stuck_at is not None
    assert run.status == "waiting"  # no max_duration: flagged, not failed
    stuck = [e for e in service.journal(run_id) if e.kind == "run_stuck"]
    assert [(e.actor, e.data["alert"]) for e in stuck] == [(ACTOR, alert.id)]


def test_stuck_scan_runs_at_most_once_per_interval(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, database: Database
) -> None:
    _start(service, catalogue, TASK.replace("due: 4h, TIMEOUT", ""))
    keeper = Timekeeper(service, stuck_after=60, stuck_scan_seconds=300)
    assert keeper.fire_due() == 0  # scanned: nothing open long enough yet
    clock.advance(120)
    assert keeper.fire_due() == 0  # open past the limit, but the next scan is not due
    clock.advance(180)
    assert keeper.fire_due() == 1
    assert len(_alerts(database)) == 1


def test_a_run_past_max_duration_raises_its_alert_and_fails(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, database: Database
) -> None:
    text = TASK.replace("due: 4h, TIMEOUT", "").replace(
        "kind: sequential\n", "kind: sequential\nlimits: {max_duration: 1h}\n"
    )
    run_id = _start(service, catalogue, text)
    finished: list[str] = []
    service.on_finished.append(lambda session, row: finished.append(row.id))
    clock.advance(3601)

    assert Timekeeper(service).fire_due() == 2  # the alert, then the deadline

    run = service.get(run_id)
    assert run.status == "failed"
    assert run.state["error"]["message"] == "max_duration exceeded"
    assert finished == [run_id]
    [alert] = _alerts(database)
    assert "limits.max_duration ends at 2026-12-03T13:00:00+00:00" in alert.description
    kinds = _journal(service, run_id)
    assert kinds.index("run_stuck") < kinds.index("run_deadline")
    assert [a.status for a in service.attempts(run_id)] == ["cancelled"]


def test_a_due_step_of_a_run_past_its_deadline_fails_the_run_with_the_alert(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, database: Database
) -> None:
    text = WAIT_EVENT.replace("kind: sequential\n", "kind: sequential\nlimits: {max_duration: 30m}\n")
    run_id = _start(service, catalogue, text)
    keeper = Timekeeper(service, stuck_scan_seconds=3600)
    keeper.fire_due()  # the first scan, before anything is due
    clock.advance(7200)

    keeper.fire_due()  # only the attempt is looked at: it leads to its run's deadline

    run = service.get(run_id)
    assert (run.status, run.state["error"]["message"]) == ("failed", "max_duration exceeded")
    assert len(_alerts(database)) == 1


def test_finished_runs_are_never_flagged(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, database: Database
) -> None:
    run_id = _start(service, catalogue, WAIT_EVENT)
    service.signal("mailer", run_id, Event("mail.reply"))
    clock.advance(10 * 86400)
    assert Timekeeper(service).fire_due() == 0
    assert _alerts(database) == []
    with database.session(write=False) as session:
        row = session.get(RunRow, run_id)
        assert row is not None
        assert row.stuck_at is None


def test_a_run_that_cannot_be_applied_is_retried_later_and_never_blocks_the_others(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _start(service, catalogue, WAIT_EVENT)
    healthy = service.start("alice", "wait_reply")
    keeper = Timekeeper(service)
    real = Timekeeper._expire

    def expire(self: Timekeeper, session: Any, run: Any, row: Any, at: datetime) -> bool:
        if run.id == broken:
            raise RuntimeError("corrupt state")
        return real(self, session, run, row, at)

    monkeypatch.setattr(Timekeeper, "_expire", expire)
    clock.advance(3600)

    assert keeper.fire_due() == 1

    assert service.get(healthy).state["steps"]["reply"]["status"] == "timed_out"
    assert service.get(broken).status == "waiting"
    assert service.attempts(broken)[0].due_at == clock.at + timedelta(minutes=5)
    monkeypatch.setattr(Timekeeper, "_expire", real)
    assert keeper.fire_due() == 0  # postponed, not retried on every tick
    clock.advance(300)
    assert keeper.fire_due() == 1
    assert service.get(broken).state["steps"]["reply"]["status"] == "timed_out"


def test_a_decision_after_expiry_is_refused_before_the_timekeeper_ran(
    service: RunService, catalogue: PlaybookCatalogue, clock: StillClock
) -> None:
    run_id = _start(service, catalogue, APPROVAL.replace("ON_EXPIRED", "on_expired: expired,"))
    clock.advance(1800)

    with pytest.raises(Conflict, match="expired at"):
        service.signal("bob", run_id, Event("approved", step_id="ask", roles=("soc_lead",)))

    assert "signalled" not in _journal(service, run_id)
    assert Timekeeper(service).fire_due() == 1
    assert service.get(run_id).state["outcome"] == "expired"


def test_from_settings_takes_the_configured_stuck_limit(service: RunService) -> None:
    settings = Settings(run_stuck_after=timedelta(hours=2))
    assert Timekeeper.from_settings(service, settings).stuck_after == 7200
    assert Timekeeper(service).stuck_after == 86400
