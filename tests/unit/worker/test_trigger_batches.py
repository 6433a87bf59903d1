"""The trigger dispatcher starts a batch's runs together (start_many), and a refused one fails alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.cases.alerts import AlertInput
from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.model.severity import Severity
from socflow.plugins import Registry
from socflow.storage.tables_runs import RunRow
from socflow.storage.tables_triggers import TriggerFiringRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService
from socflow.worker.triggers import TriggerDispatcher

ADMIN = "cli:admin"


def _playbook(pid: str, trigger: str, extra: str = "") -> str:
    return (
        f"id: {pid}\nname: {pid}\nkind: sequential\ntrigger:\n{trigger}\n{extra}"
        "steps:\n  - id: say\n    type: action\n    action: test.noop\n    next: done\n"
        "  - id: done\n    type: end\n"
    )


@pytest.fixture
def runs(tracker: Tracker) -> RunService:
    registry: Registry[ActionSpec] = Registry("action")
    for spec in SPECS:
        registry.register(spec)
    return RunService(tracker.database, PlaybookCatalogue(tracker.database), registry)


def _publish(runs: RunService, text: str) -> None:
    version = runs.catalogue.save_draft(ADMIN, text)
    runs.catalogue.publish(ADMIN, version.playbook_id, version.number)


def _alerts(tracker: Tracker, count: int) -> None:
    for n in range(count):
        data = AlertInput(source="edr", source_ref=f"r{n}", title="phish", severity=Severity.HIGH)
        tracker.alerts.ingest("api:edr", data)


def test_the_runs_of_one_batch_start_in_one_transaction(tracker: Tracker, runs: RunService) -> None:
    _publish(runs, _playbook("triage", "  kind: alert"))
    _publish(runs, _playbook("enrich", "  kind: alert"))
    _alerts(tracker, 4)
    dispatcher = TriggerDispatcher(tracker.database, runs, settle_delay=0.0)

    assert dispatcher.dispatch_pending() == 8
    assert dispatcher.dispatch_pending() == 0

    with tracker.database.session(write=False) as session:
        rows = list(session.scalars(select(RunRow)))
        firings = list(session.scalars(select(TriggerFiringRow)))
    assert len(rows) == 8
    assert len({row.created_at for row in rows}) == 1  # one transaction, one clock reading
    assert {row.created_by for row in rows} == {"trigger:alert"}
    assert sorted(f.run_id or "" for f in firings) == sorted(row.id for row in rows)
    assert {f.status for f in firings} == {"started"}
    alert_ids = {row.trigger["alert"]["id"] for row in rows}
    assert len(alert_ids) == 4


def test_a_refused_run_fails_alone_and_the_others_of_its_batch_start(
    tracker: Tracker, runs: RunService
) -> None:
    needs = "inputs:\n  - {name: host, type: string, required: true}\n"
    _publish(runs, _playbook("needy", "  kind: case_created", needs))
    _publish(runs, _playbook("open", "  kind: case_created"))
    for title in ("one", "two"):
        tracker.cases.create(ADMIN, CaseInput(title=title))
    dispatcher = TriggerDispatcher(tracker.database, runs, settle_delay=0.0)

    assert dispatcher.dispatch_pending() == 2

    with tracker.database.session(write=False) as session:
        firings = list(session.scalars(select(TriggerFiringRow).order_by(TriggerFiringRow.playbook_id)))
        started = list(session.scalars(select(RunRow.playbook_id)))
    assert [(f.playbook_id, f.status) for f in firings] == [
        ("needy", "failed"),
        ("needy", "failed"),
        ("open", "started"),
        ("open", "started"),
    ]
    assert "inputs" in (firings[0].detail or "")
    assert started == ["open", "open"]
