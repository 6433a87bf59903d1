"""`socflow run`: start a run of a published playbook, drain it, then list and show it with its journal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import Cli
from typer.testing import Result

from socflow.cli.commands_runs import parse_inputs
from socflow.errors import ValidationFailed

Run = Callable[..., Result]

ECHOING = """
id: echoing
name: Echo the input
kind: sequential
inputs:
  - {name: text, type: string, required: true}
steps:
  - id: say
    type: action
    action: test.echo
    args: {text: "{{ inputs.text }}"}
    next: done
  - id: done
    type: end
    outcome: said
"""


@pytest.fixture
def run(cli: Cli) -> Run:
    """Invoke the CLI in a clean SOCFLOW_* environment with a migrated database."""
    cli.invoke("db", "upgrade")
    return cli.invoke


@pytest.fixture
def published(run: Run, tmp_path: Path) -> str:
    path = tmp_path / "echoing.yaml"
    path.write_text(ECHOING, encoding="utf-8")
    run("playbook", "import", str(path))
    run("playbook", "publish", "echoing")
    return "echoing"


def test_cli_run_start_drain_list_and_show(run: Run, published: str) -> None:
    started = json.loads(run("run", "start", published, "--input", "text=hello", "--json").output)
    drained = run("run", "drain")
    listed = json.loads(run("run", "list", "--status", "succeeded", "--json").output)
    shown = json.loads(run("run", "show", started["id"], "--json").output)
    shown_text = run("run", "show", started["id"]).output

    assert started["status"] == "running"
    assert "Executed 1 step(s)" in drained.output
    assert [item["id"] for item in listed["items"]] == [started["id"]]
    assert (shown["status"], shown["outcome"]) == ("succeeded", "said")
    assert [(a["step_id"], a["output"]) for a in shown["attempts"]] == [("say", {"text": "hello"})]
    assert shown["journal"][0]["kind"] == "run_started"
    assert "step_succeeded" in shown_text


def test_cli_run_start_with_a_missing_input_exits_65(run: Run, published: str) -> None:
    result = run("run", "start", published, code=65)

    assert "text" in result.output


def test_cli_run_show_of_an_unknown_run_exits_66(run: Run) -> None:
    run("run", "show", "nope", code=66)


def test_cli_run_inputs_read_json_values_and_keep_text() -> None:
    assert parse_inputs(["count=3", "name=web-01", "flags=[1, 2]"]) == {
        "count": 3,
        "name": "web-01",
        "flags": [1, 2],
    }
    with pytest.raises(ValidationFailed):
        parse_inputs(["novalue"])
