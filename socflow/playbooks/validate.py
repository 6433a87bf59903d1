"""Playbook validation: every problem at once, each an Issue with a path into the document."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import yaml
from pydantic import ValidationError

from socflow.errors import Issue, ValidationFailed
from socflow.playbooks.expressions import ExpressionError, compile_expression, compile_template
from socflow.playbooks.spec import (
    PLAYBOOK_ADAPTER,
    ActionStep,
    AnyPlaybook,
    ApprovalStep,
    CaseOperation,
    CaseOperationStep,
    ConditionStep,
    EndStep,
    ForEachStep,
    HumanTaskStep,
    ParallelStep,
    RulesPlaybook,
    SequentialPlaybook,
    SetStep,
    StateMachinePlaybook,
    StepBase,
    SubPlaybookStep,
    SwitchStep,
    WaitEventStep,
    WaitStep,
    WhileStep,
)
from socflow.playbooks.triggers import trigger_issues
from socflow.playbooks.validate_flow import rules_issues, sequential_issues, state_machine_issues


@dataclass(frozen=True)
class ActionSignature:
    """What the action registry tells validation about one action: its argument names."""

    name: str
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()


CASE_OPERATION_ARGS: Final[Mapping[CaseOperation, tuple[frozenset[str], frozenset[str]]]] = {
    CaseOperation.ADD_TAG: (frozenset({"tag"}), frozenset()),
    CaseOperation.SET_SEVERITY: (frozenset({"severity"}), frozenset()),
    CaseOperation.TRANSITION: (frozenset({"status"}), frozenset({"resolution", "reason"})),
    CaseOperation.ADD_OBSERVABLE: (frozenset({"kind", "value"}), frozenset({"tlp", "ioc"})),
    CaseOperation.COMMENT: (frozenset({"text"}), frozenset()),
}
_KINDS: Final = {"sequential", "state_machine", "rules"}
_STEP_TYPES: Final = {
    "action", "condition", "switch", "parallel", "for_each", "while", "wait", "wait_event",
    "human_task", "approval", "sub_playbook", "set", "case_operation", "end",
}  # fmt: skip


def _loc_path(loc: tuple[int | str, ...]) -> str:
    """Pydantic's location minus the union tags it inserts, written as `steps[3].next`."""
    path = ""
    previous: int | str | None = None
    for index, part in enumerate(loc):
        tagged = (index == 0 and part in _KINDS) or (
            part in _STEP_TYPES and (isinstance(previous, int) or previous == "do")
        )
        previous = part
        if tagged:
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def parse_document(data: Any) -> tuple[AnyPlaybook | None, list[Issue]]:
    if not isinstance(data, dict):
        return None, [Issue("", "a playbook is a mapping (YAML object)")]
    if data.get("kind") not in _KINDS:
        return None, [Issue("kind", f"kind must be one of {sorted(_KINDS)}")]
    try:
        return PLAYBOOK_ADAPTER.validate_python(data), []
    except ValidationError as exc:
        return None, [Issue(_loc_path(tuple(err["loc"])), err["msg"]) for err in exc.errors()]


def validate_document(
    data: Any, known_actions: Mapping[str, ActionSignature] | None = None
) -> tuple[AnyPlaybook | None, list[Issue]]:
    playbook, issues = parse_document(data)
    if playbook is None:
        return None, issues
    return playbook, validate_playbook(playbook, known_actions)


