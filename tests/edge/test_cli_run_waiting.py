"""`socflow run show --json`: a run waiting on a person says who, since when, when due and if overdue."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socflow.cli.app import app

TRIAGE = """
id: triage_wait
name: Wait for triage
kind: sequential
limits: {max_duration: 2d}
steps:
  - {id: look, type: human_task, instructions: look at it, assignee: tina, due: 4h}
"""


def test_run_show_lists_what_the_run_waits_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SOCFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SOCFLOW_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    run("db", "upgrade")
    path = tmp_path / "triage.yaml"
    path.write_text(TRIAGE, encoding="utf-8")
    run("playbook", "import", str(path))
    run("playbook", "publish", "triage_wait")
    started = json.loads(run("run", "start", "triage_wait", "--json"))

    shown = json.loads(run("run", "show", started["id"], "--json"))

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


def test_run_show_table_says_who_the_run_waits_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SOCFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SOCFLOW_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    path = tmp_path / "triage.yaml"
    path.write_text(TRIAGE, encoding="utf-8")
    for args in (
        ["db", "upgrade"],
        ["playbook", "import", str(path)],
        ["playbook", "publish", "triage_wait"],
    ):
        assert runner.invoke(app, args).exit_code == 0
    started = json.loads(runner.invoke(app, ["run", "start", "triage_wait", "--json"]).output)

    shown = runner.invoke(app, ["run", "show", started["id"]])

    assert shown.exit_code == 0, shown.output
    assert "Waiting on: human task for assignee tina since " in shown.output
    assert ", due " in shown.output
