"""Due times of waiting work in the pure conductor: wait_event timeouts, approval expiry, overdue tasks."""

from __future__ import annotations

import json

import pytest
from playbook_support import NOW, Driver, graph_of

from socflow.errors import Conflict, InvalidTransition
from socflow.playbooks.conductor import Conductor, next_due
from socflow.playbooks.work import Expiry, Lapse, RunStatus


def seq(steps: str, limits: str = "") -> Driver:
    head = "id: t\nname: t\nkind: sequential\n" + limits + "steps:\n"
    return Driver(graph_of(head + steps))


def expire(driver: Driver, step_id: str, at: str) -> Expiry | None:
    """Expire through a JSON round trip of the state, as the worker does."""
    found = driver.conductor.expire(step_id, at)
    driver.conductor = Conductor(driver.graph, json.loads(json.dumps(driver.conductor.state)))
    return found


WAIT_EVENT = (
    "  - {id: w, type: wait_event, event: mail.reply, timeout: 1h, on_timeout: late, next: got}\n"
    "  - {id: got, type: end, outcome: replied}\n"
    "  - {id: late, type: end, outcome: no_reply}\n"
)


def test_wait_event_gets_an_expiry_and_takes_its_timeout_path_when_it_passes() -> None:
    driver = seq(WAIT_EVENT)
    [wait] = driver.start()
    assert (wait.due_at, wait.expires_at) == (None, "2026-03-01T11:00:00+00:00")
    assert next_due(driver.state["work"]["w"]) == "2026-03-01T11:00:00+00:00"

    assert expire(driver, "w", "2026-03-01T10:59:59+00:00") is None
    assert driver.conductor.status is RunStatus.WAITING

    found = expire(driver, "w", "2026-03-01T11:00:00+00:00")

    assert found == Expiry("w", 1, Lapse.TIMED_OUT, "2026-03-01T11:00:00+00:00")
    assert driver.state["steps"]["w"]["status"] == "timed_out"
    assert driver.state["steps"]["w"]["error"]["code"] == "timeout"
    assert (driver.conductor.status, driver.state["outcome"]) == (RunStatus.SUCCEEDED, "no_reply")


def test_wait_event_without_timeout_path_fails_the_run_with_code_timeout() -> None:
    driver = seq("  - {id: w, type: wait_event, event: x, timeout: 5m}\n")
    driver.start()

    found = expire(driver, "w", "2026-03-01T12:00:00+00:00")  # the worker was down: late, not never

    assert found is not None
    assert found.lapse is Lapse.TIMED_OUT
    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"]["code"] == "timeout"
    assert driver.state["error"]["step"] == "w"


def test_wait_event_timeout_takes_on_failure_or_continues_when_asked() -> None:
    recover = seq(
        "  - {id: w, type: wait_event, event: x, timeout: 5m, on_failure: alt, next: done}\n"
        "  - {id: alt, type: end, outcome: alternative}\n"
        "  - {id: done, type: end, outcome: done}\n"
    )
    recover.start()
    expire(recover, "w", "2026-03-01T10:05:00+00:00")
    assert recover.state["outcome"] == "alternative"

    carry_on = seq(
        "  - {id: w, type: wait_event, event: x, timeout: 5m, continue_on_error: true, next: done}\n"
        "  - {id: done, type: end, outcome: done}\n"
    )
    carry_on.start()
    expire(carry_on, "w", "2026-03-01T10:05:00+00:00")
    assert carry_on.state["outcome"] == "done"


def test_wait_event_retry_waits_its_full_time_again_from_the_expiry() -> None:
    driver = seq(
        "  - {id: w, type: wait_event, event: x, timeout: 10m, retry: {count: 1}, on_timeout: late}\n"
        "  - {id: late, type: end, outcome: late}\n"
    )
    driver.start()

    expire(driver, "w", "2026-03-01T10:12:00+00:00")

    work = driver.state["work"]["w"]
    assert work["attempt"] == 2
    assert work["expires_at"] == "2026-03-01T10:22:00+00:00"
    assert driver.conductor.status is RunStatus.WAITING
    assert expire(driver, "w", "2026-03-01T10:21:00+00:00") is None
    found = expire(driver, "w", "2026-03-01T10:22:00+00:00")
    assert found == Expiry("w", 2, Lapse.TIMED_OUT, "2026-03-01T10:22:00+00:00")
    assert driver.state["outcome"] == "late"


