"""`socflow run show --json`: a run waiting on a person says who, since when, when due and if overdue."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import Cli

TRIAGE = """
id: triage_wait
name: Wait for triage
kind: sequential
limits: {max_duration: 2d}
steps:
  - {id: look, type: human_task, instructions: look at it, assignee: tina, due: 4h}
"""


def test_run_show_lists_what_the_run_waits_on(cli: Cli, tmp_path: Path) -> None:
    cli("db", "upgrade")
    path = tmp_path / "triage.yaml"
    path.write_text(TRIAGE, encoding="utf-8")
    cli("playbook", "import", str(path))
    cli("playbook", "publish", "triage_wait")
    started = json.loads(cli("run", "start", "triage_wait", "--json"))

    shown = json.loads(cli("run", "show", started["id"], "--json"))

    [waiting] = shown["waiting_on"]
    assert (waiting["step_id"], waiting["kind"], waiting["status"]) == ("look", "human_task", "waiting")
    assert waiting["who"] == {"assignee": "tina", "role": None}
    assert waiting["summary"] == "human task for assignee tina"
    assert waiting["since"] == shown["created_at"]
    assert waiting["due_at"] is not None
    assert waiting["overdue"] is False
    assert shown["deadline"] is not None
    assert shown["stuck_at"] is None
    assert shown["attempts"][0]["due_at"] == waiting["due_at"]


def test_run_show_table_says_who_the_run_waits_on(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "triage.yaml"
    path.write_text(TRIAGE, encoding="utf-8")
    for args in (
        ["db", "upgrade"],
        ["playbook", "import", str(path)],
        ["playbook", "publish", "triage_wait"],
    ):
        cli(*args)
    started = json.loads(cli.raw("run", "start", "triage_wait", "--json").output)

    shown = cli.raw("run", "show", started["id"])

    assert shown.exit_code == 0, shown.output
    assert "Waiting on: human task for assignee tina since " in shown.output
    assert ", due " in shown.output
