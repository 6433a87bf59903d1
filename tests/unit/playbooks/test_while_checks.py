"""While loops: validation with paths, rehearsal over repeated visits, CACAO while-condition import/export."""

from __future__ import annotations

import textwrap

import yaml
from playbook_support import CATALOGUE, graph_of

from socflow.errors import Issue
from socflow.playbooks.cacao_export import export_cacao, export_cacao_with_issues
from socflow.playbooks.cacao_import import import_cacao
from socflow.playbooks.compile import compile_playbook
from socflow.playbooks.graph import NodeType
from socflow.playbooks.rehearse import RehearsalCase, rehearse
from socflow.playbooks.spec import SequentialPlaybook, WhileStep
from socflow.playbooks.validate import validate_document

HEAD = "id: p\nname: P\nkind: sequential\n"
NOTIFY = "type: action, action: chat.notify, args: {text: hi}"


def issues_of(text: str) -> list[Issue]:
    _playbook, issues = validate_document(yaml.safe_load(textwrap.dedent(text)), CATALOGUE)
    return issues


def pairs(issues: list[Issue]) -> list[tuple[str, str]]:
    return [(issue.path, issue.message) for issue in issues]


def test_validate_while_unknown_body_and_bad_condition_are_reported_with_paths() -> None:
    issues = issues_of(HEAD + "steps:\n  - {id: w, type: while, condition: 'vars.n <', do: nowhere}\n")
    assert {issue.path for issue in issues} == {"steps[0].condition", "steps[0].do"}
    assert any("nowhere" in message for path, message in pairs(issues) if path == "steps[0].do")


def test_validate_while_bound_is_required_and_limited() -> None:
    base = HEAD + "steps:\n  - {id: w, type: while, condition: 'true', do: b, max_iterations: %s}\n"
    base += f"  - {{id: b, {NOTIFY}}}\n"
    assert issues_of(base % "100") == []
    for bad in ("null", "0", "10001"):
        assert [issue.path for issue in issues_of(base % bad)] == ["steps[0].max_iterations"], bad


def test_validate_while_body_jumping_out_or_entered_from_outside_is_refused() -> None:
    jumping = HEAD + (
        "steps:\n"
        "  - {id: w, type: while, condition: 'true', do: b, next: after}\n"
        f"  - {{id: b, {NOTIFY}, next: after}}\n"
        "  - {id: after, type: end}\n"
    )
    found = pairs(issues_of(jumping))
    assert [path for path, _ in found] == ["steps[0].next"]
    assert "'after' is in the body of while 'w'" in found[0][1]
    entered = HEAD + (
        "steps:\n"
        "  - {id: c, type: condition, when: 'true', then: w, else: b}\n"
        "  - {id: w, type: while, condition: 'true', do: b}\n"
        f"  - {{id: b, {NOTIFY}}}\n"
    )
    assert [path for path, _ in pairs(issues_of(entered))] == ["steps[0].else"]


def test_validate_while_body_naming_its_loop_is_a_cycle() -> None:
    text = HEAD + (
        f"steps:\n  - {{id: w, type: while, condition: 'true', do: b}}\n  - {{id: b, {NOTIFY}, next: w}}\n"
    )
    found = pairs(issues_of(text))
    assert any("cycle" in message for _, message in found)
    assert any(path == "steps[1]" and "names its while" in message for path, message in found)


def test_validate_while_is_refused_in_state_machines_and_rules() -> None:
    machine = (
        "id: m\nname: M\nkind: state_machine\ninitial: s\nstates:\n"
        "  - {id: s, final: true, on_entry: [{id: w, type: while, condition: 'true', do: w}]}\n"
    )
    assert "states[0].on_entry[0].type" in [path for path, _ in pairs(issues_of(machine))]
    rules = (
        "id: r\nname: R\nkind: rules\nstages: [{id: s, rules: [{id: x, when: 'true', run: [w]}]}]\n"
        "steps: [{id: w, type: while, condition: 'true', do: w}]\n"
    )
    assert "steps[0].type" in [path for path, _ in pairs(issues_of(rules))]


def test_compile_marks_body_steps_with_their_innermost_loop() -> None:
    graph = graph_of(
        HEAD + "steps:\n"
        "  - {id: outer, type: while, condition: 'true', do: a, next: z}\n"
        "  - {id: a, type: set, vars: {x: 1}, next: inner}\n"
        f"  - {{id: inner, type: while, condition: 'true', do: b}}\n"
        f"  - {{id: b, {NOTIFY}}}\n"
        "  - {id: z, type: end}\n"
    )
    owners = {nid: (node.owner, node.phase) for nid, node in graph.nodes.items()}
    assert owners == {
        "outer": ("", ""), "a": ("outer", "loop"), "inner": ("outer", "loop"),
        "b": ("inner", "loop"), "z": ("", ""),
    }  # fmt: skip
    assert graph.nodes["outer"].type is NodeType.WHILE


