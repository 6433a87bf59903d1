"""Rehearsal case state: case_operation steps change a simulated case as the worker changes a real one."""

from __future__ import annotations

from typing import Any

import pytest
from playbook_support import graph_of
from run_support import Calls, Clock, publish

from socflow.cases.case_service import CaseInput
from socflow.cases.notes import MAX_COMMENT
from socflow.cases.tracker import Tracker
from socflow.errors import ValidationFailed
from socflow.model.lifecycle import CASE_TRANSITIONS, CaseStatus, Resolution
from socflow.model.severity import Severity
from socflow.model.tags import clean_tags
from socflow.playbooks import rehearse_case
from socflow.playbooks.rehearse import CaseFile, RehearsalCase, _Run, load_cases, rehearse
from socflow.playbooks.rehearse_case import SimulatedCase, case_mismatches
from socflow.playbooks.work import ResultStatus
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.services import build_run_service
from socflow.worker.trigger_data import case_view

TRIAGE = """
id: triage
name: Triage
kind: sequential
steps:
  - {id: tag, type: case_operation, operation: add_tag, args: {tag: [Phishing, " Urgent "]}, next: raise}
  - {id: raise, type: case_operation, operation: set_severity, args: {severity: high}, next: start}
  - {id: start, type: case_operation, operation: transition, args: {status: triage}, next: ioc}
  - id: ioc
    type: case_operation
    operation: add_observable
    args: {kind: ip, value: "{{ alert.ip }}", ioc: true}
    next: note
  - id: note
    type: case_operation
    operation: comment
    args: {text: "seen {{ case.severity | default('unset') }}"}
    next: contain
  - id: contain
    type: case_operation
    operation: transition
    args: {status: containment}
    on_failure: escalate
    next: done
  - {id: escalate, type: case_operation, operation: comment, args: {text: escalated}, next: failed}
  - {id: done, type: end, outcome: contained}
  - {id: failed, type: end, outcome: escalated}
"""


def _case(data: dict[str, Any]) -> RehearsalCase:
    return CaseFile.model_validate({"cases": [{"name": "c", **data}]}).cases[0]


def test_rehearse_case_applies_every_operation_and_checks_expect_case() -> None:
    case = _case(
        {
            "trigger": {"alert": {"ip": "::ffff:203.0.113.7"}},
            "case": {"id": "case-1", "severity": "low", "tags": ["mail"]},
            "expect": {
                "outcome": "escalated",
                "case": {
                    "status": "triage",
                    "severity": "high",
                    "resolution": None,
                    "tags": ["phishing", "urgent"],
                    "observables": [{"type": "ip", "value": "203.0.113.7"}],
                    "comments": ["seen low", "escalated"],
                },
            },
        }
    )

    [report] = rehearse(graph_of(TRIAGE), [case]).cases

    assert report.failures == []
    assert report.path == ["tag", "raise", "start", "ioc", "note", "contain", "escalate", "failed"]


def test_rehearse_case_a_forbidden_transition_fails_the_step_and_takes_the_failure_path() -> None:
    case = _case({"trigger": {"alert": {"ip": "10.0.0.1"}}, "expect": {"steps": {"contain": "failed"}}})
    graph = graph_of(TRIAGE)

    report = rehearse(graph, [case])
    rehearsal = _Run(graph, case, roundtrip=True)
    error = rehearsal.go().state["steps"]["contain"]["error"]

    [result] = report.cases
    assert result.failures == []
    assert "contain -failure-> escalate" in result.edges
    assert "contain -next-> done" in report.uncovered
    assert error["code"] == "invalid_transition"
    assert "cannot move case from 'triage' to 'containment'" in error["message"]
    assert rehearsal.simulated.data["status"] == "triage"


def test_rehearse_case_a_step_with_bad_arguments_fails_with_the_workers_code() -> None:
    graph = graph_of(TRIAGE)
    case = _case({"trigger": {"alert": {"ip": "not-an-ip"}}, "expect": {"status": "failed"}})

    [report] = rehearse(graph, [case]).cases

    assert report.failures == []
    assert report.path == ["tag", "raise", "start", "ioc"]
    simulated = SimulatedCase(None)
    status, output, error, code = simulated.perform("add_observable", {"kind": "ip", "value": "nope"}, "k")
    assert (status, output, code) == (ResultStatus.FAILED, {}, "invalid_arguments")
    assert error is not None
    assert error.startswith("case_operation add_observable: args.value is not a valid ip:")
    assert simulated.data["observables"] == []


