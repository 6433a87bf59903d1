"""`socflow asset`: import a CSV or JSON inventory, list, show, and look up an address as of a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import Cli
from typer.testing import Result

Run = Callable[..., Result]

CSV = """name,owner,criticality,ips,macs,valid_from
laptop-a.corp.example,alice,high,10.0.0.5,00:11:22:33:44:55,2026-11-01T08:00:00Z
laptop-b,bob,low,,,2026-11-01T08:00:00Z
"""


@pytest.fixture
def run(cli: Cli) -> Run:
    """Invoke the CLI in a clean SOCFLOW_* environment on an embedded database in tmp_path."""
    cli.invoke("db", "upgrade")
    return cli.invoke


def test_cli_asset_import_csv_then_list_and_show(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text(CSV, encoding="utf-8")

    imported = run("asset", "import", str(path))
    listed = json.loads(run("asset", "list", "--json").output)
    shown = run("asset", "show", "laptop-a.corp.example")

    assert "2 created, 0 updated, 0 unchanged, 2 addresses assigned" in imported.output
    assert [item["name"] for item in listed["items"]] == ["laptop-a", "laptop-b"]
    assert "10.0.0.5" in shown.output
    assert "00-11-22-33-44-55" in shown.output
    assert "alice" in shown.output


def test_cli_asset_lookup_follows_the_address_history(run: Run, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text(CSV, encoding="utf-8")
    moved = tmp_path / "moved.json"
    moved.write_text(
        json.dumps([{"name": "laptop-b", "ips": ["10.0.0.5"], "valid_from": "2026-11-01T12:00:00Z"}])
    )
    run("asset", "import", str(first))
    run("asset", "import", str(moved))

    before = json.loads(
        run("asset", "lookup", "--ip", "10.0.0.5", "--at", "2026-11-01T11:00:00Z", "--json").output
    )
    after = json.loads(
        run("asset", "lookup", "--ip", "10.0.0.5", "--at", "2026-11-01T13:00:00+01:00", "--json").output
    )

    assert before["name"] == "laptop-a"
    assert after["name"] == "laptop-b"
    missing = run("asset", "lookup", "--ip", "10.0.0.5", "--at", "2026-10-01T00:00:00Z", code=66)
    assert "no asset held" in missing.output


def test_cli_asset_import_reports_every_bad_line_and_exits_65(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,criticality,ips\nok,low,10.0.0.1\nbad,severe,10.0.0.999\n", encoding="utf-8")

    result = run("asset", "import", str(path), code=65)

    assert "line 3.criticality" in result.output
    assert "line 3.ips" in result.output
    assert json.loads(run("asset", "list", "--json").output)["items"] == []
