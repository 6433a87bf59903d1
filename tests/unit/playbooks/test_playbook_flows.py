"""State machines (events, guards, timers, returning to a state) and rules (first/all match, forward only)."""

from __future__ import annotations

from playbook_support import Driver, graph_of, ids

from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import Event, RunStatus

MACHINE = """
id: machine
name: Machine
kind: state_machine
initial: triage
states:
  - id: triage
    on_entry:
      - {id: enrich, type: action, action: intel.lookup, args: {value: "{{ alert.ip }}"}}
    on_exit:
      - {id: leave, type: action, action: chat.notify, args: {text: leaving triage}}
    transitions:
      - {event: analyst.decision, when: "event.data.verdict == 'incident'", to: respond,
         set: {decided_by: "{{ event.data.by }}"}}
      - {event: analyst.decision, when: "event.data.verdict == 'benign'", to: done}
      - {after: 4h, to: respond}
  - id: respond
    on_entry:
      - {id: contain, type: action, action: edr.isolate_host, args: {host: "{{ alert.host }}"}}
    transitions:
      - {event: analyst.reopen, to: triage}
      - {event: steps.contain.failed, to: triage}
      - {event: entered, when: "false", to: done}
      - {event: analyst.close, to: done}
  - {id: done, final: true, outcome: closed}
"""


def test_machine_runs_entry_steps_then_waits_for_events() -> None:
    driver = Driver(graph_of(MACHINE))
    ready = driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    assert [(r.step_id, r.kind) for r in ready] == [
        ("triage.timer0", WorkKind.WAIT_TIMER),
        ("enrich", WorkKind.ACTION),
    ]
    assert ready[0].due_at == "2026-03-01T14:00:00+00:00"
    driver.ok("enrich")
    assert driver.conductor.status is RunStatus.WAITING  # only the timer is pending
    assert driver.state["current"] == "triage"


def test_machine_guarded_transition_runs_exit_steps_then_enters_the_target() -> None:
    driver = Driver(graph_of(MACHINE))
    driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    driver.ok("enrich")
    assert driver.signal("analyst.decision", data={"verdict": "unsure"}) == []
    assert driver.state["current"] == "triage"
    assert ids(driver.signal("analyst.decision", data={"verdict": "incident", "by": "tom"})) == ["leave"]
    assert "triage.timer0" not in driver.state["work"]  # leaving the state cancels its timer
    assert ids(driver.ok("leave")) == ["contain"]
    assert (driver.state["current"], driver.state["vars"]["decided_by"]) == ("respond", "tom")


def test_machine_returns_to_an_earlier_state_with_a_fresh_visit() -> None:
    driver = Driver(graph_of(MACHINE))
    [_, first] = driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    driver.ok("enrich")
    driver.signal("analyst.decision", data={"verdict": "incident", "by": "tom"})
    driver.ok("leave")
    driver.fail("contain")  # a step result is an event: back to triage
    again = [r for r in driver.handed if r.step_id == "enrich"][-1]
    assert driver.state["current"] == "triage"
    assert driver.state["steps"]["enrich"]["visit"] == 2
    assert again.idempotency_key != first.idempotency_key
    driver.ok("enrich")
    driver.signal("analyst.decision", data={"verdict": "benign"})
    driver.ok("leave")
    assert (driver.conductor.status, driver.state["outcome"]) == (RunStatus.SUCCEEDED, "closed")
    assert driver.state["path"] == [
        "triage",
        "enrich",
        "leave",
        "respond",
        "contain",
        "triage",
        "enrich",
        "leave",
        "done",
    ]


def test_machine_timer_fires_its_transition() -> None:
    driver = Driver(graph_of(MACHINE))
    driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    driver.ok("enrich")
    driver.ok("triage.timer0", at="2026-03-01T14:00:00+00:00")
    driver.ok("leave")
    assert driver.state["current"] == "respond"


