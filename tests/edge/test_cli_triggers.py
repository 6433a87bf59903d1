"""`socflow playbook webhook-secret` prints a secret once; `socflow run start` records a manual trigger."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import Cli
from typer.testing import Result

from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import RunService

Run = Callable[..., Result]

HOOKED = """
id: hooked
name: Hooked
kind: sequential
trigger: {kind: webhook}
steps:
  - {id: done, type: end}
"""


@pytest.fixture
def run(cli: Cli, tmp_path: Path) -> Run:
    cli.invoke("db", "upgrade")
    path = tmp_path / "hooked.yaml"
    path.write_text(HOOKED, encoding="utf-8")
    cli.invoke("playbook", "import", str(path))
    cli.invoke("playbook", "publish", "hooked")
    return cli.invoke


def test_webhook_secret_is_printed_once_and_replaced_on_the_next_call(run: Run) -> None:
    first = json.loads(run("playbook", "webhook-secret", "hooked", "--json").output)
    second = run("playbook", "webhook-secret", "hooked").stdout.strip()
    shown = run("playbook", "show", "hooked", "--json").output

    assert first["secret"].startswith("whsec_")
    assert first["header"] == "X-Socflow-Webhook-Secret"
    assert second.startswith("whsec_")
    assert second != first["secret"]
    assert first["secret"] not in shown
    assert second not in shown


def test_webhook_secret_for_an_unknown_playbook_fails(run: Run) -> None:
    result = run("playbook", "webhook-secret", "nothing", code=66)

    assert "nothing" in result.output


def test_run_start_records_a_manual_trigger_with_the_case(run: Run, tmp_path: Path) -> None:
    case = json.loads(run("case", "create", "--title", "odd login", "--json").output)

    started = json.loads(
        run("run", "start", "hooked", "--case", case["id"], "--actor", "cli:bob", "--json").output
    )
    shown = json.loads(run("run", "show", started["id"], "--json").output)

    assert started["case_id"] == case["id"]
    assert shown["created_by"] == "cli:bob"
    database = Database(f"sqlite:///{tmp_path / 'data' / 'socflow.db'}")
    try:
        trigger = RunService(database, PlaybookCatalogue(database)).get(started["id"]).trigger
    finally:
        database.dispose()
    assert (trigger["kind"], trigger["by"], trigger["case"]["title"]) == ("manual", "cli:bob", "odd login")
