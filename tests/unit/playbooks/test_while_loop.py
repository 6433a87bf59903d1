"""While loops in the conductor: iterations, bounds, results that end the loop, JSON state, fresh keys."""

from __future__ import annotations

import json

from playbook_support import Driver, graph_of

from socflow.playbooks.conductor import Conductor
from socflow.playbooks.work import ResultStatus, RunStatus, StepResult

NOTIFY = "type: action, action: chat.notify"


def seq(steps: str, extra: str = "") -> Driver:
    return Driver(graph_of(f"id: w\nname: W\nkind: sequential\n{extra}steps:\n{steps}"))


COUNTER = (
    "  - {id: init, type: set, vars: {n: 0}, next: loop}\n"
    "  - {id: loop, type: while, condition: 'vars.n < inputs.limit', do: bump, next: done}\n"
    "  - {id: bump, type: set, vars: {n: '{{ vars.n + 1 }}'}}\n"
    "  - {id: done, type: end, outcome: counted}\n"
)
LIMIT_INPUT = "inputs: [{name: limit, type: integer, default: 3}]\n"


def test_while_runs_the_body_until_the_condition_turns_false_then_continues() -> None:
    driver = seq(COUNTER, LIMIT_INPUT)
    assert driver.start(inputs={"limit": 3}) == []
    state = driver.state
    assert (state["status"], state["outcome"], state["vars"]["n"]) == ("succeeded", "counted", 3)
    assert state["path"] == ["init", "loop", "bump", "loop", "bump", "loop", "bump", "loop", "done"]
    assert state["steps"]["loop"]["result"] == {"iterations": 3}
    assert state["steps"]["bump"]["visit"] == 3


def test_while_with_a_false_condition_skips_the_body() -> None:
    driver = seq(COUNTER, LIMIT_INPUT)
    driver.start(inputs={"limit": 0})
    assert driver.state["path"] == ["init", "loop", "done"]
    assert "bump" not in driver.state["steps"]
    assert driver.state["steps"]["loop"]["result"] == {"iterations": 0}


def test_while_reaching_its_bound_fails_with_loop_limit_and_takes_on_failure() -> None:
    steps = (
        "  - {id: init, type: set, vars: {n: 0}, next: loop}\n"
        "  - {id: loop, type: while, condition: 'true', do: bump, max_iterations: 4, on_failure: giveup,"
        " next: done}\n"
        "  - {id: bump, type: set, vars: {n: '{{ vars.n + 1 }}'}}\n"
        "  - {id: done, type: end, outcome: counted}\n"
        "  - {id: giveup, type: end, outcome: gave_up}\n"
    )
    driver = seq(steps)
    driver.start()
    state = driver.state
    assert (state["status"], state["outcome"], state["vars"]["n"]) == ("succeeded", "gave_up", 4)
    assert state["steps"]["loop"]["status"] == "failed"
    assert state["steps"]["loop"]["error"]["code"] == "loop_limit"


def test_while_bound_without_on_failure_fails_the_run() -> None:
    steps = (
        "  - {id: loop, type: while, condition: 'true', do: bump, max_iterations: 2}\n"
        "  - {id: bump, type: set, vars: {x: 1}}\n"
    )
    driver = seq(steps)
    driver.start()
    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"]["code"] == "loop_limit"
    assert driver.state["error"]["step"] == "loop"


POLL = (
    "  - {id: loop, type: while, condition: \"'check' not in steps or steps.check.result.state != 'done'\","
    " do: check, next: notify}\n"
    f"  - {{id: check, {NOTIFY}, args: {{text: 'poll'}}, next: pause}}\n"
    "  - {id: pause, type: set, vars: {polled: '{{ steps.loop.result.iterations }}'}}\n"
    f"  - {{id: notify, {NOTIFY}, args: {{text: 'finished'}}}}\n"
)


def test_while_body_action_result_ends_the_loop_with_fresh_keys_per_iteration() -> None:
    driver = seq(POLL)
    [first] = driver.start()
    [second] = driver.ok("check", {"state": "pending"})
    assert (first.step_id, second.step_id) == ("check", "check")
    assert first.idempotency_key != second.idempotency_key
    [third] = driver.ok("check", {"state": "pending"})
    assert len({first.idempotency_key, second.idempotency_key, third.idempotency_key}) == 3
    [notify] = driver.ok("check", {"state": "done"})
    assert notify.args == {"text": "finished"}
    driver.ok("notify")
    state = driver.state
    assert state["status"] == "succeeded"
    assert state["vars"]["polled"] == 3
    assert state["steps"]["loop"]["result"] == {"iterations": 3}


