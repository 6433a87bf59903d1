"""Rehearsal: the shipped playbooks and the YAML scenarios pass; uncovered branches are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playbook_support import CATALOGUE, graph_of

from socflow.errors import ValidationFailed
from socflow.playbooks.compile import compile_playbook
from socflow.playbooks.rehearse import CaseFile, load_cases, rehearse
from socflow.playbooks.validate import load_playbook, validate_document

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted(
    p.name.removesuffix(".yaml") for p in (ROOT / "playbooks").glob("*.yaml") if ".tests." not in p.name
)
SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def test_rehearse_three_example_playbooks_ship() -> None:
    assert EXAMPLES == ["brute_force_containment", "malware_response", "phishing_triage"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_rehearse_example_playbook_validates_and_passes_its_cases(name: str) -> None:
    playbook = load_playbook((ROOT / "playbooks" / f"{name}.yaml").read_text(), CATALOGUE)
    tests = load_cases((ROOT / "playbooks" / f"{name}.tests.yaml").read_text())
    assert tests.playbook == f"{name}.yaml"
    report = rehearse(compile_playbook(playbook), tests.cases)
    failures = {case.name: case.failures for case in report.cases if not case.passed}
    assert failures == {}
    assert report.edge_count > 0
    assert len(report.uncovered) <= report.edge_count // 10


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_rehearse_scenario_passes(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    playbook, issues = validate_document(data["playbook"], CATALOGUE)
    assert issues == []
    assert playbook is not None
    report = rehearse(compile_playbook(playbook), CaseFile(cases=data["cases"]).cases)
    assert [case.failures for case in report.cases] == [[] for _ in report.cases]


BRANCHY = """
id: branchy
name: Branchy
kind: sequential
steps:
  - {id: check, type: condition, when: "alert.bad", then: block, else: close}
  - {id: block, type: action, action: firewall.block_ip, args: {ip: "{{ alert.ip }}"}, on_failure: close}
  - {id: close, type: end, outcome: closed}
"""


def test_rehearse_reports_failures_paths_and_uncovered_edges() -> None:
    graph = graph_of(BRANCHY)
    cases = CaseFile.model_validate(
        {
            "cases": [
                {"name": "bad ip", "trigger": {"alert": {"bad": True, "ip": "1.1.1.1"}},
                 "expect": {"path": ["check", "block"], "status": "succeeded"}},
                {"name": "wrong expectation", "trigger": {"alert": {"bad": False}},
                 "expect": {"outcome": "blocked"}},
            ]
        }
    ).cases  # fmt: skip
    report = rehearse(graph, cases)
    assert [case.passed for case in report.cases] == [True, False]
    assert report.cases[1].failures == ["outcome: expected 'blocked', got 'closed'"]
    assert report.cases[1].path == ["check", "close"]
    assert report.uncovered == ["block -failure-> close"]
    assert not report.passed


def test_rehearse_never_calls_a_device_it_only_uses_recorded_results() -> None:
    graph = graph_of(BRANCHY)
    case = CaseFile.model_validate(
        {"cases": [{"name": "n", "trigger": {"alert": {"bad": True, "ip": "1.1.1.1"}},
                    "results": {"firewall.block_ip": {"status": "failed", "error": "down"}},
                    "expect": {"path": ["check", "block", "close"]}}]}
    ).cases  # fmt: skip
    assert rehearse(graph, case).passed


def test_rehearse_invalid_test_file_lists_issues() -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_cases("cases:\n  - {name: x, expect: {status: maybe}}\n")
    assert caught.value.issues[0].path.startswith("cases.0.expect.status")