def load_playbook(text: str, known_actions: Mapping[str, ActionSignature] | None = None) -> AnyPlaybook:
    """Parse YAML (safe_load only) and validate; raises ValidationFailed carrying every issue."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed("the playbook is not valid YAML", issues=[Issue(where, str(exc))]) from exc
    playbook, issues = validate_document(data, known_actions)
    if playbook is None or issues:
        raise ValidationFailed(f"the playbook has {len(issues)} problem(s)", issues=issues)
    return playbook


def validate_playbook(
    playbook: AnyPlaybook, known_actions: Mapping[str, ActionSignature] | None = None
) -> list[Issue]:
    issues: list[Issue] = []
    located = list(_all_steps(playbook))
    issues += _duplicates(playbook, located)
    issues += _trigger(playbook)
    for path, step in located:
        issues += _step(path, step, known_actions)
        issues += _expressions(path, step)
    for name, value in playbook.outputs.items():
        issues += _templates(f"outputs.{name}", value)
    if isinstance(playbook, SequentialPlaybook):
        issues += sequential_issues(playbook, located)
    elif isinstance(playbook, StateMachinePlaybook):
        issues += state_machine_issues(playbook)
    else:
        issues += rules_issues(playbook)
    return issues


def _all_steps(playbook: AnyPlaybook) -> Iterator[tuple[str, StepBase]]:
    def walk(path: str, steps: Iterable[StepBase]) -> Iterator[tuple[str, StepBase]]:
        for index, step in enumerate(steps):
            yield f"{path}[{index}]", step
            if isinstance(step, ForEachStep):
                yield f"{path}[{index}].do", step.do

    if isinstance(playbook, StateMachinePlaybook):
        for index, state in enumerate(playbook.states):
            yield from walk(f"states[{index}].on_entry", state.on_entry)
            yield from walk(f"states[{index}].on_exit", state.on_exit)
    else:
        yield from walk("steps", playbook.steps)


def _duplicates(playbook: AnyPlaybook, located: list[tuple[str, StepBase]]) -> list[Issue]:
    seen: dict[str, str] = {}
    issues = []
    named: list[tuple[str, str]] = [(f"{path}.id", step.id) for path, step in located]
    if isinstance(playbook, StateMachinePlaybook):
        named += [(f"states[{i}].id", state.id) for i, state in enumerate(playbook.states)]
    elif isinstance(playbook, RulesPlaybook):
        named += [(f"stages[{i}].id", stage.id) for i, stage in enumerate(playbook.stages)]
    for path, ident in named:
        if ident in seen:
            issues.append(Issue(path, f"duplicate id {ident!r} (first at {seen[ident]})"))
        else:
            seen[ident] = path
    return issues


def _trigger(playbook: AnyPlaybook) -> list[Issue]:
    return trigger_issues(playbook.trigger)


def _check_args(
    path: str, given: Iterable[str], required: frozenset[str], optional: frozenset[str]
) -> list[Issue]:
    names = set(given)
    issues = [Issue(f"{path}.args", f"missing argument {name!r}") for name in sorted(required - names)]
    issues += [
        Issue(f"{path}.args.{name}", "unknown argument") for name in sorted(names - required - optional)
    ]
    return issues


def _step(path: str, step: StepBase, known_actions: Mapping[str, ActionSignature] | None) -> list[Issue]:
    issues = []
    if step.next is not None and step.on_success is not None:
        issues.append(Issue(f"{path}.on_success", "give `next` or `on_success`, not both"))
    if isinstance(step, EndStep) and step.successor is not None:
        issues.append(Issue(f"{path}.next", "an end step ends the run; it has no next step"))
    if isinstance(step, ActionStep) and known_actions is not None:
        signature = known_actions.get(step.action)
        if signature is None:
            issues.append(Issue(f"{path}.action", f"unknown action {step.action!r}"))
        else:
            issues += _check_args(path, step.args, signature.required, signature.optional)
    elif isinstance(step, CaseOperationStep):
        required, optional = CASE_OPERATION_ARGS[step.operation]
        issues += _check_args(path, step.args, required, optional)
    elif isinstance(step, ApprovalStep) and not step.role:
        issues.append(Issue(f"{path}.role", "an approval needs the role allowed to decide it"))
    elif isinstance(step, ParallelStep) and isinstance(step.join, int) and step.join > len(step.branches):
        issues.append(Issue(f"{path}.join", f"join {step.join} exceeds the {len(step.branches)} branches"))
    elif isinstance(step, WaitStep) and (step.duration is None) == (step.until is None):
        issues.append(Issue(path, "a wait gives exactly one of `duration` or `until`"))
    elif isinstance(step, WaitEventStep) and step.on_timeout is not None and step.timeout is None:
        issues.append(Issue(f"{path}.timeout", "`on_timeout` needs a `timeout`"))
    return issues


def _expressions(path: str, step: StepBase) -> list[Issue]:
    issues: list[Issue] = []
    if isinstance(step, ActionStep | CaseOperationStep):
        issues += _templates(f"{path}.args", step.args)
    elif isinstance(step, ConditionStep):
        issues += _expression(f"{path}.when", step.when)
    elif isinstance(step, SwitchStep):
        issues += _expression(f"{path}.value", step.value)
    elif isinstance(step, ForEachStep):
        issues += _expression(f"{path}.items", step.items)
    elif isinstance(step, WhileStep):
        issues += _expression(f"{path}.condition", step.condition)
    elif isinstance(step, SetStep):
        issues += _templates(f"{path}.vars", step.vars)
    elif isinstance(step, SubPlaybookStep):
        issues += _templates(f"{path}.inputs", step.inputs)
    elif isinstance(step, WaitStep) and step.until is not None:
        issues += _templates(f"{path}.until", step.until)
    elif isinstance(step, WaitEventStep):
        issues += _templates(f"{path}.correlate", step.correlate)
    elif isinstance(step, HumanTaskStep):
        issues += _templates(f"{path}.instructions", step.instructions)
        issues += _templates(f"{path}.checklist", step.checklist)
    elif isinstance(step, ApprovalStep):
        issues += _templates(f"{path}.prompt", step.prompt)
    return issues


def _templates(path: str, value: Any) -> list[Issue]:
    if isinstance(value, str):
        try:
            compile_template(value)
        except ExpressionError as exc:
            return [Issue(path, str(exc))]
        return []
    if isinstance(value, dict):
        return [issue for key, item in value.items() for issue in _templates(f"{path}.{key}", item)]
    if isinstance(value, list):
        return [issue for index, item in enumerate(value) for issue in _templates(f"{path}[{index}]", item)]
    return []


def _expression(path: str, source: str) -> list[Issue]:
    try:
        compile_expression(source)
    except ExpressionError as exc:
        return [Issue(path, str(exc))]
    return []
