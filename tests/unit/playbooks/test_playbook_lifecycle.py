"""Run lifecycle and durability: pause, resume, cancel, retry_from, limits; state survives JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from playbook_support import Driver, graph_of, ids

from socflow.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from socflow.playbooks.conductor import Conductor
from socflow.playbooks.work import ReadyStep, ResultStatus, RunStatus, StepResult

CHAIN = """
id: chain
name: Chain
kind: sequential
inputs:
  - {name: target, required: true}
  - {name: limit, type: integer, default: 3}
limits: {max_duration: 1h}
steps:
  - {id: a, type: action, action: intel.lookup, args: {value: "{{ inputs.target }}"}, next: b}
  - {id: b, type: action, action: chat.notify, args: {text: "{{ steps.a.result.name }}"}, next: c}
  - {id: c, type: action, action: edr.isolate_host, args: {host: "{{ inputs.target }}"}}
"""


def chain() -> Driver:
    return Driver(graph_of(CHAIN))


def test_lifecycle_inputs_take_defaults_and_are_checked() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    assert driver.state["ctx"]["inputs"] == {"target": "h1", "limit": 3}
    with pytest.raises(ValidationFailed) as caught:
        chain().start(inputs={"limit": "many", "extra": 1})
    assert {i.path for i in caught.value.issues} == {"inputs.target", "inputs.limit", "inputs.extra"}


def test_lifecycle_start_twice_is_a_conflict() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    with pytest.raises(Conflict):
        driver.conductor.start({}, {"target": "x"}, run_id="again", now="2026-03-01T10:00:00+00:00")


def test_lifecycle_pause_holds_new_work_until_resume() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    driver.conductor.pause()
    assert driver.ok("a", {"name": "n"}) == []  # recorded, but b is held
    assert driver.conductor.status is RunStatus.PAUSED
    assert driver.conductor.ready_steps() == []
    resumed = driver.conductor.resume()
    assert ids(resumed) == ["b"]
    assert ids(driver.conductor.ready_steps()) == ["b"]
    with pytest.raises(InvalidTransition):
        driver.conductor.resume()


def test_lifecycle_cancel_drops_work_and_ignores_late_results() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    driver.conductor.cancel("false positive")
    assert (driver.conductor.status, driver.state["outcome"]) == (RunStatus.CANCELLED, "false positive")
    assert driver.ok("a") == []
    assert driver.state["steps"]["a"]["status"] == "cancelled"
    with pytest.raises(InvalidTransition):
        driver.conductor.pause()


def test_lifecycle_state_only_continues_with_its_own_playbook_version() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    other = graph_of(CHAIN.replace("limit, type: integer, default: 3", "limit, type: integer, default: 4"))
    with pytest.raises(Conflict, match="version"):
        Conductor(other, driver.state)


def test_lifecycle_stale_and_duplicate_results_are_ignored() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    assert driver.ok("a", attempt=2) == []  # no such attempt
    assert ids(driver.ok("a", {"name": "n"})) == ["b"]
    assert driver.ok("a", {"name": "other"}) == []  # a redelivered result changes nothing
    assert driver.state["steps"]["a"]["result"] == {"name": "n"}


def test_lifecycle_retry_from_a_failed_step_with_new_arguments() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    driver.ok("a", {"name": "n"})
    [_b] = driver.ok("b")
    driver.fail("c")
    assert driver.conductor.status is RunStatus.FAILED
    [retry] = driver.conductor.retry_from("c", {"host": "h1.corp"})
    assert retry.args == {"host": "h1.corp"}
    assert retry.attempt == 1
    assert driver.state["steps"]["c"]["visit"] == 2
    driver.ok("c")
    assert driver.conductor.status is RunStatus.SUCCEEDED
    with pytest.raises(NotFound):
        chain().conductor.retry_from("nope")


def test_lifecycle_retry_from_refuses_to_change_approved_arguments() -> None:
    driver = Driver(
        graph_of(
            """
            id: gated
            name: Gated
            kind: sequential
            steps:
              - {id: ask, type: approval, role: lead, authorizes: act, next: act}
              - {id: act, type: action, action: edr.isolate_host, args: {host: h1}}
            """
        )
    )
    driver.start(requested_by="bob")
    driver.signal("approved", step_id="ask", actor="anna", roles=("lead",))
    driver.fail("act")
    with pytest.raises(Forbidden):
        driver.conductor.retry_from("act", {"host": "h2"})


def test_lifecycle_max_duration_fails_the_run() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    driver.ok("a", {"name": "n"}, at="2026-03-01T11:00:01+00:00")
    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"]["message"] == "max_duration exceeded"


def test_lifecycle_idempotency_key_depends_on_run_step_and_arguments() -> None:
    keys = set()
    for run_id, target in (("r1", "h1"), ("r2", "h1"), ("r1", "h2")):
        driver = chain()
        [a] = driver.start(inputs={"target": target}, run_id=run_id)
        keys.add(a.idempotency_key)
    again = chain()
    [same] = again.start(inputs={"target": "h1"}, run_id="r1")
    assert len(keys) == 3
    assert same.idempotency_key in keys


def test_lifecycle_ready_steps_round_trip_through_dicts() -> None:
    driver = chain()
    [a] = driver.start(inputs={"target": "h1"})
    assert ReadyStep.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    assert driver.conductor.ready_steps() == [a]


OUTCOMES = st.lists(st.sampled_from(["ok", "fail", "timeout"]), min_size=1, max_size=12)
FLAKY = """
id: flaky
name: Flaky
kind: sequential
steps:
  - id: each
    type: for_each
    items: "{{ alert.hosts }}"
    concurrency: 2
    do: {id: scan, type: action, action: edr.scan_host, args: {host: "{{ item }}"},
         retry: {count: 1, backoff_base: 1s}}
    continue_on_error: true
    next: fork
  - {id: fork, type: parallel, branches: [x, y], join: any, next: last}
  - {id: x, type: action, action: chat.notify, args: {text: x}, on_failure: y_fix}
  - {id: y, type: action, action: chat.notify, args: {text: y}}
  - {id: y_fix, type: set, vars: {fixed: true}}
  - {id: last, type: action, action: chat.notify, args: {text: "{{ steps.each.result | length }}"},
     continue_on_error: true}
