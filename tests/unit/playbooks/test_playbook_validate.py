"""Validation reports every problem at once, each with a path into the document."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from playbook_support import CATALOGUE

from socflow.errors import Issue, ValidationFailed
from socflow.playbooks.validate import load_playbook, validate_document


def issues_of(text: str, catalogue: bool = True) -> list[Issue]:
    _playbook, issues = validate_document(
        yaml.safe_load(textwrap.dedent(text)), CATALOGUE if catalogue else None
    )
    return issues


def paths(issues: list[Issue]) -> set[str]:
    return {issue.path for issue in issues}


HEAD = "id: p\nname: P\nkind: sequential\n"


def test_validate_unknown_step_reference_points_at_the_field() -> None:
    issues = issues_of(HEAD + "steps:\n  - {id: a, type: condition, when: 'true', then: b, else: nowhere}\n"
                       "  - {id: b, type: end}\n")  # fmt: skip
    assert [(i.path, "nowhere" in i.message) for i in issues] == [("steps[0].else", True)]


def test_validate_unknown_action_and_arguments_against_the_catalogue() -> None:
    text = HEAD + (
        "steps:\n"
        "  - {id: a, type: action, action: edr.melt_host, args: {host: x}, next: b}\n"
        "  - {id: b, type: action, action: firewall.block_ip, args: {ttl: 1h, colour: red}}\n"
    )
    assert paths(issues_of(text)) == {"steps[0].action", "steps[1].args", "steps[1].args.colour"}
    assert issues_of(text, catalogue=False) == []  # without a registry the action checks are skipped


def test_validate_bad_expression_syntax_is_reported_with_its_path() -> None:
    text = (
        HEAD
        + "steps:\n  - {id: a, type: set, vars: {x: '{{ 1 + }}'}, next: b}\n"
        + "  - {id: b, type: condition, when: 'a =='}\n"
    )
    assert paths(issues_of(text)) == {"steps[0].vars.x", "steps[1].when"}


def test_validate_sandbox_escape_in_a_template_is_refused() -> None:
    text = HEAD + "steps:\n  - {id: a, type: set, vars: {x: '{{ cycler.__init__.__globals__ }}'}}\n"
    [issue] = issues_of(text)
    assert issue.path == "steps[0].vars.x"
    assert "refused" in issue.message


def test_validate_unreachable_step() -> None:
    text = HEAD + "steps:\n  - {id: a, type: end}\n  - {id: orphan, type: end}\n"
    [issue] = issues_of(text)
    assert issue.path == "steps[1]"
    assert "unreachable" in issue.message


def test_validate_sequential_cycle_names_a_step_in_it() -> None:
    text = HEAD + (
        "steps:\n"
        "  - {id: a, type: set, vars: {x: 1}, next: b}\n"
        "  - {id: b, type: set, vars: {x: 2}, next: c}\n"
        "  - {id: c, type: set, vars: {x: 3}, next: b}\n"
    )
    [issue] = issues_of(text)
    assert issue.path == "steps[1]"
    assert "cycle b -> c -> b" in issue.message


def test_validate_duplicate_ids_including_for_each_bodies() -> None:
    text = HEAD + (
        "steps:\n"
        "  - {id: a, type: for_each, items: '[1]',"
        " do: {id: b, type: action, action: chat.notify, args: {text: x}}, next: b}\n"
        "  - {id: b, type: end}\n"
    )
    assert [i.path for i in issues_of(text)] == ["steps[1].id"]


def test_validate_approval_needs_a_role_and_an_action_to_authorize() -> None:
    text = (
        HEAD
        + "steps:\n  - {id: ok, type: approval, authorizes: done, next: done}\n  - {id: done, type: end}\n"
    )
    assert paths(issues_of(text)) == {"steps[0].role", "steps[0].authorizes"}


def test_validate_case_operation_arguments() -> None:
    text = HEAD + "steps:\n  - {id: t, type: case_operation, operation: add_tag, args: {label: x}}\n"
    assert paths(issues_of(text)) == {"steps[0].args", "steps[0].args.label"}


def test_validate_waits_parallel_joins_and_triggers() -> None:
    text = (
        "id: p\nname: P\nkind: sequential\ntrigger: {kind: schedule}\n"
        "steps:\n"
        "  - {id: w, type: wait, next: e}\n"
        "  - {id: e, type: wait_event, event: x, on_timeout: p}\n"
        "  - {id: p, type: parallel, branches: [q], join: 3}\n"
        "  - {id: q, type: end}\n"
    )
    assert paths(issues_of(text)) == {"trigger.cron", "steps[0]", "steps[1].timeout", "steps[2].join"}


def test_validate_state_without_a_way_out_and_unknown_targets() -> None:
    text = """
    id: m
    name: M
    kind: state_machine
    initial: a
    states:
      - id: a
        transitions: [{event: go, to: b}, {event: go, to: nowhere}, {to: b}]
      - id: b
      - id: lost
        final: true
    """
    assert paths(issues_of(text)) == {
        "states[0].transitions[1].to",
        "states[0].transitions[2]",
        "states[1]",
        "states[2]",
    }


def test_validate_state_lists_forbid_branching_steps_and_next() -> None:
    text = """
    id: m
    name: M
    kind: state_machine
    initial: a
    states:
      - id: a
        final: true
        on_entry:
          - {id: c, type: condition, when: 'true'}
          - {id: s, type: set, vars: {x: 1}, next: c}
    """
    assert paths(issues_of(text)) == {"states[0].on_entry[0].type", "states[0].on_entry[1].next"}


def test_validate_rules_stage_going_backward_and_unknown_run() -> None:
    text = """
    id: r
    name: R
    kind: rules
    stages:
      - id: one
        rules: [{id: go, when: 'true', run: [s], next: two}]
      - id: two
        rules: [{id: back, when: 'true', run: [missing], next: one}]
    steps:
      - {id: s, type: set, vars: {x: 1}, next: s}
      - {id: idle, type: set, vars: {x: 2}}
    """
    found = {issue.path: issue.message for issue in issues_of(text)}
    assert "never go backward" in found["stages[1].rules[0].next"]
    assert set(found) == {"stages[1].rules[0].next", "stages[1].rules[0].run[0]", "steps[0].next", "steps[1]"}


def test_validate_load_playbook_raises_with_every_issue() -> None:
    text = HEAD + "steps:\n  - {id: a, type: end, next: x}\n  - {id: a, type: end}\n"
    with pytest.raises(ValidationFailed) as caught:
        load_playbook(text)
    assert len(caught.value.issues) >= 3
    assert {"steps[0].next", "steps[1].id"} <= paths(caught.value.issues)
