"""`socflow playbook import-cacao` and `export-cacao`: files in, issues listed, files out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cli_support import Cli
from typer.testing import Result

from socflow.playbooks.cacao_model import workflow_outline

Run = Callable[..., Result]


def _id(kind: str, number: int) -> str:
    return f"{kind}--00000000-0000-4000-8000-{number:012d}"


DOCUMENT = {
    "type": "playbook",
    "spec_version": "cacao-2.0",
    "id": _id("playbook", 1),
    "name": "Ping",
    "created_by": _id("identity", 2),
    "created": "2024-01-01T00:00:00.000Z",
    "modified": "2024-01-01T00:00:00.000Z",
    "workflow_start": _id("start", 3),
    "workflow": {
        _id("start", 3): {"type": "start", "on_completion": _id("action", 4)},
        _id("action", 4): {
            "type": "action",
            "commands": [{"type": "pigeon", "command": "fly to __host__:value"}],
            "agent": _id("soarca", 5),
            "on_completion": _id("end", 6),
        },
        _id("end", 6): {"type": "end"},
    },
    "playbook_variables": {"__host__": {"type": "string", "value": "web-1"}},
    "agent_definitions": {_id("soarca", 5): {"type": "soarca", "name": "lab"}},
}


@pytest.fixture
def run(cli: Cli) -> Run:
    return cli.invoke


def test_cli_cacao_import_lists_issues_and_writes_yaml(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "ping.json"
    source.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    target = tmp_path / "ping.yaml"
    result = run("playbook", "import-cacao", str(source), "--output", str(target))
    assert f"workflow.{_id('action', 4)}.commands[0].type" in result.output
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert written["kind"] == "sequential"
    assert written["steps"][0]["args"]["command"] == "fly to {{ inputs.host }}"


def test_cli_cacao_export_round_trips_an_imported_file(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "ping.json"
    source.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    middle = tmp_path / "ping.yaml"
    run("playbook", "import-cacao", str(source), "-o", str(middle))
    back = tmp_path / "back.json"
    run("playbook", "export-cacao", str(middle), "--output", str(back))
    assert workflow_outline(json.loads(back.read_text(encoding="utf-8"))) == workflow_outline(DOCUMENT)


def test_cli_cacao_import_of_a_broken_document_fails_with_paths(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text(
        json.dumps({**DOCUMENT, "workflow": {_id("start", 3): {"type": "begin"}}}), encoding="utf-8"
    )
    result = run("playbook", "import-cacao", str(source), code=65)
    assert f"workflow.{_id('start', 3)}.type" in result.output
