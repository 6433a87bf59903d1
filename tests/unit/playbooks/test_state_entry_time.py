"""The conductor keeps when a state machine entered its current state, from the times it is given."""

from __future__ import annotations

from playbook_support import NOW, Driver, graph_of

MACHINE = """
id: machine
name: Machine
kind: state_machine
initial: triage
states:
  - id: triage
    on_entry:
      - {id: enrich, type: action, action: intel.lookup, args: {value: "{{ alert.ip }}"}}
    transitions:
      - {event: analyst.escalate, to: respond}
  - id: respond
    transitions:
      - {event: analyst.reopen, to: triage}
      - {event: analyst.close, to: done}
  - {id: done, final: true, outcome: closed}
"""

LATER = "2026-03-01T11:30:00+00:00"
LATEST = "2026-03-01T12:45:00+00:00"


def test_entering_a_state_records_the_time_of_what_led_there() -> None:
    driver = Driver(graph_of(MACHINE))
    driver.start({"alert": {"ip": "10.0.0.1"}})
    assert (driver.state["current"], driver.state["entered_at"]) == ("triage", NOW)

    driver.ok("enrich", at="2026-03-01T10:05:00+00:00")
    assert driver.state["entered_at"] == NOW  # finishing an entry step does not re-enter the state

    driver.signal("analyst.escalate", at=LATER)
    assert (driver.state["current"], driver.state["entered_at"]) == ("respond", LATER)

    driver.signal("analyst.reopen", at=LATEST)
    assert (driver.state["current"], driver.state["entered_at"]) == ("triage", LATEST)