GATE = """
  - id: ask
    type: approval
    role: soc_lead
    authorizes: block
    expires: 30m
    EXPIRED
    next: block
  - {id: block, type: action, action: firewall.block_ip, args: {ip: 192.0.2.1}, next: done}
  - {id: done, type: end, outcome: blocked}
  - {id: expired, type: end, outcome: expired}
"""


def test_approval_past_expiry_is_expired_and_takes_on_expired() -> None:
    driver = seq(GATE.replace("EXPIRED", "on_expired: expired"))
    [ask] = driver.start(requested_by="bob")
    assert ask.due_at == ask.expires_at == "2026-03-01T10:30:00+00:00"

    found = expire(driver, "ask", "2026-03-01T10:31:00+00:00")

    assert found == Expiry("ask", 1, Lapse.EXPIRED, "2026-03-01T10:30:00+00:00")
    assert driver.state["steps"]["ask"]["status"] == "expired"
    assert driver.state["steps"]["ask"]["error"]["code"] == "expired"
    assert driver.state["outcome"] == "expired"
    assert "block" not in driver.state["steps"]
    assert driver.handed[-1].step_id == "ask"  # the guarded action was never handed out


def test_approval_expiry_without_on_expired_fails_the_step_and_a_late_decision_is_refused() -> None:
    driver = seq(GATE.replace("EXPIRED", "").replace("  - {id: expired, type: end, outcome: expired}\n", ""))
    driver.start(requested_by="bob")

    expire(driver, "ask", "2026-03-01T10:30:00+00:00")

    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"] == {
        "step": "ask",
        "message": "no decision by 2026-03-01T10:30:00+00:00",
        "code": "expired",
    }
    with pytest.raises(InvalidTransition, match="takes no more events"):
        driver.signal("approved", step_id="ask", actor="anna", roles=("soc_lead",))


def test_approval_timeout_shorter_than_expiry_wins() -> None:
    driver = seq(GATE.replace("EXPIRED", "timeout: 10m\n    on_expired: expired"))
    [ask] = driver.start(requested_by="bob")
    assert (ask.due_at, ask.expires_at) == ("2026-03-01T10:30:00+00:00", "2026-03-01T10:10:00+00:00")
    found = expire(driver, "ask", "2026-03-01T10:10:00+00:00")
    assert found is not None
    assert found.lapse is Lapse.EXPIRED
    assert driver.state["outcome"] == "expired"


TASK = (
    "  - {id: triage, type: human_task, instructions: look, role: tier2, due: 4h, TIMEOUT next: done}\n"
    "  - {id: done, type: end, outcome: done}\n"
)


def test_human_task_past_due_is_overdue_and_keeps_waiting_on_its_person() -> None:
    driver = seq(TASK.replace("TIMEOUT", ""))
    driver.start()

    found = expire(driver, "triage", "2026-03-01T15:00:00+00:00")

    assert found == Expiry("triage", 1, Lapse.OVERDUE, "2026-03-01T14:00:00+00:00")
    work = driver.state["work"]["triage"]
    assert (work["overdue"], work["overdue_since"]) == (True, "2026-03-01T14:00:00+00:00")
    assert driver.state["steps"]["triage"]["overdue"] is True
    assert driver.state["steps"]["triage"]["status"] == "running"
    assert driver.conductor.status is RunStatus.WAITING
    assert next_due(work) is None  # nothing more to fire: it waits on its person
    assert expire(driver, "triage", "2026-03-09T00:00:00+00:00") is None
    driver.signal("done", step_id="triage", actor="tina")
    assert driver.conductor.status is RunStatus.SUCCEEDED


def test_human_task_with_timeout_is_first_overdue_then_timed_out() -> None:
    driver = seq(TASK.replace("TIMEOUT", "timeout: 8h,"))
    driver.start()

    first = expire(driver, "triage", "2026-03-01T14:00:00+00:00")
    assert first is not None
    assert first.lapse is Lapse.OVERDUE
    assert next_due(driver.state["work"]["triage"]) == "2026-03-01T18:00:00+00:00"
    second = expire(driver, "triage", "2026-03-01T18:00:01+00:00")

    assert second == Expiry("triage", 1, Lapse.TIMED_OUT, "2026-03-01T18:00:00+00:00")
    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["steps"]["triage"]["status"] == "timed_out"


def test_human_task_both_times_passed_at_once_times_out_in_one_call() -> None:
    driver = seq(TASK.replace("TIMEOUT", "timeout: 8h,"))
    driver.start()
    found = expire(driver, "triage", "2026-03-02T00:00:00+00:00")
    assert found is not None
    assert found.lapse is Lapse.TIMED_OUT
    assert driver.state["steps"]["triage"]["overdue"] is True


