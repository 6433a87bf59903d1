"""CACAO v2 export: imported playbooks come back with their ids and structure; native ones get stable ids."""

from __future__ import annotations

import textwrap
import uuid

import pytest
from cacao_fixtures import FETCH, SCAN, SCAN_END, every_step_type
from hypothesis import given
from hypothesis import strategies as st

from socflow.errors import ValidationFailed
from socflow.playbooks.cacao_export import export_cacao, export_cacao_with_issues
from socflow.playbooks.cacao_import import import_cacao
from socflow.playbooks.cacao_model import IDENTIFIER, parse_cacao, workflow_outline
from socflow.playbooks.cacao_refs import from_template, to_template
from socflow.playbooks.spec import ActionStep, SequentialPlaybook, SetStep
from socflow.playbooks.validate import load_playbook

NATIVE = textwrap.dedent(
    """
    id: native
    name: Native
    kind: sequential
    inputs: [{name: ip, required: true}]
    steps:
      - {id: look, type: action, action: intel.ip_reputation, args: {ip: "{{ inputs.ip }}"},
         next: bad}
      - {id: bad, type: condition, when: "steps.look.result.score > 50", then: block, else: note}
      - {id: block, type: action, action: firewall.block_ip, args: {ip: "{{ inputs.ip }}"}, next: tell}
      - {id: tell, type: human_task, instructions: "Tell {{ inputs.ip }}", role: soc_l1, next: done}
      - {id: note, type: set, vars: {verdict: benign}, next: done}
      - {id: done, type: end}
    """
)


def _imported() -> SequentialPlaybook:
    playbook = import_cacao(every_step_type()).playbook
    assert isinstance(playbook, SequentialPlaybook)
    return playbook


def test_cacao_export_round_trip_gives_the_same_socflow_spec() -> None:
    first = _imported()
    again = import_cacao(export_cacao(first)).playbook
    assert again == first


def test_cacao_export_preserves_workflow_outline_of_the_original() -> None:
    original = every_step_type()
    exported = export_cacao(_imported())
    assert workflow_outline(exported) == workflow_outline(original)
    assert exported["id"] == original["id"]
    assert exported["created"] == original["created"]


def test_cacao_export_restores_branch_end_steps() -> None:
    workflow = export_cacao(_imported())["workflow"]
    assert workflow[SCAN]["on_completion"] == SCAN_END
    assert workflow[SCAN_END] == {"type": "end"}


def test_cacao_export_translates_references_back_to_cacao_variables() -> None:
    exported = export_cacao(_imported())
    assert exported["workflow"][FETCH]["commands"][0]["command"] == "GET /hosts/__ip__:value HTTP/1.1"
    assert exported["playbook_variables"]["__tries__"]["value"] == "3"


def test_cacao_export_native_playbook_is_deterministic_and_well_formed() -> None:
    playbook = load_playbook(NATIVE)
    document, issues = export_cacao_with_issues(playbook)
    assert document == export_cacao(playbook)
    parsed, problems = parse_cacao(document)
    assert parsed is not None
    assert problems == []
    for step_id in document["workflow"]:
        assert IDENTIFIER.match(step_id)
        assert uuid.UUID(step_id.split("--")[1]).version == 5
    assert [issue.path for issue in issues] == ["steps[4]"]  # a set step has no CACAO equivalent


def test_cacao_export_native_playbook_imports_back_with_its_actions() -> None:
    playbook = load_playbook(NATIVE)
    back = import_cacao(export_cacao(playbook)).playbook
    assert isinstance(back, SequentialPlaybook)
    actions = [step for step in back.steps if isinstance(step, ActionStep)]
    assert [(a.action, a.args) for a in actions] == [
        ("intel.ip_reputation", {"ip": "{{ inputs.ip }}"}),
        ("firewall.block_ip", {"ip": "{{ inputs.ip }}"}),
    ]
    assert any(isinstance(step, SetStep) and step.vars == {"verdict": "benign"} for step in back.steps)


def test_cacao_export_refuses_a_state_machine() -> None:
    machine = load_playbook(
        "id: m\nname: M\nkind: state_machine\ninitial: a\nstates:\n  - {id: a, final: true}\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        export_cacao(machine)
    assert caught.value.issues[0].path == "kind"


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("plain", "plain"),
        ("touch __path__:value", "touch {{ vars.path }}"),
        ("__a-b__:value and __c__:value", "{{ vars['a-b'] }} and {{ inputs.c }}"),
        ("${#x} {{ y }}", "${{ '{#' }}x} {{ '{{' }} y }}"),
    ],
)
def test_cacao_refs_template_translation_goes_both_ways(text: str, template: str) -> None:
    assert to_template(text, {"__c__"}) == template
    assert from_template(template) == text


@given(st.text(alphabet="_ab-:value{}%#' ", max_size=40))
def test_cacao_refs_any_text_survives_the_round_trip(text: str) -> None:
    assert from_template(to_template(text, {"__a__"})) == text


def test_cacao_export_reports_what_cacao_cannot_say() -> None:
    playbook = load_playbook(
        NATIVE.replace("kind: sequential", "kind: sequential\ntrigger: {kind: alert}").replace(
            "next: bad}", "next: bad, retry: {count: 2}}"
        )
    )
    _document, issues = export_cacao_with_issues(playbook)
    assert {"trigger", "steps[0].retry", "steps[4]"} == {issue.path for issue in issues}
