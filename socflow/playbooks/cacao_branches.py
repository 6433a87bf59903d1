"""CACAO branch ends: the end step closing an if/while/switch/parallel branch returns to its owner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from socflow.playbooks.cacao_model import WorkflowStep, step_links

BRANCHING: Final = frozenset({"if-condition", "while-condition", "switch-condition", "parallel"})
# Branches of these simply end: a parallel branch so its join fires, a while body to loop again.
_RETURNING: Final = frozenset({"parallel", "while-condition"})
# A parallel branch that ends simply stops (its join then fires); only these fields may become "nothing".
_FLOW_FIELDS: Final = frozenset({"on_completion", "on_success", "on_failure"})


@dataclass
class BranchEnds:
    """Links to rewrite, `(source, cacao field) -> new target or None`, and end steps no longer needed."""

    rewired: dict[tuple[str, str], str | None] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    restore: dict[str, list[list[str]]] = field(default_factory=dict)  # end id -> [[source, field], ...]


def _branch_targets(step: WorkflowStep) -> list[str]:
    return [target for name, target in step_links(step) if name not in _FLOW_FIELDS]


def _continuation(step: WorkflowStep) -> str | None:
    return step.on_completion or step.on_success


def _region(workflow: Mapping[str, WorkflowStep], owner: str) -> set[str]:
    """Steps reachable from the owner's branches without passing through its continuation."""
    step = workflow[owner]
    stop = {owner, _continuation(step)}
    seen: set[str] = set()
    stack = [t for t in _branch_targets(step) if t in workflow]
    while stack:
        current = stack.pop()
        if current in seen or current in stop:
            continue
        seen.add(current)
        stack.extend(t for _, t in step_links(workflow[current]) if t in workflow)
    return seen


def _resolve(workflow: Mapping[str, WorkflowStep], owners: Mapping[str, str], owner: str) -> str | None:
    """Where a branch of `owner` goes on; a continuation that is itself a branch end goes on outward."""
    seen = {owner}
    while workflow[owner].type not in _RETURNING:
        target = _continuation(workflow[owner])
        if target is None or target not in owners or owners[target] in seen:
            return target
        owner = owners[target]
        seen.add(owner)
    return None


def find_branch_ends(workflow: Mapping[str, WorkflowStep], exception: str | None = None) -> BranchEnds:
    """socflow has no "return to the branching step": a branch's last step goes straight on instead.

    An end step belongs to the innermost branching step whose branches reach it; links to it from
    inside that branch are redirected to the branching step's continuation (`on_completion`), or
    end the path for a parallel branch (so that the join fires) or a while body (so that it loops).
    An end step no other link needs is dropped; `restore` lets export put it back exactly.
    """
    regions = {sid: _region(workflow, sid) for sid, step in workflow.items() if step.type in BRANCHING}
    owners: dict[str, str] = {}
    for owner, region in sorted(regions.items(), key=lambda pair: (len(pair[1]), pair[0])):
        for member in region:
            closing = workflow[member].type == "end" and next(step_links(workflow[member]), None) is None
            if closing and member not in owners:  # an end step with links of its own is reported, not moved
                owners[member] = owner
    result = BranchEnds()
    incoming: dict[str, list[tuple[str, str]]] = {}
    for source, step in workflow.items():
        for name, linked in step_links(step):
            incoming.setdefault(linked, []).append((source, name))
    for end, owner in owners.items():
        parallel = workflow[owner].type in _RETURNING
        target = _resolve(workflow, owners, owner)
        if target is None and not parallel:
            continue
        inside = regions[owner] | {owner}
        moved = [
            (source, name)
            for source, name in incoming.get(end, [])
            if source in inside and (not parallel or (source != owner and name in _FLOW_FIELDS))
        ]
        for link in moved:
            result.rewired[link] = target
        if moved:
            result.restore[end] = [[source, name] for source, name in moved]
            if len(moved) == len(incoming.get(end, [])) and end != exception:
                result.dropped.add(end)
    return result