def test_machine_idle_state_is_waiting() -> None:
    driver = Driver(graph_of(MACHINE))
    driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    driver.ok("enrich")
    driver.signal("analyst.decision", data={"verdict": "incident", "by": "x"})
    driver.ok("leave")
    driver.ok("contain")
    assert (driver.state["current"], driver.conductor.status) == ("respond", RunStatus.WAITING)
    driver.signal("analyst.close")
    assert driver.conductor.status is RunStatus.SUCCEEDED


RULES = """
id: rules
name: Rules
kind: rules
stages:
  - id: assess
    mode: MODE
    next: report
    rules:
      - {id: low, when: "alert.score > 10", priority: 1, run: [tag_low], next: respond}
      - {id: high, when: "alert.score > 50", priority: 9, run: [tag_high, notify]}
      - {id: any, when: "true", priority: 5, run: [notify]}
  - id: respond
    rules:
      - {id: act, when: "true", run: [isolate]}
  - id: report
    rules:
      - {id: sum, when: "true", run: [summary]}
steps:
  - {id: tag_low, type: case_operation, operation: add_tag, args: {tag: low}}
  - {id: tag_high, type: case_operation, operation: add_tag, args: {tag: high}}
  - {id: notify, type: action, action: chat.notify, args: {text: "score {{ alert.score }}"}}
  - {id: isolate, type: action, action: edr.isolate_host, args: {host: h}}
  - {id: summary, type: set, vars: {done: true}}
"""


def drain(driver: Driver, ready: list) -> None:
    while ready:
        ready = driver.ok(ready[0].step_id)


def test_rules_first_match_runs_only_the_highest_priority_rule() -> None:
    driver = Driver(graph_of(RULES.replace("MODE", "first_match")))
    drain(driver, driver.start({"alert": {"score": 70}}))
    assert driver.state["matched"] == {"assess": ["high"], "report": ["sum"]}
    assert driver.state["path"] == ["assess", "tag_high", "notify", "report", "summary"]


def test_rules_all_match_runs_every_matching_rule_in_priority_order() -> None:
    driver = Driver(graph_of(RULES.replace("MODE", "all_match")))
    drain(driver, driver.start({"alert": {"score": 70}}))
    assert driver.state["matched"]["assess"] == ["high", "any", "low"]
    # steps are run once each, in priority order; the first matched rule naming a stage decides
    assert driver.state["path"] == ["assess", "tag_high", "notify", "tag_low", "respond", "isolate"]
    assert driver.conductor.status is RunStatus.SUCCEEDED


def test_rules_stage_without_a_matching_rule_goes_to_its_next_stage() -> None:
    driver = Driver(
        graph_of(
            RULES.replace("MODE", "first_match").replace(
                'when: "true", priority: 5', 'when: "false", priority: 5'
            )
        )
    )
    drain(driver, driver.start({"alert": {"score": 1}}))
    assert driver.state["path"] == ["assess", "report", "summary"]
    assert driver.state["matched"]["assess"] == []


def test_machine_timer_of_a_state_already_left_is_ignored() -> None:
    driver = Driver(graph_of(MACHINE))
    driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    driver.ok("enrich")
    driver.signal("analyst.decision", data={"verdict": "incident", "by": "x"})
    assert driver.ok("triage.timer0") == []
    assert ids(driver.ok("leave")) == ["contain"]


def test_machine_paused_run_takes_events_but_holds_new_work() -> None:
    driver = Driver(graph_of(MACHINE))
    driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    driver.ok("enrich")
    driver.conductor.pause()
    assert driver.conductor.signal(Event("analyst.decision", {"verdict": "incident", "by": "x"})) == []
    assert driver.state["work"]["leave"]["held"] is True
    assert ids(driver.conductor.resume()) == ["leave"]


def test_machine_timer_fire_may_also_be_signalled() -> None:
    driver = Driver(graph_of(MACHINE))
    driver.start({"alert": {"ip": "10.0.0.1", "host": "h1"}})
    driver.ok("enrich")
    assert ids(driver.signal("timer", step_id="triage.timer0", at="2026-03-01T14:00:00+00:00")) == ["leave"]
