"""`socflow run pause|resume|cancel|retry|answer|approve|reject|redrive` and runs in `case show`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import Cli
from typer.testing import Result

from socflow.cli.commands_run_control import parse_time
from socflow.errors import ValidationFailed

Run = Callable[..., Result]

PLAYBOOKS = {
    "with_task": """
id: with_task
name: with task
kind: sequential
steps:
  - id: review
    type: human_task
    instructions: review the mailbox
    next: tag
  - id: tag
    type: case_operation
    operation: add_tag
    args: {tag: reviewed}
    next: done
  - id: done
    type: end
    outcome: reviewed
""",
    "guarded": """
id: guarded
name: guarded
kind: sequential
steps:
  - id: approve
    type: approval
    role: soc_lead
    authorizes: block
    next: block
  - id: block
    type: action
    action: test.echo
    args: {text: blocked}
""",
    "sleepy": """
id: sleepy
name: sleepy
kind: sequential
steps:
  - id: nap
    type: action
    action: test.sleep
    args: {seconds: lots}
""",
}


@pytest.fixture
def run(cli: Cli, tmp_path: Path) -> Run:
    """Invoke the CLI in a clean SOCFLOW_* environment with a migrated database and the playbooks."""
    cli.invoke("db", "upgrade")
    for playbook_id, text in PLAYBOOKS.items():
        path = tmp_path / f"{playbook_id}.yaml"
        path.write_text(text, encoding="utf-8")
        cli.invoke("playbook", "import", str(path))
        cli.invoke("playbook", "publish", playbook_id)
    return cli.invoke


def _start(run: Run, playbook: str, *extra: str) -> str:
    return str(json.loads(run("run", "start", playbook, "--json", *extra).output)["id"])


def test_cli_run_pause_resume_cancel(run: Run) -> None:
    run_id = _start(run, "with_task")

    paused = run("run", "pause", run_id)
    again = run("run", "pause", run_id, code=75)
    resumed = json.loads(run("run", "resume", run_id, "--json").output)
    cancelled = json.loads(run("run", "cancel", run_id, "--reason", "duplicate", "--json").output)

    assert f"Run {run_id} paused: now paused" in paused.output
    assert "paused" in again.output
    assert resumed["status"] == "waiting"
    assert (cancelled["status"], cancelled["outcome"]) == ("cancelled", "duplicate")


def test_cli_run_answer_a_task_on_a_case_shows_in_case_show(run: Run) -> None:
    case_id = json.loads(run("case", "create", "--title", "mailbox", "--json").output)["id"]
    run_id = _start(run, "with_task", "--case", case_id)

    answered = run("run", "answer", run_id, "review", "--data", "verdict=clean", "--actor", "carol")
    run("run", "drain")
    shown = json.loads(run("case", "show", case_id, "--json").output)
    text = run("case", "show", case_id).output

    assert "step review answered done" in answered.output
    assert [(r["id"], r["status"]) for r in shown["runs"]] == [(run_id, "succeeded")]
    assert "reviewed" in shown["case"]["tags"]
    run_entries = [(e["action"], e["actor"]) for e in shown["timeline"] if e["object_type"] == "run"]
    assert ("signalled", "carol") in run_entries
    assert ("finished", f"playbook:with_task/run:{run_id}") in run_entries
    assert "Playbook runs" in text
    assert run_id in text


def test_cli_run_approve_needs_the_role_and_reject_skips_the_action(run: Run) -> None:
    first = _start(run, "guarded", "--actor", "bob")
    second = _start(run, "guarded", "--actor", "bob")

    no_role = run("run", "approve", first, "approve", "--actor", "alice", code=77)
    run("run", "approve", first, "approve", "--role", "soc_lead", "--actor", "alice")
    rejected = json.loads(
        run("run", "reject", second, "approve", "--role", "soc_lead", "--actor", "alice", "--json").output
    )
    run("run", "drain")
    approved = json.loads(run("run", "show", first, "--json").output)

    assert "soc_lead" in no_role.output
    assert approved["status"] == "succeeded"
    assert [a["step_id"] for a in approved["attempts"] if a["status"] == "succeeded"][-1] == "block"
    assert rejected["status"] == "failed"


def test_cli_run_retry_with_edited_args_and_bad_json(run: Run) -> None:
    run_id = _start(run, "sleepy")
    run("run", "drain")

    bad = run("run", "retry", run_id, "--step", "nap", "--args", "{seconds: 0", code=65)
    not_object = run("run", "retry", run_id, "--step", "nap", "--args", "[1]", code=65)
    run("run", "retry", run_id, "--step", "nap", "--args", '{"seconds": 0}')
    run("run", "drain")

    assert "--args is not JSON" in bad.output
    assert "JSON object" in not_object.output
    assert json.loads(run("run", "show", run_id, "--json").output)["status"] == "succeeded"


def test_cli_run_redrive_dry_run_then_for_real(run: Run) -> None:
    runs = [_start(run, "sleepy"), _start(run, "sleepy")]
    run("run", "drain")

    dry = run("run", "redrive", "--playbook", "sleepy", "--since", "1h", "--dry-run")
    naive = run("run", "redrive", "--since", "2026-12-01T08:00:00", code=65)
    other = json.loads(run("run", "redrive", "--playbook", "with_task", "--json").output)
    real = json.loads(
        run("run", "redrive", "--playbook", "sleepy", "--error-code", "invalid_args", "--json").output
    )

    assert "Would re-drive" in dry.output
    assert "2 failed run(s) matched; 2 would be re-driven" in dry.output
    assert "time with a zone" in naive.output
    assert other["matched"] == 0
    assert (real["matched"], real["redriven"]) == (2, 2)
    statuses = {json.loads(run("run", "show", r, "--json").output)["status"] for r in runs}
    assert statuses == {"running"}


def test_cli_parse_time_takes_ages_and_zoned_times_only() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    assert parse_time("24h", "since", now) == now - timedelta(hours=24)
    assert parse_time("7d", "since", now) == now - timedelta(days=7)
    assert parse_time("2026-12-01T08:00:00+00:00", "since") == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert parse_time(None, "since") is None
    for bad in ("yesterday", "2026-12-01T08:00:00", "5y"):
        with pytest.raises(ValidationFailed, match="since must be"):
            parse_time(bad, "since")
