"""`socflow run deliver EVENT --data k=v`: broadcast an event to the runs waiting for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import Cli
from typer.testing import Result

Run = Callable[..., Result]

WAITS = """
id: awaits_ticket
name: awaits ticket
kind: sequential
inputs:
  - {name: ticket, type: string, required: true}
steps:
  - id: closed
    type: wait_event
    event: ticket.closed
    correlate: {ticket.id: "{{ inputs.ticket }}"}
    next: done
  - id: done
    type: end
    outcome: closed
"""


@pytest.fixture
def run(cli: Cli, tmp_path: Path) -> Run:
    """Invoke the CLI in a clean SOCFLOW_* environment with a migrated database and the playbook."""
    cli.invoke("db", "upgrade")
    path = tmp_path / "awaits_ticket.yaml"
    path.write_text(WAITS, encoding="utf-8")
    cli.invoke("playbook", "import", str(path))
    cli.invoke("playbook", "publish", "awaits_ticket")
    return cli.invoke


def _start(run: Run, ticket: str) -> str:
    return str(
        json.loads(run("run", "start", "awaits_ticket", "--input", f"ticket={ticket}", "--json").output)["id"]
    )


def test_cli_run_deliver_completes_the_matching_run(run: Run) -> None:
    matching, other = _start(run, "INC-4711"), _start(run, "INC-4712")

    # The dotted key `ticket.id` is matched as given (flat) here, as nested data would be.
    text = run("run", "deliver", "ticket.closed", "--data", "ticket.id=INC-4711", "--actor", "itsm").output
    none = json.loads(run("run", "deliver", "ticket.closed", "--data", "ticket.id=INC-9", "--json").output)

    assert f"signalled 1 run(s): {matching}" in text
    assert none == {"event": "ticket.closed", "runs": []}
    assert json.loads(run("run", "show", matching, "--json").output)["status"] == "succeeded"
    assert json.loads(run("run", "show", other, "--json").output)["status"] == "waiting"


def test_cli_run_deliver_refuses_bad_data(run: Run) -> None:
    bad = run("run", "deliver", "ticket.closed", "--data", "no-equals-sign", code=65)

    assert "--data" in bad.output