def test_while_state_mid_loop_survives_a_json_round_trip() -> None:
    driver = seq(POLL)
    driver.start()
    driver.ok("check", {"state": "pending"})
    saved = json.dumps(driver.state)
    resumed = Conductor(driver.graph, json.loads(saved))
    assert resumed.state["loops"]["loop"]["iterations"] == 2
    [notify] = resumed.record(StepResult("check", 1, ResultStatus.SUCCEEDED, {"state": "done"}))
    assert notify.step_id == "notify"
    assert resumed.state["steps"]["check"]["visit"] == 2


def test_nested_while_loops_count_independently() -> None:
    steps = (
        "  - {id: init, type: set, vars: {i: 0, total: 0}, next: outer}\n"
        "  - {id: outer, type: while, condition: 'vars.i < 3', do: reset, next: done}\n"
        "  - {id: reset, type: set, vars: {j: 0, i: '{{ vars.i + 1 }}'}, next: inner}\n"
        "  - {id: inner, type: while, condition: 'vars.j < 2', do: add}\n"
        "  - {id: add, type: set, vars: {j: '{{ vars.j + 1 }}', total: '{{ vars.total + 1 }}'}}\n"
        "  - {id: done, type: end}\n"
    )
    driver = seq(steps)
    driver.start()
    assert driver.state["status"] == "succeeded"
    assert driver.state["vars"]["total"] == 6
    assert driver.state["steps"]["outer"]["result"] == {"iterations": 3}


def test_while_of_ten_thousand_quick_iterations_does_not_recurse() -> None:
    steps = (
        "  - {id: loop, type: while, condition: 'vars.n < 10000', do: bump, max_iterations: 10000}\n"
        "  - {id: bump, type: set, vars: {n: '{{ vars.n + 1 }}'}}\n"
    )
    driver = seq(steps)
    driver.start(inputs={})
    assert driver.state["status"] == "failed"  # vars.n is undefined before the first set
    ok = seq("  - {id: init, type: set, vars: {n: 0}, next: loop}\n" + steps)
    ok.start()
    assert (ok.state["status"], ok.state["vars"]["n"]) == ("succeeded", 10000)


def test_while_body_step_failure_fails_the_run_and_retry_from_continues_the_loop() -> None:
    driver = seq(
        "  - {id: init, type: set, vars: {n: 0}, next: loop}\n"
        "  - {id: loop, type: while, condition: 'vars.n < 2', do: poll, next: done}\n"
        f"  - {{id: poll, {NOTIFY}, args: {{text: poll}}, next: bump}}\n"
        "  - {id: bump, type: set, vars: {n: '{{ vars.n + 1 }}'}}\n"
        "  - {id: done, type: end, outcome: counted}\n"
    )
    driver.start()
    driver.ok("poll")
    driver.fail("poll", code="upstream_down")
    assert (driver.state["status"], driver.state["error"]["step"]) == ("failed", "poll")
    [again] = driver._reload(driver.conductor.retry_from("poll", now=None))
    assert again.step_id == "poll"
    driver.ok("poll")
    assert (driver.state["status"], driver.state["outcome"], driver.state["vars"]["n"]) == (
        "succeeded", "counted", 2,
    )  # fmt: skip
    assert driver.state["steps"]["loop"]["result"] == {"iterations": 2}


def test_while_condition_error_at_run_time_fails_the_step_and_takes_on_failure() -> None:
    driver = seq(
        "  - {id: loop, type: while, condition: 'vars.missing > 1', do: b, on_failure: oops}\n"
        "  - {id: b, type: set, vars: {x: 1}}\n"
        "  - {id: oops, type: end, outcome: broken}\n"
    )
    driver.start()
    assert (driver.state["status"], driver.state["outcome"]) == ("succeeded", "broken")
    assert driver.state["steps"]["loop"]["status"] == "failed"
    assert driver.state["steps"]["loop"]["error"]["code"] != "loop_limit"
    assert "b" not in driver.state["steps"]
