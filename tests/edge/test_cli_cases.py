"""`socflow case`: create, list with filters, show, the lifecycle, tiers, owners, comments, tasks, merge."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_support import Cli
from typer.testing import Result

Run = Callable[..., Result]
INCIDENT_PATH = ("triage", "investigating", "containment", "eradication", "recovery", "post_incident_review")


@pytest.fixture
def run(cli: Cli, template_db: Path) -> Run:
    """Invoke the CLI in a clean SOCFLOW_* environment on a migrated embedded database in tmp_path."""
    cli.use_database(template_db)
    return cli.invoke


def create(run: Run, title: str = "Suspicious login", *extra: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(run("case", "create", "--title", title, "--json", *extra).stdout)
    return case


def show(run: Run, case_id: str) -> dict[str, Any]:
    view: dict[str, Any] = json.loads(run("case", "show", case_id, "--json").stdout)
    return view


def listed(run: Run, *filters: str) -> list[str]:
    page = json.loads(run("case", "list", "--json", *filters).stdout)
    return [item["id"] for item in page["items"]]


def test_case_create_then_list_and_show(run: Run) -> None:
    made = run(
        "case",
        "create",
        "--title",
        "Ransomware on FS01",
        "--severity",
        "critical",
        "--tier",
        "2",
        "--assignee",
        "alice",
        "--tag",
        "ransomware",
        "--observable",
        "host:FS01.corp.example",
        "--observable",
        "sha256:" + "AB" * 32,
    )
    case_id = made.stdout.split()[-1]
    assert made.stdout.startswith("Created case case_")
    table = run("case", "list").stdout
    assert case_id in table
    assert "Ransomware on FS01" in table
    shown = run("case", "show", case_id).stdout
    for text in (f"Case {case_id}", "critical / P1", "alice", "fs01.corp.example", "ab" * 32, "Timeline"):
        assert text in shown


def test_case_create_json_has_the_api_fields(run: Run) -> None:
    case = create(
        run, "Phishing wave", "--severity", "low", "--priority", "2", "--description", "Reported by HR"
    )
    assert case["status"] == "new"
    assert case["priority"] == 2
    assert case["tier"] == 1
    assert case["resolution"] is None
    assert case["description"] == "Reported by HR"
    assert case["version"] == 1


def test_case_list_filters_by_status_severity_assignee_tag_and_tier(run: Run) -> None:
    a = create(run, "A", "--severity", "high", "--assignee", "alice", "--tag", "vip")["id"]
    b = create(run, "B", "--severity", "low", "--tier", "2")["id"]
    c = create(run, "C", "--severity", "high", "--assignee", "bob")["id"]
    run("case", "transition", c, "triage")
    assert set(listed(run)) == {a, b, c}
    assert listed(run, "--status", "triage") == [c]
    assert set(listed(run, "--status", "new", "--severity", "high")) == {a}
    assert listed(run, "--assignee", "alice") == [a]
    assert listed(run, "--unassigned") == [b]
    assert listed(run, "--tag", "VIP") == [a]
    assert listed(run, "--tier", "2") == [b]
    assert listed(run, "--sort", "severity", "--order", "asc")[0] == b
    assert listed(run, "--sort", "created_at", "--order", "asc") == [a, b, c]


def test_case_list_json_parses_and_pages(run: Run) -> None:
    made = [create(run, f"Case {index}")["id"] for index in range(3)]
    first = json.loads(run("case", "list", "--json", "--limit", "2").stdout)
    assert set(first) == {"items", "next"}
    assert [item["id"] for item in first["items"]] == made[::-1][:2]
    rest = json.loads(run("case", "list", "--json", "--limit", "2", "--cursor", first["next"]).stdout)
    assert [item["id"] for item in rest["items"]] == made[:1]
    assert rest["next"] is None


def test_case_list_rejects_assignee_with_unassigned(run: Run) -> None:
    result = run("case", "list", "--assignee", "a", "--unassigned", code=2)
    assert "give --assignee or --unassigned, not both" in result.stderr


def test_case_full_lifecycle_through_transition_and_close(run: Run) -> None:
    case_id = create(run)["id"]
    for status in INCIDENT_PATH:
        result = run("case", "transition", case_id, status, "--reason", f"now {status}")
        assert result.stdout.strip() == f"Case {case_id} is now {status}"
    closed = run(
        "case", "close", case_id, "--resolution", "true_positive", "--reason", "contained and lessons noted"
    )
    assert closed.stdout.strip() == f"Case {case_id} is now closed (true_positive)"
    view = show(run, case_id)
    assert view["case"]["status"] == "closed"
    assert view["case"]["resolution"] == "true_positive"
    assert view["case"]["incident_confirmed_at"] is not None
    assert view["case"]["closed_at"] is not None
    moves = [entry["after"]["status"] for entry in view["timeline"] if entry["action"] == "transitioned"]
    assert moves == [*INCIDENT_PATH, "closed"]
    run("case", "transition", case_id, "reopened", "--reason", "new evidence")
    run("case", "transition", case_id, "closed", "--resolution", "benign")
    assert show(run, case_id)["case"]["resolution"] == "benign"


def test_case_close_from_triage_as_false_positive(run: Run) -> None:
    case_id = create(run)["id"]
    run("case", "transition", case_id, "triage")
    run("case", "close", case_id, "--resolution", "false_positive")
    assert show(run, case_id)["case"]["status"] == "closed"


def test_case_illegal_transition_exits_75_naming_the_allowed_moves(run: Run) -> None:
    case_id = create(run)["id"]
    result = run("case", "transition", case_id, "eradication", code=75)
    assert result.stderr.strip() == (
        "socflow: cannot move case from 'new' to 'eradication'; allowed from 'new': triage, closed"
    )
    assert show(run, case_id)["case"]["status"] == "new"


def test_case_close_with_a_resolution_the_status_does_not_accept_exits_65(run: Run) -> None:
    case_id = create(run)["id"]
    result = run("case", "close", case_id, "--resolution", "true_positive", code=65)
    assert result.stderr.splitlines()[0].startswith("socflow: closing a case from 'new' needs a resolution")
    assert result.stderr.splitlines()[1].startswith("  - resolution: must be one of: ")


def test_case_commands_reject_unknown_status_and_resolution_listing_choices(run: Run) -> None:
    case_id = create(run)["id"]
    status = run("case", "transition", case_id, "done", code=2)
    assert "post_incident_review" in status.stderr
    resolution = run("case", "close", case_id, "--resolution", "fixed", code=2)
    assert "false_positive" in resolution.stderr
    assert "--resolution" in run("case", "close", case_id, code=2).stderr


def test_case_escalate_assign_comment_and_task_appear_in_show_timeline(run: Run) -> None:
    case_id = create(run)["id"]
    escalated = run(
        "case", "escalate", case_id, "--tier", "2", "--reason", "needs forensics", "--actor", "lead"
    )
    assert escalated.stdout.strip() == f"Case {case_id} is now at tier 2"
    run("case", "assign", case_id, "bob", "--actor", "lead")
    run("case", "comment", case_id, "Disabled the account [at] 10:02", "--actor", "bob")
    run("case", "task", case_id, "Reset the password", "--instructions", "Via the IdP", "--assignee", "bob")
    view = show(run, case_id)
    assert view["case"]["tier"] == 2
    assert view["case"]["assignee"] == "bob"
    assert [comment["body"] for comment in view["comments"]] == ["Disabled the account [at] 10:02"]
    assert [(task["title"], task["status"]) for task in view["tasks"]] == [("Reset the password", "open")]
    actions = [(entry["actor"], entry["object_type"], entry["action"]) for entry in view["timeline"]]
    assert ("lead", "case", "escalated") in actions
    assert ("lead", "case", "assigned") in actions
    assert ("bob", "comment", "created") in actions
    assert actions[-1][1:] == ("task", "created")
    table = run("case", "show", case_id).stdout
    for text in (
        "escalated",
        "tier: 1 -> 2; reason: needs forensics",
        "assignee: - -> bob",
        "Reset the password",
    ):
        assert text in table
    assert "Disabled the account [at] 10:02" in table


def test_case_escalate_needs_a_reason_and_a_tier_in_range(run: Run) -> None:
    case_id = create(run)["id"]
    assert "--reason" in run("case", "escalate", case_id, "--tier", "2", code=2).stderr
    assert "--tier" in run("case", "escalate", case_id, "--tier", "4", "--reason", "x", code=2).stderr
    same = run("case", "escalate", case_id, "--tier", "1", "--reason", "x", code=65)
    assert "is already at tier 1" in same.stderr


def test_case_show_counts_the_other_cases_an_observable_was_seen_in(run: Run) -> None:
    first = create(run, "First", "--observable", "ip:203.0.113.9", "--observable", "user:CORP\\Alice")["id"]
    create(run, "Second", "--observable", "ip:203.0.113.9")
    create(run, "Third", "--observable", "ip:::ffff:203.0.113.9")
    observables = {item["value"]: item["other_cases"] for item in show(run, first)["observables"]}
    assert observables == {"203.0.113.9": 2, "CORP\\alice": 0}
    table = run("case", "show", first).stdout
    assert "seen in 2 other cases" in table
    assert "only this case" in table


def test_case_show_json_parses_with_every_part(run: Run) -> None:
    case_id = create(run)["id"]
    view = show(run, case_id)
    assert set(view) == {"case", "tasks", "observables", "alerts", "comments", "timeline", "runs"}
    assert view["timeline"][0]["action"] == "created"


def test_case_merge_closes_duplicates_into_the_survivor(run: Run) -> None:
    survivor = create(run, "Main", "--observable", "domain:evil.example")["id"]
    duplicate = create(run, "Dup", "--observable", "domain:other.example")["id"]
    run("case", "comment", duplicate, "found first here")
    merged = run("case", "merge", survivor, duplicate, "--reason", "same incident")
    assert merged.stdout.strip() == f"Merged {duplicate} into case {survivor}"
    gone = show(run, duplicate)["case"]
    assert (gone["status"], gone["resolution"], gone["merged_into_id"]) == ("closed", "duplicate", survivor)
    kept = show(run, survivor)
    assert {item["value"] for item in kept["observables"]} == {"evil.example", "other.example"}
    assert [comment["body"] for comment in kept["comments"]] == ["found first here"]
    refused = run("case", "transition", duplicate, "reopened", code=65)
    assert f"was merged into '{survivor}'" in refused.stderr


def test_case_show_unknown_case_exits_66(run: Run) -> None:
    assert (
        run("case", "show", "case_nope", code=66).stderr.strip() == "socflow: case 'case_nope' does not exist"
    )
