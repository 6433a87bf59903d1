"""People in the loop: human tasks and approvals bound to the exact action, four-eyes, expiry."""

from __future__ import annotations

import pytest
from playbook_support import Driver, graph_of, ids

from socflow.errors import Conflict, Forbidden
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import RunStatus

APPROVAL = """
id: gate
name: Gate
kind: sequential
steps:
  - id: ask
    type: approval
    role: soc_lead
    prompt: "Block {{ alert.ip }}?"
    authorizes: block
    approvers: APPROVERS
    four_eyes: true
    expires: 30m
    on_rejected: rejected
    on_expired: expired
    next: note
  - {id: note, type: set, vars: {ip: "{{ alert.ip }}-changed"}, next: block}
  - {id: block, type: action, action: firewall.block_ip, args: {ip: "{{ alert.ip }}", ttl: 1h}}
  - {id: rejected, type: end, outcome: rejected}
  - {id: expired, type: end, outcome: expired}
"""


def gate(approvers: int = 1) -> Driver:
    driver = Driver(graph_of(APPROVAL.replace("APPROVERS", str(approvers))))
    return driver


def test_approval_shows_the_exact_resolved_action_and_expiry() -> None:
    driver = gate()
    [ask] = driver.start({"alert": {"ip": "203.0.113.9"}}, requested_by="bob")
    assert ask.kind is WorkKind.APPROVAL
    assert ask.due_at == "2026-03-01T10:30:00+00:00"
    assert ask.args["action"] == "firewall.block_ip"
    assert ask.args["args"] == {"ip": "203.0.113.9", "ttl": "1h"}
    assert ask.args["prompt"] == "Block 203.0.113.9?"
    assert driver.conductor.status is RunStatus.WAITING


def test_approval_binds_the_action_to_the_approved_arguments() -> None:
    driver = gate()
    driver.start({"alert": {"ip": "203.0.113.9"}}, requested_by="bob")
    [block] = driver.signal("approved", step_id="ask", actor="anna", roles=("soc_lead",))
    assert block.args == {"ip": "203.0.113.9", "ttl": "1h"}
    assert block.approval is not None
    assert block.approval["approvers"] == ["anna"]
    assert block.approval["approval"] == "ask"
    assert len(block.approval["digest"]) == 64


def test_approval_needs_the_role_and_an_identity() -> None:
    driver = gate()
    driver.start({"alert": {"ip": "1.2.3.4"}}, requested_by="bob")
    with pytest.raises(Forbidden, match="role"):
        driver.signal("approved", step_id="ask", actor="tom", roles=("tier1",))
    with pytest.raises(Forbidden, match="identity"):
        driver.signal("approved", step_id="ask", roles=("soc_lead",))
    assert "ask" in driver.state["work"]


def test_approval_four_eyes_refuses_the_requester() -> None:
    driver = gate()
    driver.start({"alert": {"ip": "1.2.3.4"}}, requested_by="anna")
    with pytest.raises(Forbidden, match="four-eyes"):
        driver.signal("approved", step_id="ask", actor="anna", roles=("soc_lead",))


def test_approval_with_two_approvers_needs_two_different_people() -> None:
    driver = gate(approvers=2)
    driver.start({"alert": {"ip": "1.2.3.4"}}, requested_by="bob")
    assert driver.signal("approved", step_id="ask", actor="anna", roles=("soc_lead",)) == []
    with pytest.raises(Conflict, match="already decided"):
        driver.signal("approved", step_id="ask", actor="anna", roles=("soc_lead",))
    [block] = driver.signal("approved", step_id="ask", actor="carl", roles=("soc_lead",))
    assert block.approval is not None
    assert block.approval["approvers"] == ["anna", "carl"]


def test_approval_rejection_and_expiry_take_their_paths() -> None:
    rejected = gate()
    rejected.start({"alert": {"ip": "1.2.3.4"}}, requested_by="bob")
    rejected.signal("rejected", step_id="ask", actor="anna", roles=("soc_lead",))
    assert rejected.state["outcome"] == "rejected"
    expired = gate()
    expired.start({"alert": {"ip": "1.2.3.4"}}, requested_by="bob")
    expired.time_out("ask", at="2026-03-01T10:30:00+00:00")
    assert expired.state["outcome"] == "expired"
    assert expired.state["steps"]["ask"]["status"] == "timed_out"


def test_approval_is_decided_by_signal_not_by_a_worker_result() -> None:
    driver = gate()
    driver.start({"alert": {"ip": "1.2.3.4"}})
    with pytest.raises(Conflict):
        driver.ok("ask")


def test_guarded_action_is_skipped_without_its_approval() -> None:
    driver = Driver(
        graph_of(
            """
            id: skip
            name: Skip
            kind: sequential
            steps:
              - {id: ask, type: approval, role: lead, authorizes: act, continue_on_error: true, next: act}
              - {id: act, type: action, action: edr.isolate_host, args: {host: h}}
            """
        )
    )
    driver.start(requested_by="bob")
    assert driver.signal("rejected", step_id="ask", actor="anna", roles=("lead",)) == []
    assert driver.state["steps"]["act"]["status"] == "skipped"
    assert driver.conductor.status is RunStatus.SUCCEEDED


def test_human_task_carries_instructions_checklist_and_due_time() -> None:
    driver = Driver(
        graph_of(
            """
            id: task
            name: Task
            kind: sequential
            steps:
              - id: review
                type: human_task
                instructions: "Call {{ alert.user }}"
                checklist: [Reach the user, Note the answer]
                role: tier2
                due: 4h
                next: done
              - {id: done, type: set, vars: {answer: "{{ steps.review.result.answer }}"}}
            """
        )
    )
    [task] = driver.start({"alert": {"user": "alice"}})
    assert (task.kind, task.name, task.due_at) == (WorkKind.HUMAN_TASK, "tier2", "2026-03-01T14:00:00+00:00")
    assert task.args["instructions"] == "Call alice"
    assert task.args["checklist"][0] == "Reach the user"
    driver.signal("completed", step_id="review", actor="tom", data={"answer": "it was me"})
    assert driver.state["vars"] == {"answer": "it was me"}
    assert ids(driver.handed) == ["review"]


def test_signal_for_a_step_that_is_not_waiting_is_a_conflict() -> None:
    driver = gate()
    driver.start({"alert": {"ip": "1.2.3.4"}})
    with pytest.raises(Conflict):
        driver.signal("approved", step_id="block", actor="anna", roles=("soc_lead",))
