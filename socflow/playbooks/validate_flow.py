"""Flow checks per kind: references, reachability, sequential cycles, states without exits, stage order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final

from socflow.errors import Issue
from socflow.playbooks.expressions import ExpressionError, compile_expression, compile_template
from socflow.playbooks.spec import (
    ActionStep,
    ApprovalStep,
    ConditionStep,
    EndStep,
    ParallelStep,
    RulesPlaybook,
    SequentialPlaybook,
    StateMachinePlaybook,
    StepBase,
    SwitchStep,
    WaitEventStep,
    WhileStep,
)

_BRANCHING: Final = (ConditionStep, SwitchStep, ParallelStep)


def references(step: StepBase) -> Iterator[tuple[str, str]]:
    """Every (field, target step id) a step names."""
    for name in ("next", "on_success", "on_failure"):
        target = getattr(step, name)
        if target is not None:
            yield name, target
    if isinstance(step, ConditionStep):
        if step.then is not None:
            yield "then", step.then
        if step.else_ is not None:
            yield "else", step.else_
    elif isinstance(step, SwitchStep):
        yield from ((f"cases.{value}", target) for value, target in step.cases.items())
        if step.default is not None:
            yield "default", step.default
    elif isinstance(step, ParallelStep):
        yield from ((f"branches[{i}]", target) for i, target in enumerate(step.branches))
    elif isinstance(step, WhileStep):
        yield "do", step.do
    elif isinstance(step, WaitEventStep) and step.on_timeout is not None:
        yield "on_timeout", step.on_timeout
    elif isinstance(step, ApprovalStep):
        if step.on_rejected is not None:
            yield "on_rejected", step.on_rejected
        if step.on_expired is not None:
            yield "on_expired", step.on_expired


def _check_refs(path: str, step: StepBase, known: set[str], scope: str) -> list[Issue]:
    return [
        Issue(f"{path}.{field}", f"unknown step {target!r} ({scope})")
        for field, target in references(step)
        if target not in known
    ]


def _approvals(steps: Sequence[tuple[str, StepBase]], all_steps: Mapping[str, StepBase]) -> list[Issue]:
    issues = []
    for path, step in steps:
        if isinstance(step, ApprovalStep) and not isinstance(all_steps.get(step.authorizes), ActionStep):
            issues.append(Issue(f"{path}.authorizes", f"{step.authorizes!r} is not an action step"))
    return issues


def sequential_issues(playbook: SequentialPlaybook, located: list[tuple[str, StepBase]]) -> list[Issue]:
    issues: list[Issue] = []
    top = [(f"steps[{i}]", step) for i, step in enumerate(playbook.steps)]
    by_id = {step.id: (path, step) for path, step in top}
    known = set(by_id)
    for path, step in top:
        issues += _check_refs(path, step, known, "not a step of this playbook")
    issues += _approvals(top, {step.id: step for _, step in located})
    start = playbook.start or playbook.steps[0].id
    if start not in known:
        return [*issues, Issue("start", f"unknown step {start!r}")]
    successors = {sid: [t for _, t in references(step) if t in known] for sid, (_, step) in by_id.items()}
    reached: set[str] = set()
    stack = [start]
    while stack:
        current = stack.pop()
        if current not in reached:
            reached.add(current)
            stack.extend(successors[current])
    issues += [
        Issue(path, f"step {sid!r} is unreachable") for sid, (path, _) in by_id.items() if sid not in reached
    ]
    issues += _cycles(successors, by_id)
    issues += _loop_issues(by_id, successors, start)
    return issues


def _loop_issues(
    by_id: Mapping[str, tuple[str, StepBase]], successors: dict[str, list[str]], start: str
) -> list[Issue]:
    """A while body is closed: only its while step enters it, and none of its steps jumps out."""
    issues: list[Issue] = []
    for loop_id, (loop_path, loop) in by_id.items():
        if not isinstance(loop, WhileStep) or loop.do not in by_id:
            continue
        if loop.do == loop_id:
            issues.append(Issue(f"{loop_path}.do", "a while loop's body cannot be the while step itself"))
            continue
        body: set[str] = set()
        stack = [loop.do]
        while stack:
            current = stack.pop()
            if current not in body and current != loop_id:
                body.add(current)
                stack.extend(successors[current])
        if start in body:
            issues.append(
                Issue("start", f"{start!r} is in the body of while {loop_id!r}; start before the loop")
            )
        for sid, (path, step) in by_id.items():
            if sid in body:
                if loop_id in (target for _, target in references(step)):
                    issues.append(
                        Issue(
                            path,
                            f"step {sid!r} names its while {loop_id!r}; a body ends at a step without next",
                        )
                    )
                continue
            for name, target in references(step):
                if target in body and not (sid == loop_id and name == "do"):
                    issues.append(
                        Issue(
                            f"{path}.{name}",
                            f"{target!r} is in the body of while {loop_id!r}: a loop body is entered only by "
                            "its while step and never jumps out of the loop",
                        )
                    )
    return issues


def _cycles(successors: dict[str, list[str]], by_id: Mapping[str, tuple[str, StepBase]]) -> list[Issue]:
    """Depth-first search; an edge back to a step on the current path closes a cycle."""
    issues = []
    colour: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in successors:
        if colour.get(root):
            continue
        path: list[str] = [root]
        iterators = [iter(successors[root])]
        colour[root] = 1
        while iterators:
            target = next(iterators[-1], None)
            if target is None:
                colour[path.pop()] = 2
                iterators.pop()
            elif colour.get(target) == 1:
                loop = [*path[path.index(target) :], target]
                issues.append(
                    Issue(
                        by_id[target][0],
                        f"cycle {' -> '.join(loop)}: a sequential playbook never steps backward",
                    )
                )
            elif not colour.get(target):
                colour[target] = 1
                path.append(target)
                iterators.append(iter(successors[target]))
    return issues


def _expr(path: str, source: str, template: bool = False) -> list[Issue]:
    try:
        (compile_template if template else compile_expression)(source)
    except ExpressionError as exc:
        return [Issue(path, str(exc))]
    return []


def _chain_issues(path: str, steps: list[StepBase], all_steps: dict[str, StepBase]) -> list[Issue]:
    issues = []
    known = {step.id for step in steps}
    for index, step in enumerate(steps):
        where = f"{path}[{index}]"
        if isinstance(step, (*_BRANCHING, EndStep, WhileStep)):
            issues.append(Issue(f"{where}.type", f"{step.type} is not allowed here; use guarded transitions"))
        if step.next is not None or step.on_success is not None:
            issues.append(Issue(f"{where}.next", "steps of on_entry/on_exit run in the order listed"))
        else:
            issues += _check_refs(where, step, known, "not in this list")
    issues += _approvals([(f"{path}[{i}]", s) for i, s in enumerate(steps)], all_steps)
    return issues


def state_machine_issues(playbook: StateMachinePlaybook) -> list[Issue]:
    issues: list[Issue] = []
    states = {state.id: index for index, state in enumerate(playbook.states)}
    all_steps: dict[str, StepBase] = {s.id: s for st in playbook.states for s in (*st.on_entry, *st.on_exit)}
    if playbook.initial not in states:
        issues.append(Issue("initial", f"unknown state {playbook.initial!r}"))
    for index, state in enumerate(playbook.states):
        path = f"states[{index}]"
        issues += _chain_issues(f"{path}.on_entry", list(state.on_entry), all_steps)
        issues += _chain_issues(f"{path}.on_exit", list(state.on_exit), all_steps)
        if not state.final and not state.transitions:
            issues.append(Issue(path, f"state {state.id!r} is not final and has no way out (no transitions)"))
        if state.final and state.transitions:
            issues.append(Issue(f"{path}.transitions", "a final state takes no transitions"))
        for t_index, transition in enumerate(state.transitions):
            where = f"{path}.transitions[{t_index}]"
            if (transition.event is None) == (transition.after is None):
                issues.append(
                    Issue(where, "a transition gives exactly one of `event` or `after` (a timer) (timer)")
                )
            if transition.to not in states:
                issues.append(Issue(f"{where}.to", f"unknown state {transition.to!r}"))
            if transition.when is not None:
                issues += _expr(f"{where}.when", transition.when)
            for name, value in transition.set.items():
                if isinstance(value, str):
                    issues += _expr(f"{where}.set.{name}", value, template=True)
    reached: set[str] = set()
    stack = [playbook.initial]
    while stack:
        current = stack.pop()
        if current in states and current not in reached:
            reached.add(current)
            stack.extend(t.to for t in playbook.states[states[current]].transitions)
    issues += [
        Issue(f"states[{i}]", f"state {sid!r} is unreachable")
        for sid, i in states.items()
        if sid not in reached
    ]
    return issues


def rules_issues(playbook: RulesPlaybook) -> list[Issue]:
    issues: list[Issue] = []
    stages = {stage.id: index for index, stage in enumerate(playbook.stages)}
    pool = {step.id: step for step in playbook.steps}
    used: set[str] = set()
    for index, step in enumerate(playbook.steps):
        where = f"steps[{index}]"
        if isinstance(step, (*_BRANCHING, WhileStep)):
            issues.append(Issue(f"{where}.type", f"{step.type} is not allowed in rules steps; use rules"))
        if step.next is not None or step.on_success is not None:
            issues.append(Issue(f"{where}.next", "rules steps do not name a next step; the stage decides"))
        issues += _check_refs(where, step, set(pool), "not in steps")
        used.update(target for _, target in references(step))
    issues += _approvals([(f"steps[{i}]", s) for i, s in enumerate(playbook.steps)], dict(pool))
    used.update(s.authorizes for s in playbook.steps if isinstance(s, ApprovalStep))
    edges: dict[str, set[str]] = {stage.id: set() for stage in playbook.stages}
    for index, stage in enumerate(playbook.stages):
        path = f"stages[{index}]"
        rule_ids: set[str] = set()
        targets = [(f"{path}.next", stage.next)]
        for r_index, rule in enumerate(stage.rules):
            where = f"{path}.rules[{r_index}]"
            if rule.id in rule_ids:
                issues.append(Issue(f"{where}.id", f"duplicate rule id {rule.id!r}"))
            rule_ids.add(rule.id)
            issues += _expr(f"{where}.when", rule.when)
            for s_index, step_id in enumerate(rule.run):
                if step_id not in pool:
                    issues.append(Issue(f"{where}.run[{s_index}]", f"unknown step {step_id!r}"))
                used.add(step_id)
            targets.append((f"{where}.next", rule.next))
        for where, target in targets:
            if target is None:
                continue
            if target not in stages:
                issues.append(Issue(where, f"unknown stage {target!r}"))
            elif stages[target] <= index:
                issues.append(
                    Issue(where, f"stage {target!r} is not after {stage.id!r}: stages never go backward")
                )
            else:
                edges[stage.id].add(target)
    reached: set[str] = set()
    stack = [playbook.stages[0].id]
    while stack:
        current = stack.pop()
        if current not in reached:
            reached.add(current)
            stack.extend(edges[current])
    issues += [
        Issue(f"stages[{i}]", f"stage {sid!r} is unreachable")
        for sid, i in stages.items()
        if sid not in reached
    ]
    issues += [
        Issue(f"steps[{i}]", f"step {step.id!r} is unreachable: no rule runs it")
        for i, step in enumerate(playbook.steps)
        if step.id not in used
    ]
    return issues
