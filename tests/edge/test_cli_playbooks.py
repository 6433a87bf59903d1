"""`socflow playbook`: validate and rehearse files offline; import, publish, list and show the catalogue."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import Cli
from typer.testing import Result

Run = Callable[..., Result]

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"
PLAYBOOKS = sorted(p for p in SHIPPED.glob("*.yaml") if not p.name.endswith(".tests.yaml"))

SIMPLE = """
id: notify_owner
name: Notify the owner
version: {version}
kind: sequential
steps:
  - id: tell
    type: action
    action: chat.send_message
    args: {{text: hello}}
    next: done
  - id: done
    type: end
    outcome: told
"""

BROKEN = """
id: broken
name: Broken
kind: sequential
steps:
  - id: first
    type: action
    action: NotAnAction
    timeout: soon
  - id: second
    type: wait
    duration: forever
"""


@pytest.fixture
def run(cli: Cli) -> Run:
    """Invoke the CLI in a clean SOCFLOW_* environment; the database is only created by `db upgrade`."""
    return cli.invoke


@pytest.fixture
def simple(tmp_path: Path) -> Callable[[int], Path]:
    def write(version: int) -> Path:
        path = tmp_path / f"notify_v{version}.yaml"
        path.write_text(SIMPLE.format(version=version), encoding="utf-8")
        return path

    return write


def test_cli_playbook_validate_passes_every_shipped_file(run: Run, tmp_path: Path) -> None:
    result = run("playbook", "validate", *(str(p) for p in sorted(SHIPPED.glob("*.yaml"))))

    assert result.output.count(": OK") == len(list(SHIPPED.glob("*.yaml")))
    assert not (tmp_path / "data").exists()  # no database was opened


def test_cli_playbook_validate_lists_every_issue_with_its_path(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    result = run("playbook", "validate", str(path), code=65)
    as_json = json.loads(run("playbook", "validate", str(path), "--json", code=65).output)

    assert "problem(s)" in result.output
    for where in ("steps[0].action", "steps[0].timeout", "steps[1].duration"):
        assert f"- {where}:" in result.output
    assert {issue["path"] for issue in as_json[str(path)]} >= {"steps[0].action", "steps[1].duration"}


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
def test_cli_playbook_test_passes_the_shipped_cases(run: Run, path: Path) -> None:
    result = run("playbook", "test", str(path))

    assert "FAIL" not in result.output
    assert "case(s) passed" in result.output


def test_cli_playbook_test_shows_failures_and_uncovered_branches(run: Run, tmp_path: Path) -> None:
    playbook = SHIPPED / "phishing_triage.yaml"
    cases = tmp_path / "few.tests.yaml"
    cases.write_text(
        "cases:\n  - name: only the happy path\n    expect: {outcome: nonsense}\n", encoding="utf-8"
    )

    result = run("playbook", "test", str(playbook), "--cases", str(cases), code=1)
    report = json.loads(
        run("playbook", "test", str(playbook), "--cases", str(cases), "--json", code=1).output
    )

    assert "FAIL" in result.output
    assert "Uncovered branches" in result.output
    assert report["passed"] is False
    assert report["uncovered"]


def test_cli_playbook_test_without_a_cases_file_is_a_usage_error(
    run: Run, simple: Callable[[int], Path]
) -> None:
    result = run("playbook", "test", str(simple(1)), code=2)

    assert "no test cases" in result.output


def test_cli_playbook_import_publish_list_and_show(run: Run, simple: Callable[[int], Path]) -> None:
    run("db", "upgrade")

    imported = run("playbook", "import", str(simple(1)))
    published = run("playbook", "publish", "notify_owner", "--actor", "lead")
    draft = json.loads(run("playbook", "import", str(simple(2)), "--json").output)
    listed = json.loads(run("playbook", "list", "--json").output)
    shown = run("playbook", "show", "notify_owner")
    shown_draft = run("playbook", "show", "notify_owner", "--version", "2")

    assert "Saved notify_owner version 1 (draft)" in imported.output
    assert "Published notify_owner version 1" in published.output
    assert (draft["number"], draft["status"]) == (2, "draft")
    assert listed["items"][0]["published_version_id"].startswith("notify_owner@1:")
    assert "published" in shown.output
    assert "draft" in shown.output
    assert "tell [action]  <- start" in shown.output
    assert "next -> done" in shown.output
    assert "Graph of version 2" in shown_draft.output


def test_cli_playbook_import_of_an_invalid_file_exits_65(run: Run, tmp_path: Path) -> None:
    run("db", "upgrade")
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    result = run("playbook", "import", str(path), code=65)

    assert "steps[0].action" in result.output
    assert json.loads(run("playbook", "list", "--json").output)["items"] == []


def test_cli_playbook_show_of_an_unknown_playbook_exits_66(run: Run) -> None:
    run("db", "upgrade")

    run("playbook", "show", "missing", code=66)