def test_rehearse_case_allowed_moves_are_exactly_the_model_transition_table() -> None:
    for current in CaseStatus:
        for target in CaseStatus:
            if current is target:
                continue
            accepted = CASE_TRANSITIONS[current].get(target)
            resolution = None
            if target is CaseStatus.CLOSED:
                resolution = sorted(accepted)[0] if accepted else Resolution.BENIGN
            simulated = SimulatedCase({"status": current.value})
            args = {"status": target.value, "resolution": resolution}
            status, _, _, code = simulated.perform("transition", args, f"{current}-{target}")

            allowed = accepted is not None
            assert (status is ResultStatus.SUCCEEDED) == allowed, (current, target)
            assert simulated.data["status"] == (target.value if allowed else current.value)
            assert code == (None if allowed else "invalid_transition")


def test_rehearse_case_closing_keeps_the_resolution_and_a_repeated_step_is_unchanged() -> None:
    simulated = SimulatedCase({"status": "investigating"})
    args = {"status": "closed", "resolution": "false_positive"}

    first = simulated.perform("transition", args, "k1")
    again = simulated.perform("transition", args, "k2")
    refused = simulated.perform("transition", {"status": "closed", "resolution": "benign"}, "k3")

    assert first[1] == {
        "case_id": None,
        "operation": "transition",
        "status": "closed",
        "resolution": "false_positive",
        "previous": "investigating",
        "changed": True,
    }
    assert again[1]["changed"] is False
    assert refused[3] == "invalid_transition"
    assert (simulated.data["status"], simulated.data["resolution"]) == ("closed", "false_positive")


def test_rehearse_case_an_explicit_recorded_result_wins_and_leaves_the_case_alone() -> None:
    case = _case(
        {
            "trigger": {"alert": {"ip": "10.0.0.1"}},
            "results": {"raise": {"output": {"severity": "critical"}}, "contain": {}},
            "expect": {"outcome": "contained", "case": {"severity": "medium", "status": "triage"}},
        }
    )

    [report] = rehearse(graph_of(TRIAGE), [case]).cases

    assert report.failures == []


def test_rehearse_case_templates_see_the_context_case_not_the_simulated_one_like_the_worker() -> None:
    case = _case(
        {
            "trigger": {"alert": {"ip": "10.0.0.1"}},
            "expect": {"case": {"severity": "high", "comments": ["seen unset", "escalated"]}},
        }
    )

    [report] = rehearse(graph_of(TRIAGE), [case]).cases

    assert report.failures == []


def test_rehearse_case_mismatches_name_the_key_the_expected_and_the_actual_value() -> None:
    case = _case(
        {
            "trigger": {"alert": {"ip": "10.0.0.1"}},
            "expect": {
                "case": {
                    "severity": "critical",
                    "tags": ["phishing", "malware"],
                    "observables": [{"type": "ip", "value": "10.0.0.1"}, {"type": "ip", "value": "10.0.0.2"}],
                }
            },
        }
    )

    [report] = rehearse(graph_of(TRIAGE), [case]).cases

    assert not report.passed
    assert report.failures == [
        "case.severity: expected 'critical', got 'high'",
        "case.tags: expected to include ['malware'], got ['phishing', 'urgent']",
        "case.observables: expected to include [{'type': 'ip', 'value': '10.0.0.2'}], "
        "got [{'type': 'ip', 'value': '10.0.0.1'}]",
    ]


def test_rehearse_case_mismatch_on_a_key_the_case_lacks_and_on_a_list_given_as_a_whole() -> None:
    actual = rehearse_case.initial_case({"comments": ["a"]})

    assert case_mismatches({"assignee": "tom", "comments": ["a", "b"]}, actual) == [
        "case.assignee: expected 'tom', got None",
        "case.comments: expected ['a', 'b'], got ['a']",
    ]
    assert case_mismatches({"observables": ["10.0.0.1"]}, actual) == [
        "case.observables: expected to include ['10.0.0.1'], got []"
    ]


def test_rehearse_case_starts_from_the_triggers_case_and_refuses_a_malformed_one() -> None:
    from_trigger = _case({"trigger": {"case": {"status": "investigating"}}})
    assert SimulatedCase(from_trigger.starting_case).data["status"] == "investigating"

    with pytest.raises(ValidationFailed) as caught:
        load_cases("cases:\n  - {name: x, case: {status: opened}}\n")
    assert caught.value.issues[0].path == "cases.0"
    assert "case.status must be one of" in caught.value.issues[0].message


