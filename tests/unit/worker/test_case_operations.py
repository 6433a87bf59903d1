"""case_operation steps: each operation on the run's case, as the run's actor, exactly once per key."""

from __future__ import annotations

import json

import pytest
from run_support import Calls, Clock, case_ops, publish
from sqlalchemy import select

from socflow.cases.case_service import CaseInput
from socflow.cases.tracker import Tracker
from socflow.model.lifecycle import CaseStatus
from socflow.model.severity import Severity
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import ResultStatus
from socflow.storage.db import Database
from socflow.storage.tables import AuditEntryRow
from socflow.worker.actors import run_actor
from socflow.worker.case_operations import CaseOperations
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.run_store import Lease
from socflow.worker.runs import RunService
from socflow.worker.services import build_run_service


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


@pytest.fixture
def service(database: Database, catalogue: PlaybookCatalogue, clock: Clock) -> RunService:
    return build_run_service(database, catalogue, Calls().registry, clock=clock, owner="worker-1")


@pytest.fixture
def case_id(tracker: Tracker) -> str:
    return tracker.cases.create("alice", CaseInput(title="phish", severity=Severity.LOW)).id


ALL_FIVE = [
    ("add_tag", "{tag: Phishing}"),
    ("set_severity", "{severity: high}"),
    ("transition", "{status: triage, reason: playbook triage}"),
    ("add_observable", "{kind: ip, value: 203.0.113.7, ioc: true, tlp: red}"),
    ("comment", "{text: 'sender blocked by playbook'}"),
]


def test_case_operations_apply_every_operation_as_the_runs_actor(
    service: RunService, catalogue: PlaybookCatalogue, tracker: Tracker, case_id: str
) -> None:
    run_id = service.start("alice", publish(catalogue, case_ops("triage_ops", ALL_FIVE)), case_id=case_id)

    assert service.drain() == 5

    run = service.get(run_id)
    assert run.status == "succeeded"
    case = tracker.cases.get(case_id)
    assert (case.severity, case.status) == ("high", "triage")
    assert [tag.tag for tag in case.tag_rows] == ["phishing"]
    [(link, _)] = tracker.cases.observables(case_id)
    assert (link.observable.value, link.observable.ioc, link.observable.tlp) == ("203.0.113.7", True, "red")
    [comment] = tracker.notes.comments(case_id)
    actor = run_actor("triage_ops", run_id)
    assert (comment.body, comment.author) == ("sender blocked by playbook", actor)
    outputs = {a.step_id: a.output for a in service.attempts(run_id)}
    assert outputs["op1"] == {
        "case_id": case_id,
        "operation": "set_severity",
        "severity": "high",
        "previous": "low",
        "changed": True,
    }
    assert outputs["op4"]["comment_id"] == comment.id
    case_entries = [e for e in tracker.cases.timeline(case_id) if e.actor == actor]
    assert {e.action for e in case_entries} >= {"updated", "transitioned", "observable_added", "created"}


def test_case_operations_fail_the_step_when_the_run_has_no_case(
    service: RunService, catalogue: PlaybookCatalogue
) -> None:
    run_id = service.start("alice", publish(catalogue, case_ops("caseless", [("add_tag", "{tag: x}")])))

    service.drain()

    run = service.get(run_id)
    [attempt] = service.attempts(run_id)
    assert run.status == "failed"
    assert attempt.error_code == "no_case"
    assert "not linked to a case" in (attempt.error or "")


def test_case_operations_a_retried_attempt_does_not_comment_twice(
    database: Database, catalogue: PlaybookCatalogue, clock: Clock, tracker: Tracker, case_id: str
) -> None:
    registry = Calls().registry
    first = build_run_service(database, catalogue, registry, clock=clock, owner="w1", lease_seconds=60)
    playbook = publish(catalogue, case_ops("noter", [("comment", "{text: once}"), ("add_tag", "{tag: t}")]))
    run_id = first.start("alice", playbook, case_id=case_id)
    lease = first.lease()
    assert lease is not None
    status, output, _, _ = first.execute(lease)  # the comment lands; the worker dies before recording it
    assert status is ResultStatus.SUCCEEDED

    second = build_run_service(database, catalogue, registry, clock=clock, owner="w2", lease_seconds=60)
    clock.advance(600)
    assert second.drain() == 2

    assert second.get(run_id).status == "succeeded"
    assert [c.body for c in tracker.notes.comments(case_id)] == ["once"]
    [attempt] = [a for a in second.attempts(run_id) if a.step_id == "op0"]
    assert (attempt.leases, attempt.output) == (2, output)
    with database.session(write=False) as session:
        markers = session.scalars(
            select(AuditEntryRow).where(
                AuditEntryRow.object_id == run_id, AuditEntryRow.action == "case_operation"
            )
        ).all()
    assert sorted(json.loads(m.after)["step"] for m in markers) == ["op0", "op1"]


