"""`socflow run show`: a state-machine run resting in a state shows the state, its ways out, until when."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_support import Cli

from socflow.cli.commands_runs import waiting_line

TRIAGE = """
id: triage_states
name: Triage in states
kind: state_machine
initial: triage
limits: {max_duration: 2d}
states:
  - id: triage
    transitions:
      - {event: analyst.decision, when: "event.data.verdict == 'benign'", to: closed}
      - {event: analyst.escalate, to: closed}
  - {id: closed, final: true, outcome: closed}
"""


def test_run_show_says_which_state_the_run_rests_in(cli: Cli, tmp_path: Path) -> None:
    cli("db", "upgrade")
    path = tmp_path / "triage.yaml"
    path.write_text(TRIAGE, encoding="utf-8")
    cli("playbook", "import", str(path))
    cli("playbook", "publish", "triage_states")
    started = json.loads(cli("run", "start", "triage_states", "--json"))

    shown = json.loads(cli("run", "show", started["id"], "--json"))
    table = cli("run", "show", started["id"])

    [waiting] = shown["waiting_on"]
    assert (waiting["kind"], waiting["name"]) == ("state", "triage")
    assert (waiting["deadline"], waiting["deadline_kind"]) == (shown["deadline"], "max_duration")
    assert (
        f"Waiting on: state triage, left by event analyst.decision (guarded), analyst.escalate "
        f"since {waiting['since']}, until {shown['deadline']} (max_duration, the run fails)\n"
        "    on analyst.decision -> closed when event.data.verdict == 'benign'\n"
        "    on analyst.escalate -> closed\n"
    ) in table


def test_a_state_line_without_a_deadline_says_no_until() -> None:
    waiting: dict[str, Any] = {
        "kind": "state",
        "summary": "state respond, with no way out left",
        "since": "2026-12-03T12:00:00+00:00",
        "deadline": None,
        "deadline_kind": None,
        "events": [],
    }

    assert (
        waiting_line(waiting)
        == "Waiting on: state respond, with no way out left since 2026-12-03T12:00:00+00:00"
    )


def test_a_step_line_keeps_its_due_time_and_overdue_mark() -> None:
    waiting: dict[str, Any] = {
        "kind": "human_task",
        "summary": "human task for assignee tina",
        "since": "2026-12-03T12:00:00+00:00",
        "due_at": "2026-12-03T16:00:00+00:00",
        "overdue": True,
    }

    assert waiting_line(waiting) == (
        "Waiting on: human task for assignee tina since 2026-12-03T12:00:00+00:00, "
        "due 2026-12-03T16:00:00+00:00 OVERDUE"
    )