def test_rehearse_a_loop_uses_listed_results_one_per_visit_and_covers_every_edge() -> None:
    graph = graph_of(
        HEAD + "steps:\n"
        "  - {id: w, type: while, condition: \"'poll' not in steps or steps.poll.result.state != 'done'\","
        " do: poll, next: z}\n"
        f"  - {{id: poll, {NOTIFY}}}\n"
        "  - {id: z, type: end, outcome: done}\n"
    )
    pending, done = {"output": {"state": "pending"}}, {"output": {"state": "done"}}
    case = RehearsalCase.model_validate(
        {
            "name": "polls three times",
            "results": {"poll": [pending, pending, done]},
            "expect": {"status": "succeeded", "outcome": "done", "path": ["w", "poll"] * 3 + ["w", "z"]},
        }
    )
    report = rehearse(graph, [case])
    assert report.cases[0].failures == []
    assert report.uncovered == []


AGENT = "soarca--00000000-0000-4000-8000-0000000000cc"


def _cacao() -> dict[str, object]:
    start, loop, body, body_end = (
        "start--00000000-0000-4000-8000-000000000001",
        "while-condition--00000000-0000-4000-8000-000000000002",
        "action--00000000-0000-4000-8000-000000000003",
        "end--00000000-0000-4000-8000-000000000004",
    )
    done = "end--00000000-0000-4000-8000-000000000005"
    return {
        "type": "playbook", "spec_version": "cacao-2.0",
        "id": "playbook--00000000-0000-4000-8000-0000000000aa", "name": "Poll",
        "created_by": "identity--00000000-0000-4000-8000-0000000000bb",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "playbook_variables": {"__left__": {"type": "integer", "value": "2"}},
        "workflow_start": start,
        "workflow": {
            start: {"type": "start", "on_completion": loop},
            loop: {"type": "while-condition", "condition": "__left__:value > 0", "on_true": body,
                   "on_completion": done},
            body: {"type": "action", "on_completion": body_end, "agent": AGENT,
                   "commands": [{"type": "http-api", "command": "GET /poll HTTP/1.1"}]},
            body_end: {"type": "end"},
            done: {"type": "end"},
        },
        "agent_definitions": {AGENT: {"type": "soarca", "name": "lab"}},
    }  # fmt: skip


def test_cacao_while_condition_imports_as_a_bounded_while_and_exports_back() -> None:
    document = _cacao()
    imported = import_cacao(document)
    playbook = imported.playbook
    assert isinstance(playbook, SequentialPlaybook)
    loop = next(step for step in playbook.steps if step.type == "while")
    assert isinstance(loop, WhileStep)
    assert (loop.condition, loop.do, loop.max_iterations) == (
        "inputs.left > 0",
        "action--00000000-0000-4000-8000-000000000003",
        100,
    )
    assert loop.successor == "end--00000000-0000-4000-8000-000000000005"
    body = next(step for step in playbook.steps if step.id == loop.do)
    assert body.successor is None  # the body's end step returns to the loop: dropped, kept in metadata
    assert [i.path for i in imported.issues if "loop_limit" in i.message] == [
        "workflow.while-condition--00000000-0000-4000-8000-000000000002"
    ]
    assert not any(
        "once" in issue.message or issue.message.startswith("socflow:") for issue in imported.issues
    )
    exported = export_cacao(playbook)
    assert exported["workflow"] == document["workflow"]
    assert import_cacao(exported).playbook == playbook


def test_cacao_imported_loop_runs_until_its_bound() -> None:
    imported = import_cacao(_cacao())
    assert imported.playbook is not None
    case = RehearsalCase.model_validate({"name": "nothing lowers __left__", "expect": {"status": "failed"}})
    [report] = rehearse(compile_playbook(imported.playbook), [case]).cases
    assert report.failures == []
    assert report.path.count("action--00000000-0000-4000-8000-000000000003") == 100


def test_cacao_export_reports_a_bound_it_cannot_write() -> None:
    imported = import_cacao(_cacao())
    assert imported.playbook is not None
    data = imported.playbook.model_dump(mode="json", by_alias=True)
    for step in data["steps"]:
        if step["type"] == "while":
            step["max_iterations"] = 5
    changed = SequentialPlaybook.model_validate(data)
    exported, issues = export_cacao_with_issues(changed)
    assert "while-condition--00000000-0000-4000-8000-000000000002" in exported["workflow"]
    assert [i.path for i in issues if "bound" in i.message] == ["steps[0].max_iterations"]