"""


def play(outcomes: list[str], roundtrip: bool) -> dict[str, Any]:
    graph = graph_of(FLAKY)
    conductor = Conductor(graph)
    queue = conductor.start(
        {"alert": {"hosts": ["a", "b", "c"]}}, {}, run_id="r", now="2026-03-01T10:00:00+00:00"
    )
    turn = 0
    while queue:
        ready = queue.pop(0)
        status = {
            "ok": ResultStatus.SUCCEEDED,
            "fail": ResultStatus.FAILED,
            "timeout": ResultStatus.TIMED_OUT,
        }
        verdict = status[outcomes[turn % len(outcomes)]]
        turn += 1
        queue += conductor.record(StepResult(ready.step_id, ready.attempt, verdict, {"n": turn}))
        if roundtrip:
            conductor = Conductor(graph, json.loads(json.dumps(conductor.state)))
    return conductor.state


@settings(max_examples=40, deadline=None)
@given(OUTCOMES)
def test_lifecycle_state_rebuilt_from_json_at_every_step_continues_identically(outcomes: list[str]) -> None:
    assert play(outcomes, roundtrip=True) == play(outcomes, roundtrip=False)


def test_lifecycle_clock_moves_forward_only_and_compares_offsets() -> None:
    driver = chain()
    driver.start(inputs={"target": "h1"})
    driver.ok("a", {"name": "n"}, at="2026-03-01T12:30:00+02:00")  # 10:30 UTC: later than the start
    assert driver.state["clock"] == "2026-03-01T12:30:00+02:00"
    driver.ok("b", at="2026-03-01T10:10:00+00:00")  # earlier: the clock stays
    assert driver.state["clock"] == "2026-03-01T12:30:00+02:00"
