"""The conductor takes a sub_playbook step's end as a signal: outputs on success, a retryable failure."""

from __future__ import annotations

import pytest
from playbook_support import Driver, graph_of, ids

from socflow.errors import Conflict
from socflow.playbooks.graph import WorkKind

CALLER = """
id: caller
name: Caller
kind: sequential
steps:
  - id: enrich
    type: sub_playbook
    playbook: enrich_ip
    inputs: {ip: "{{ alert.ip }}"}
    retry: {count: 1, backoff_base: 1s, backoff_max: 1s}
    on_failure: fallback
    next: block
  - {id: block, type: action, action: firewall.block_ip, args: {ip: "{{ steps.enrich.result.outputs.ip }}"}}
  - {id: fallback, type: action, action: chat.notify, args: {text: enrichment failed}}
"""


def _started() -> Driver:
    driver = Driver(graph_of(CALLER))
    [ready] = driver.start({"alert": {"ip": "203.0.113.5"}})
    assert (ready.kind, ready.name, ready.args["inputs"]) == (
        WorkKind.SUB_PLAYBOOK,
        "enrich_ip",
        {"ip": "203.0.113.5"},
    )
    return driver


def test_sub_playbook_success_carries_the_child_outputs_on() -> None:
    driver = _started()

    out = driver.signal(
        "succeeded", step_id="enrich", data={"run_id": "child-1", "outputs": {"ip": "203.0.113.5"}}
    )

    assert ids(out) == ["block"]
    assert out[0].args == {"ip": "203.0.113.5"}
    assert driver.state["steps"]["enrich"]["result"]["run_id"] == "child-1"


def test_sub_playbook_failure_retries_then_takes_the_failure_path() -> None:
    driver = _started()

    retried = driver.signal("failed", step_id="enrich", data={"message": "child failed"})
    out = driver.signal("cancelled", step_id="enrich")

    assert [(r.step_id, r.attempt) for r in retried] == [("enrich", 2)]
    assert retried[0].idempotency_key == driver.handed[0].idempotency_key
    assert ids(out) == ["fallback"]
    error = driver.state["steps"]["enrich"]["error"]
    assert error == {"message": "sub-playbook run cancelled", "code": "sub_playbook_failed"}


def test_sub_playbook_step_that_is_not_waiting_refuses_the_signal() -> None:
    driver = _started()
    driver.signal("succeeded", step_id="enrich", data={"outputs": {"ip": "203.0.113.5"}})

    with pytest.raises(Conflict, match="not waiting"):
        driver.signal("succeeded", step_id="enrich")
