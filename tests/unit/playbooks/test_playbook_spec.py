"""The playbook document: YAML loading, durations, the three kinds, and the published JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socflow.errors import ValidationFailed
from socflow.playbooks.schema import playbook_json_schema, render_schema
from socflow.playbooks.spec import RulesPlaybook, SequentialPlaybook, StateMachinePlaybook, duration_seconds
from socflow.playbooks.validate import load_playbook

ROOT = Path(__file__).resolve().parents[3]

MINIMAL = """
id: minimal
name: Minimal
kind: sequential
steps:
  - {id: only, type: end}
"""


def test_spec_loads_metadata_inputs_trigger_and_limits() -> None:
    playbook = load_playbook(
        """
id: triage
name: Triage
description: d
version: 3
owner: soc
tags: [a, b]
kind: sequential
inputs:
  - {name: threshold, type: integer, required: true}
  - {name: channel, default: "#soc"}
trigger: {kind: schedule, cron: "*/5 * * * *"}
limits: {max_duration: 1h30m}
steps:
  - {id: done, type: end, outcome: ok}
"""
    )
    assert isinstance(playbook, SequentialPlaybook)
    assert (playbook.version, playbook.owner, playbook.tags) == (3, "soc", ["a", "b"])
    assert playbook.inputs[0].required
    assert playbook.inputs[1].default == "#soc"
    assert playbook.trigger.cron == "*/5 * * * *"
    assert duration_seconds(playbook.limits.max_duration or "") == 5400


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (MINIMAL, SequentialPlaybook),
        (
            "id: m\nname: M\nkind: state_machine\ninitial: s\nstates: [{id: s, final: true}]\n",
            StateMachinePlaybook,
        ),
        ("id: r\nname: R\nkind: rules\nstages: [{id: s, rules: []}]\n", RulesPlaybook),
    ],
)
def test_spec_kind_selects_the_model(text: str, kind: type) -> None:
    assert isinstance(load_playbook(text), kind)


def test_spec_durations_add_up_their_parts() -> None:
    assert duration_seconds("30s") == 30
    assert duration_seconds("1d2h") == 93600
    assert duration_seconds("250ms") == 0.25


def test_spec_yaml_syntax_error_is_one_issue_with_a_line() -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_playbook("id: [unclosed\n")
    assert caught.value.issues[0].path.startswith("line ")


def test_spec_yaml_is_loaded_safely_without_python_tags() -> None:
    with pytest.raises(ValidationFailed):
        load_playbook("!!python/object/apply:os.system ['true']\n")


def test_spec_type_errors_have_paths_without_union_tags() -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_playbook(
            """
id: x
name: X
kind: sequential
steps:
  - {id: a, type: action, action: NotAnAction}
  - {id: b, type: wait, duration: soon}
"""
        )
    paths = {issue.path for issue in caught.value.issues}
    assert paths == {"steps[0].action", "steps[1].duration"}


def test_spec_unknown_kind_is_reported_on_kind() -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_playbook("id: x\nname: X\nkind: flowchart\n")
    assert [issue.path for issue in caught.value.issues] == ["kind"]


def test_schema_has_the_three_kinds_and_every_step_type() -> None:
    schema = playbook_json_schema()
    text = json.dumps(schema)
    for name in (
        "SequentialPlaybook",
        "StateMachinePlaybook",
        "RulesPlaybook",
        "ApprovalStep",
        "ForEachStep",
    ):
        assert name in schema["$defs"]
    assert '"else"' in text
    assert '"as"' in text


def test_schema_committed_file_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "playbook.schema.json").read_text()
    assert committed == render_schema(), (
        'regenerate: .venv/bin/python -c "from socflow.playbooks.schema import render_schema; '
        "print(render_schema(), end='')\" > docs/playbook.schema.json"
    )