def test_case_operations_name_the_bad_argument(
    service: RunService, catalogue: PlaybookCatalogue, case_id: str
) -> None:
    ops = [("set_severity", "{severity: huge}")]
    run_id = service.start("alice", publish(catalogue, case_ops("bad_sev", ops)), case_id=case_id)

    service.drain()

    [attempt] = service.attempts(run_id)
    assert attempt.error_code == "invalid_arguments"
    assert "args.severity must be one of: informational, low, medium, high, critical" in (attempt.error or "")


def test_case_operations_closing_needs_a_resolution(
    service: RunService, catalogue: PlaybookCatalogue, tracker: Tracker, case_id: str
) -> None:
    ops = [("transition", "{status: closed}")]
    run_id = service.start("alice", publish(catalogue, case_ops("closer", ops)), case_id=case_id)

    service.drain()

    [attempt] = service.attempts(run_id)
    assert attempt.error_code == "invalid_arguments"
    assert "args.resolution is required when closing a case" in (attempt.error or "")
    assert tracker.cases.get(case_id).status == "new"


def test_case_operations_close_with_a_resolution_and_refuse_an_illegal_move(
    service: RunService, catalogue: PlaybookCatalogue, tracker: Tracker, case_id: str
) -> None:
    ops = [
        ("transition", "{status: closed, resolution: false_positive}"),
        ("transition", "{status: recovery}"),
    ]
    run_id = service.start("alice", publish(catalogue, case_ops("closer2", ops)), case_id=case_id)

    service.drain()

    case = tracker.cases.get(case_id)
    assert (case.status, case.resolution) == ("closed", "false_positive")
    failed = next(a for a in service.attempts(run_id) if a.step_id == "op1")
    assert failed.error_code == "invalid_transition"
    assert (failed.error or "").startswith("case_operation transition: ")


def test_case_operations_a_transition_to_the_current_status_changes_nothing(
    service: RunService, catalogue: PlaybookCatalogue, tracker: Tracker, case_id: str
) -> None:
    tracker.cases.transition("alice", case_id, CaseStatus.TRIAGE)
    ops = [("transition", "{status: triage}")]
    run_id = service.start("alice", publish(catalogue, case_ops("same", ops)), case_id=case_id)

    service.drain()

    [attempt] = service.attempts(run_id)
    assert attempt.status == "succeeded"
    assert attempt.output is not None
    assert attempt.output["changed"] is False


@pytest.mark.parametrize(
    ("operation", "args", "message"),
    [
        ("add_tag", {"tag": "x", "colour": "red"}, "unknown argument(s) args.colour"),
        ("add_tag", {"tag": []}, "args.tag must be a tag or a non-empty list of tags"),
        ("comment", {"text": "  "}, "args.text must be a non-empty string"),
        ("add_observable", {"kind": "ip", "value": "not-an-ip"}, "args.value is not a valid ip"),
        ("add_observable", {"kind": "planet", "value": "x"}, "args.kind must be one of"),
        (
            "add_observable",
            {"kind": "ip", "value": "10.0.0.1", "ioc": "yes"},
            "args.ioc must be true or false",
        ),
        ("rename", {}, "unknown case operation 'rename'"),
    ],
)
def test_case_operations_refuse_bad_arguments(
    database: Database,
    service: RunService,
    catalogue: PlaybookCatalogue,
    case_id: str,
    operation: str,
    args: dict[str, object],
    message: str,
) -> None:
    run_id = service.start(
        "alice", publish(catalogue, case_ops("holder", [("add_tag", "{tag: x}")])), case_id=case_id
    )
    lease = Lease(
        1,
        run_id,
        "op0",
        1,
        WorkKind.CASE_OPERATION,
        operation,
        {"operation": operation, **args},
        "k" * 64,
        1,
        "w",
    )

    status, _, error, code = CaseOperations(database)(lease)

    assert (status, code) == (ResultStatus.FAILED, "invalid_arguments")
    assert message in (error or "")
