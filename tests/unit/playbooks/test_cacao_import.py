"""CACAO v2 import: every step type maps, variables translate, the unmappable is reported with a path."""

from __future__ import annotations

import json
from typing import Any

from cacao_fixtures import (
    ASK,
    CHECK,
    CHILD,
    DONE,
    FETCH,
    LOOP,
    POLL,
    ROUTE,
    SCAN,
    SCAN_END,
    SPLIT,
    SWEEP,
    every_step_type,
    ident,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

from socflow.playbooks.cacao_export import export_cacao
from socflow.playbooks.cacao_import import CacaoImport, import_cacao
from socflow.playbooks.compile import compile_playbook
from socflow.playbooks.rehearse import RehearsalCase, rehearse
from socflow.playbooks.spec import (
    ActionStep,
    ConditionStep,
    EndStep,
    HumanTaskStep,
    ParallelStep,
    SequentialPlaybook,
    StepBase,
    SubPlaybookStep,
    SwitchStep,
    WhileStep,
)
from socflow.playbooks.validate import validate_playbook


def _imported(document: dict[str, Any] | str) -> tuple[SequentialPlaybook, CacaoImport]:
    result = import_cacao(document)
    assert isinstance(result.playbook, SequentialPlaybook), result.issues
    return result.playbook, result


def _steps(playbook: SequentialPlaybook) -> dict[str, StepBase]:
    return {step.id: step for step in playbook.steps}


def test_cacao_import_maps_every_step_type_to_a_valid_sequential_playbook() -> None:
    playbook, _ = _imported(every_step_type())
    steps = _steps(playbook)
    assert validate_playbook(playbook) == []
    assert playbook.start == FETCH
    assert isinstance(steps[FETCH], ActionStep)
    assert steps[FETCH].action == "cacao.http_api"
    assert isinstance(steps[SPLIT], ParallelStep)
    assert steps[SPLIT].branches == [SCAN, SWEEP]
    assert isinstance(steps[CHECK], ConditionStep)
    assert (steps[CHECK].then, steps[CHECK].else_) == (
        CHILD,
        ROUTE,
    )
    assert isinstance(steps[CHILD], SubPlaybookStep)
    assert steps[CHILD].playbook == ident("playbook", 200)
    assert isinstance(steps[ROUTE], SwitchStep)
    assert steps[ROUTE].cases == {"block": ASK}
    assert isinstance(steps[ASK], HumanTaskStep)
    assert steps[ASK].assignee == "Host owner"
    assert isinstance(steps[LOOP], WhileStep)
    assert (steps[LOOP].do, steps[LOOP].successor, steps[LOOP].max_iterations) == (POLL, DONE, 100)
    assert isinstance(steps[DONE], EndStep)


def test_cacao_import_branch_end_returns_to_the_branching_step_continuation() -> None:
    playbook, _ = _imported(every_step_type())
    steps = _steps(playbook)
    assert SCAN_END not in steps  # a parallel branch simply ends, so the join fires
    assert steps[SCAN].successor is None
    assert steps[CHILD].successor == LOOP  # if-branch end -> the if's on_completion
    assert steps[ASK].successor == LOOP  # switch inside if: its continuation is itself a branch end
    assert isinstance(steps[ROUTE], SwitchStep)
    assert steps[ROUTE].default == LOOP
    assert steps[POLL].successor is None  # the while body ends, so the loop checks its condition again


def test_cacao_import_translates_variables_to_inputs_and_references() -> None:
    playbook, _ = _imported(every_step_type())
    inputs = {spec.name: spec for spec in playbook.inputs}
    assert inputs["ip"].required
    assert inputs["ip"].default is None
    assert inputs["mode"].default == "block"
    assert not inputs["mode"].required
    assert inputs["tries"].type.value == "integer"
    assert inputs["tries"].default == 3
    steps = _steps(playbook)
    fetch = steps[FETCH]
    assert isinstance(fetch, ActionStep)
    assert fetch.args["command"] == "GET /hosts/{{ inputs.ip }} HTTP/1.1"
    assert isinstance(steps[CHECK], ConditionStep)
    assert steps[CHECK].when == "inputs.ip == '10.0.0.1'"
    assert isinstance(steps[CHILD], SubPlaybookStep)
    assert steps[CHILD].inputs == {"ip": "{{ inputs.ip }}"}


def test_cacao_import_maps_agent_to_integration_instance_and_passes_targets() -> None:
    playbook, _ = _imported(every_step_type())
    fetch = _steps(playbook)[FETCH]
    assert isinstance(fetch, ActionStep)
    assert fetch.args["agent"] == "soarca-lab"
    assert fetch.args["targets"][0]["name"] == "web-1"
    assert fetch.args["targets"][0]["address"] == {"ipv4": ["{{ inputs.ip }}"]}
    assert fetch.timeout == "30s"


def test_cacao_import_quotes_jinja_marks_found_in_commands() -> None:
    playbook, _ = _imported(every_step_type())
    poll = _steps(playbook)[POLL]
    assert isinstance(poll, ActionStep)
    assert poll.args["command"] == "echo ${{ '{#' }}names[@]}"


def test_cacao_import_reports_unsupported_command_type_with_its_path() -> None:
    document = every_step_type()
    document["workflow"][SWEEP]["commands"] = [{"type": "carrier-pigeon", "command": "fly"}]
    playbook, result = _imported(document)
    path = f"workflow.{SWEEP}.commands[0].type"
    assert any(issue.path == path and "carrier-pigeon" in issue.message for issue in result.issues)
    sweep = _steps(playbook)[SWEEP]
    assert isinstance(sweep, ActionStep)
    assert sweep.action == "cacao.carrier_pigeon"


def test_cacao_import_reports_reference_to_a_missing_step() -> None:
    document = every_step_type()
    document["workflow"][FETCH]["on_completion"] = ident("action", 999)
    result = import_cacao(document)
    found = {issue.path: issue.message for issue in result.issues}
    assert "reference to a missing step" in found[f"workflow.{FETCH}.on_completion"]


def test_cacao_import_reports_missing_workflow_start_and_still_finds_the_start_step() -> None:
    document = every_step_type()
    del document["workflow_start"]
    playbook, result = _imported(document)
    assert any(issue.path == "workflow_start" for issue in result.issues)
    assert playbook.start == FETCH


def test_cacao_import_start_without_on_completion_runs_the_first_step_listed() -> None:
    document = every_step_type()
    start = ident("start", 1)
    del document["workflow"][start]["on_completion"]
    playbook, result = _imported(document)
    assert playbook.start == FETCH
    assert any(issue.path == f"workflow.{start}.on_completion" for issue in result.issues)


def test_cacao_import_refuses_wrong_types_with_paths() -> None:
    document = every_step_type()
    document["workflow"][SWEEP]["type"] = "loop"
    document["workflow"][FETCH]["timeout"] = "soon"
    result = import_cacao(document)
    assert result.playbook is None
    paths = {issue.path for issue in result.issues}
    assert {f"workflow.{SWEEP}.type", f"workflow.{FETCH}.timeout"} <= paths


def test_cacao_import_reports_schema_rules_beyond_types() -> None:
    document = every_step_type()
    del document["workflow"][SWEEP]["agent"]
    document["workflow"][SCAN]["agent"] = "not-an-identifier"
    document["modified"] = "2023-01-01T00:00:00.000Z"
    result = import_cacao(document)
    found = {(issue.path, issue.message.split(" ")[-1]) for issue in result.issues}
    assert (f"workflow.{SWEEP}.agent", "missing") in found
    assert (f"workflow.{SCAN}.agent", "(`<type>--<uuid>`)") in found
    assert (f"workflow.{SCAN}.agent", "agent_definitions") in found
    assert any(path == "modified" for path, _ in found)


def test_cacao_import_keeps_and_reports_what_socflow_does_not_run() -> None:
    document = every_step_type()
    extension = ident("extension-definition", 300)
    document["extension_definitions"] = {extension: {"type": "extension-definition", "name": "x"}}
    document["signatures"] = [{"type": "jss", "value": "abc"}]
    document["workflow"][FETCH]["delay"] = 5
    playbook, result = _imported(document)
    paths = {issue.path for issue in result.issues}
    assert {"extension_definitions", "signatures", f"workflow.{FETCH}.delay"} <= paths
    kept = playbook.metadata["cacao"]
    assert extension in kept["document"]["extension_definitions"]
    assert kept["steps"][FETCH]["fields"]["delay"] == 5


def test_cacao_import_never_keeps_credentials() -> None:
    document = every_step_type()
    auth = ident("user-auth", 400)
    document["authentication_info_definitions"] = {
        auth: {"type": "user-auth", "username": "u", "password": "pw"}
    }
    playbook, result = _imported(document)
    assert any(issue.path == f"authentication_info_definitions.{auth}.password" for issue in result.issues)
    assert "pw" not in json.dumps(playbook.model_dump(mode="json"))


def test_cacao_import_accepts_json_text_and_reports_broken_json() -> None:
    playbook, _ = _imported(json.dumps(every_step_type()))
    assert playbook.name == "Contain a host"
    broken = import_cacao('{"type": "playbook",')
    assert broken.playbook is None
    assert broken.issues[0].message.startswith("not JSON")


def test_cacao_import_reports_a_document_without_workflow() -> None:
    result = import_cacao({"type": "playbook", "spec_version": "cacao-2.0"})
    assert result.playbook is None
    assert [issue.path for issue in result.issues] == ["workflow"]


def test_cacao_import_result_runs_in_the_conductor_along_cacao_semantics() -> None:
    playbook, _ = _imported(every_step_type())
    cases = [
        RehearsalCase.model_validate(
            {
                "name": "the known host goes to the child playbook; no tries left skips the loop body",
                "inputs": {"ip": "10.0.0.1", "tries": 0},
                "expect": {
                    "status": "succeeded",
                    "path": [FETCH, SPLIT, SCAN, SWEEP, CHECK, CHILD, LOOP, DONE],
                },
            }
        ),
        RehearsalCase.model_validate(
            {
                "name": "a condition nothing in the body changes loops until the bound",
                "inputs": {"ip": "10.0.0.1", "tries": 3},
                "expect": {
                    "status": "failed",
                    "visits": [POLL],
                    "not_visited": [DONE],
                    "steps": {LOOP: "failed"},
                },
            }
        ),
        RehearsalCase.model_validate(
            {
                "name": "another host is routed to a person by the switch",
                "inputs": {"ip": "10.0.0.2", "tries": 0},
                "expect": {"status": "succeeded", "visits": [ROUTE, ASK, LOOP, DONE], "not_visited": [POLL]},
            }
        ),
    ]
    report = rehearse(compile_playbook(playbook), cases)
    assert {case.name: case.failures for case in report.cases if not case.passed} == {}
    assert report.cases[1].path.count(POLL) == 100


ODD_VALUES = [None, 1, "x", [], {}, ["a"], {"a": 1}, True, ident("action", 999), ident("end", 19)]
STEP_FIELDS = ["type", "on_true", "on_false", "on_completion", "cases", "next_steps", "commands", "agent"]


@settings(max_examples=60, deadline=None)
@example(changes=[(3, "on_completion", ident("end", 19)), (18, "on_completion", None)])  # null == absent
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from(STEP_FIELDS), st.sampled_from([*ODD_VALUES, "drop"])),
        min_size=1,
        max_size=3,
    )
)
def test_cacao_import_broken_steps_give_issues_never_exceptions(changes: list[tuple[int, str, Any]]) -> None:
    document = every_step_type()
    ids = list(document["workflow"])
    for index, name, value in changes:
        step = document["workflow"][ids[index % len(ids)]]
        if value == "drop":
            step.pop(name, None)
        else:
            step[name] = value
    result = import_cacao(document)
    if result.playbook is None:
        assert result.issues
    else:
        assert import_cacao(export_cacao(result.playbook)).playbook == result.playbook