def test_for_each_human_tasks_are_overdue_per_item() -> None:
    driver = seq(
        "  - id: each\n    type: for_each\n    items: '{{ trigger.hosts }}'\n    concurrency: 2\n"
        "    do: {id: check, type: human_task, instructions: check it, due: 1h}\n"
    )
    driver.start({"hosts": ["a", "b"]})
    found = expire(driver, "check[1]", "2026-03-01T11:00:00+00:00")
    assert found is not None
    assert found.lapse is Lapse.OVERDUE
    assert driver.state["work"]["check[1]"]["overdue"] is True
    assert "overdue" not in driver.state["work"]["check[0]"]


def test_paused_runs_hold_their_due_times_until_resumed() -> None:
    driver = seq(WAIT_EVENT)
    driver.start()
    driver.conductor.pause()
    assert expire(driver, "w", "2026-03-01T12:00:00+00:00") is None
    assert driver.state["steps"]["w"]["status"] == "running"
    driver.conductor.resume()
    assert expire(driver, "w", "2026-03-01T12:00:00+00:00") is not None
    assert driver.state["outcome"] == "no_reply"


def test_stale_expiries_change_nothing() -> None:
    driver = seq(WAIT_EVENT)
    driver.start()
    driver.signal("mail.reply")
    before = json.dumps(driver.state, sort_keys=True)
    assert expire(driver, "w", "2026-03-01T12:00:00+00:00") is None
    assert expire(driver, "nope", "2026-03-01T12:00:00+00:00") is None
    assert json.dumps(driver.state, sort_keys=True) == before


def test_run_deadline_is_applied_by_tick_and_before_any_step_expiry() -> None:
    driver = seq(WAIT_EVENT, limits="limits: {max_duration: 30m}\n")
    driver.start()
    assert driver.conductor.deadline == "2026-03-01T10:30:00+00:00"
    assert driver.conductor.tick("2026-03-01T10:29:00+00:00") == []
    assert driver.conductor.status is RunStatus.WAITING

    assert expire(driver, "w", "2026-03-01T11:00:00+00:00") is None

    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"]["message"] == "max_duration exceeded"


def test_tick_past_the_deadline_fails_a_waiting_run() -> None:
    driver = seq(TASK.replace("TIMEOUT", ""), limits="limits: {max_duration: 1h}\n")
    driver.start()
    driver.conductor.tick("2026-03-01T11:00:00+00:00")
    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"]["code"] == "timeout"
    assert driver.conductor.tick("2026-03-01T12:00:00+00:00") == []


def test_start_clock_is_the_reference_for_every_due_time() -> None:
    driver = seq(TASK.replace("TIMEOUT", ""))
    [task] = driver.start(now="2026-03-01T10:00:00+02:00")
    assert task.due_at == "2026-03-01T14:00:00+02:00"
    assert task.due_at != NOW


def test_retry_after_the_deadline_gets_a_fresh_max_duration() -> None:
    driver = seq(WAIT_EVENT, limits="limits: {max_duration: 30m}\n")
    driver.start()
    driver.conductor.tick("2026-03-01T11:00:00+00:00")
    assert driver.conductor.status is RunStatus.FAILED

    driver.conductor.retry_from("w", now="2026-03-01T12:00:00+00:00")

    assert driver.conductor.status is RunStatus.WAITING
    assert driver.state["error"] is None
    assert driver.conductor.deadline == "2026-03-01T12:30:00+00:00"
    assert driver.state["work"]["w"]["expires_at"] == "2026-03-01T13:00:00+00:00"
    driver.conductor.tick("2026-03-01T12:30:00+00:00")
    assert driver.conductor.status is RunStatus.FAILED


def test_a_decision_after_expiry_is_refused_even_before_the_expiry_is_applied() -> None:
    driver = seq(GATE.replace("EXPIRED", "on_expired: expired"))
    driver.start(requested_by="bob")

    with pytest.raises(Conflict, match="expired at 2026-03-01T10:30:00"):
        driver.signal(
            "approved", step_id="ask", actor="anna", roles=("soc_lead",), at="2026-03-01T10:30:00+00:00"
        )

    in_time = seq(GATE.replace("EXPIRED", "on_expired: expired"))
    in_time.start(requested_by="bob")
    in_time.signal(
        "approved", step_id="ask", actor="anna", roles=("soc_lead",), at="2026-03-01T10:29:59+00:00"
    )
    assert in_time.state["steps"]["ask"]["status"] == "succeeded"