def test_rehearse_case_mirrors_the_case_services_comment_limit_and_tag_rules() -> None:
    assert rehearse_case.MAX_COMMENT == MAX_COMMENT
    tags = [" Phish ", "phish", "A" * 100, "x"]
    simulated = SimulatedCase(None)
    simulated.perform("add_tag", {"tag": tags}, "k")
    assert simulated.data["tags"] == sorted(clean_tags(tags, "add_tags"))
    for bad in (["ok", "  "], ["b" * 101]):
        with pytest.raises(ValidationFailed) as real:
            clean_tags(bad, "add_tags")
        _, _, error, code = SimulatedCase(None).perform("add_tag", {"tag": bad}, "k")
        assert (error, code) == (real.value.message, "invalid_arguments")


# Valid and invalid operations in one run: every step continues on error, so all of them are compared.
SEQUENCE = [
    ("add_tag", "{tag: [Phishing, ' urgent ', phishing]}"),
    ("add_tag", "{tag: ['']}"),
    ("add_tag", "{tag: 5}"),
    ("set_severity", "{severity: high}"),
    ("set_severity", "{severity: high}"),
    ("set_severity", "{severity: extreme}"),
    ("transition", "{status: containment}"),
    ("transition", "{status: triage, reason: looked at it}"),
    ("transition", "{status: triage}"),
    ("transition", "{status: investigating, resolution: benign}"),
    ("transition", "{status: closed}"),
    ("transition", "{status: opened}"),
    ("add_observable", "{kind: ip, value: '::ffff:203.0.113.7', ioc: true, tlp: red}"),
    ("add_observable", "{kind: ip, value: 203.0.113.7}"),
    ("add_observable", "{kind: domain, value: 'Evil.TEST.'}"),
    ("add_observable", "{kind: ip, value: not-an-ip}"),
    ("add_observable", "{kind: ip, value: 192.0.2.1, ioc: 'yes'}"),
    ("add_observable", "{kind: gadget, value: x}"),
    ("comment", "{text: sender blocked}"),
    ("comment", "{text: '   '}"),
    ("transition", "{status: investigating}"),
    ("transition", "{status: closed, resolution: true_positive}"),
    ("transition", "{status: closed, resolution: false_positive}"),
    ("transition", "{status: closed, resolution: benign}"),
    ("transition", "{status: reopened}"),
]
IDS = ("observable_id", "comment_id", "case_id")


def _sequence_playbook() -> str:
    steps = [
        f"  - id: op{n}\n    type: case_operation\n    operation: {operation}\n    args: {args}\n"
        f"    continue_on_error: true\n    next: {f'op{n + 1}' if n + 1 < len(SEQUENCE) else 'done'}\n"
        for n, (operation, args) in enumerate(SEQUENCE)
    ]
    head = "id: sequence\nname: sequence\nkind: sequential\nsteps:\n"
    return head + "".join(steps) + "  - {id: done, type: end, outcome: done}\n"


def _comparable(status: str, output: dict[str, Any] | None, error: str | None, code: str | None) -> Any:
    kept = {key: value for key, value in (output or {}).items() if key not in IDS}
    return status, kept, error, code


def test_rehearse_case_agrees_with_the_real_worker_on_a_sequence_of_operations(
    database: Database, tracker: Tracker
) -> None:
    catalogue = PlaybookCatalogue(database)
    service = build_run_service(database, catalogue, Calls().registry, clock=Clock(), owner="worker-1")
    case_id = tracker.cases.create("alice", CaseInput(title="phish", severity=Severity.LOW, tags=["mail"])).id
    with database.session(write=False) as session:
        starting = case_view(session, case_id)
    assert starting is not None

    run_id = service.start("alice", publish(catalogue, _sequence_playbook()), case_id=case_id)
    service.drain()
    real = {
        a.step_id: _comparable(a.status, a.output, a.error, a.error_code) for a in service.attempts(run_id)
    }
    with database.session(write=False) as session:
        final = case_view(session, case_id)
    assert final is not None

    rehearsal = _Run(graph_of(_sequence_playbook()), _case({"case": starting}), roundtrip=True)
    state = rehearsal.go().state
    simulated = rehearsal.simulated
    rehearsed = {}
    for step_id, record in state["steps"].items():
        if step_id == "done":
            continue
        error = record.get("error") or {}
        rehearsed[step_id] = _comparable(
            record["status"], record.get("result"), error.get("message"), error.get("code")
        )

    assert state["status"] == service.get(run_id).status == "succeeded"
    assert rehearsed == real
    assert len(real) == len(SEQUENCE)
    assert {code for _, _, _, code in real.values()} == {None, "invalid_arguments", "invalid_transition"}
    for name in ("status", "severity", "resolution", "tags"):
        assert simulated.data[name] == final[name], name
    assert sorted((o["type"], o["value"]) for o in simulated.data["observables"]) == [
        (o["type"], o["value"]) for o in final["observables"]
    ]
    assert simulated.data["comments"] == [c.body for c in tracker.notes.comments(case_id)]
