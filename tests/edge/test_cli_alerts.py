"""`socflow alert`: create with dedup, list with filters and pages, show, promote, and input errors."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import Any

import pytest
from cli_support import Cli
from typer.testing import Result

Run = Callable[..., Result]


@pytest.fixture
def run(cli: Cli) -> Run:
    """Invoke the CLI in a clean SOCFLOW_* environment on an embedded database in tmp_path."""
    cli.invoke("db", "upgrade")
    return cli.invoke


def create(run: Run, *extra: str, ref: str = "det-1", source: str = "edr") -> dict[str, Any]:
    result = run(
        "alert", "create", "--source", source, "--ref", ref, "--title", "Beacon to C2", "--json", *extra
    )
    alert: dict[str, Any] = json.loads(result.stdout)
    return alert


def test_alert_create_then_list_and_show(run: Run) -> None:
    created = run(
        "alert",
        "create",
        "--source",
        "edr",
        "--ref",
        "det-1",
        "--title",
        "Beacon to [bold]C2[/bold]",
        "--severity",
        "high",
        "--description",
        "Periodic HTTPS to a fresh domain",
        "--tag",
        "Malware",
        "--tag",
        "c2",
        "--observable",
        "ip:203.0.113.7",
        "--observable",
        "url:HTTP://Evil.Example.com:8080/x?q=1",
    )
    assert created.stdout.startswith("Created alert alert_")
    alert_id = created.stdout.split()[-1]
    listed = run("alert", "list").stdout
    assert alert_id in listed
    assert "Beacon to [bold]C2[/bold]" in listed  # titles are data, never Rich markup
    shown = run("alert", "show", alert_id).stdout
    for text in ("edr / det-1", "high", "c2, malware", "203.0.113.7", "http://evil.example.com:8080/x?q=1"):
        assert text in shown


def test_alert_create_again_with_same_source_and_ref_deduplicates(run: Run) -> None:
    first = create(run, "--severity", "low")
    again = run(
        "alert",
        "create",
        "--source",
        "edr",
        "--ref",
        "det-1",
        "--title",
        "Beacon to C2",
        "--severity",
        "high",
    )
    assert again.stdout.strip() == (f"Updated alert {first['id']} (same source and reference, seen 2 times)")
    page = json.loads(run("alert", "list", "--json").stdout)
    assert [item["id"] for item in page["items"]] == [first["id"]]
    assert page["items"][0]["count"] == 2
    assert page["items"][0]["severity"] == "high"  # a repeat may raise the severity, never lower it


def test_alert_create_json_reports_whether_it_was_new(run: Run) -> None:
    assert create(run)["created"] is True
    assert create(run)["created"] is False


def test_alert_list_filters_by_status_severity_source_and_tag(run: Run) -> None:
    low = create(run, "--severity", "low", "--tag", "phishing", ref="a")
    high = create(run, "--severity", "high", ref="b", source="ids")
    promoted = create(run, "--severity", "critical", ref="c")
    run("alert", "promote", promoted["id"])

    def ids(*filters: str) -> set[str]:
        page = json.loads(run("alert", "list", "--json", *filters).stdout)
        return {item["id"] for item in page["items"]}

    assert ids() == {low["id"], high["id"], promoted["id"]}
    assert ids("--status", "new") == {low["id"], high["id"]}
    assert ids("--status", "in_progress") == {promoted["id"]}
    assert ids("--severity", "high", "--severity", "critical") == {high["id"], promoted["id"]}
    assert ids("--source", "ids") == {high["id"]}
    assert ids("--tag", "phishing") == {low["id"]}


def test_alert_list_json_pages_with_the_cursor(run: Run) -> None:
    made = [create(run, ref=f"r{index}")["id"] for index in range(5)]
    first = json.loads(run("alert", "list", "--json", "--limit", "2", "--order", "asc").stdout)
    assert [item["id"] for item in first["items"]] == made[:2]
    assert first["next"]
    rest = json.loads(
        run("alert", "list", "--json", "--limit", "10", "--order", "asc", "--cursor", first["next"]).stdout
    )
    assert [item["id"] for item in rest["items"]] == made[2:]
    assert rest["next"] is None
    table = run("alert", "list", "--limit", "2").stdout
    assert "--cursor" in table


def test_alert_list_refuses_a_cursor_made_for_another_sort(run: Run) -> None:
    for index in range(3):
        create(run, ref=f"r{index}")
    page = json.loads(run("alert", "list", "--json", "--limit", "1").stdout)
    result = run("alert", "list", "--sort", "severity", "--cursor", page["next"], code=65)
    assert result.stderr.splitlines() == [
        "socflow: cursor was made for another sort order",
        "  - cursor: sort or order changed",
    ]


def test_alert_show_json_parses(run: Run) -> None:
    alert = create(run, "--observable", "domain:Evil.Example.COM.")
    shown = json.loads(run("alert", "show", alert["id"], "--json").stdout)
    assert shown["id"] == alert["id"]
    assert shown["observables"][0]["type"] == "domain"
    assert shown["observables"][0]["value"] == "evil.example.com"


def test_alert_show_unknown_id_exits_66(run: Run) -> None:
    result = run("alert", "show", "alert_nope", code=66)
    assert result.stderr.strip() == "socflow: alert 'alert_nope' does not exist"


def test_alert_create_rejects_an_unknown_severity_listing_the_choices(run: Run) -> None:
    result = run(
        "alert", "create", "--source", "s", "--ref", "r", "--title", "t", "--severity", "huge", code=2
    )
    for name in ("informational", "low", "medium", "high", "critical"):
        assert name in result.stderr


def test_alert_create_rejects_an_observable_without_a_type(run: Run) -> None:
    result = run(
        "alert", "create", "--source", "s", "--ref", "r", "--title", "t", "--observable", "x", code=2
    )
    assert "is not TYPE:VALUE" in result.stderr
    result = run(
        "alert", "create", "--source", "s", "--ref", "r", "--title", "t", "--observable", "mac:00:11", code=2
    )
    assert "'mac' is not an observable type" in result.stderr


def test_alert_create_reports_each_invalid_observable_with_its_path(run: Run) -> None:
    result = run(
        "alert",
        "create",
        "--source",
        "s",
        "--ref",
        "r",
        "--title",
        "t",
        "--observable",
        "ip:999.1.1.1",
        "--observable",
        "md5:xyz",
        code=65,
    )
    lines = result.stderr.splitlines()
    assert lines[0].startswith("socflow: ")
    assert lines[1].startswith("  - observables[0].value: '999.1.1.1' is not a valid ip")
    assert lines[2].startswith("  - observables[1].value: 'xyz' is not a valid md5")
    assert "Traceback" not in result.output


def test_alert_promote_opens_a_case_carrying_the_observables(run: Run) -> None:
    alert = create(run, "--severity", "high", "--observable", "ip:198.51.100.4", "--tag", "c2")
    case = json.loads(run("alert", "promote", alert["id"], "--json", "--assignee", "alice").stdout)
    assert case["title"] == "Beacon to C2"
    assert case["severity"] == "high"
    assert case["assignee"] == "alice"
    assert case["tags"] == ["c2"]
    shown = json.loads(run("case", "show", case["id"], "--json").stdout)
    assert [item["value"] for item in shown["observables"]] == ["198.51.100.4"]
    assert [item["id"] for item in shown["alerts"]] == [alert["id"]]
    again = run("alert", "promote", alert["id"], code=75)
    assert f"already belongs to case '{case['id']}'" in again.stderr


def test_alert_create_records_the_default_actor_as_cli_and_the_os_user(run: Run) -> None:
    alert = create(run)
    case = json.loads(run("alert", "promote", alert["id"], "--json").stdout)
    assert case["created_by"] == f"cli:{getpass.getuser()}"
    timeline = json.loads(run("case", "show", case["id"], "--json").stdout)["timeline"]
    assert {entry["actor"] for entry in timeline} == {f"cli:{getpass.getuser()}"}


def test_alert_create_refuses_an_empty_actor(run: Run) -> None:
    result = run("alert", "create", "--source", "s", "--ref", "r", "--title", "t", "--actor", " ", code=65)
    assert result.stderr.splitlines() == [
        "socflow: every change needs an actor",
        "  - actor: must not be empty",
    ]
