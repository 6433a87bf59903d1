"""Pure rules for what people and data decide: run inputs, approval decisions, rules-stage matching."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from socflow.errors import Conflict, Forbidden, Issue, ValidationFailed
from socflow.playbooks.expressions import truthy
from socflow.playbooks.graph import EdgeKind, Node
from socflow.playbooks.spec import InputSpec, InputType, RuleMode

_INPUT_TYPES: Final[Mapping[InputType, type | tuple[type, ...]]] = {
    InputType.STRING: str,
    InputType.INTEGER: int,
    InputType.NUMBER: (int, float),
    InputType.BOOLEAN: bool,
    InputType.LIST: list,
    InputType.OBJECT: dict,
}


def check_inputs(specs: Sequence[InputSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults applied, required and typed inputs checked; raises ValidationFailed with every issue."""
    values: dict[str, Any] = {}
    issues: list[Issue] = []
    for index, spec in enumerate(specs):
        if spec.name in given:
            value = given[spec.name]
            if value is not None and not isinstance(value, _INPUT_TYPES[spec.type]):
                issues.append(Issue(f"inputs.{spec.name}", f"expected {spec.type.value}"))
            values[spec.name] = value
        elif spec.required:
            issues.append(Issue(f"inputs.{spec.name}", f"required input (inputs[{index}]) is missing"))
        else:
            values[spec.name] = spec.default
    unknown = sorted(set(given) - {spec.name for spec in specs})
    issues += [Issue(f"inputs.{name}", "unknown input") for name in unknown]
    if issues:
        raise ValidationFailed("the run's inputs are invalid", issues=issues)
    return values


def decide_approval(
    step_id: str, work: dict[str, Any], decision: str, actor: str | None, roles: Sequence[str], at: str
) -> str | None:
    """Record one person's decision in `work`; `rejected`, `approved` (enough approvers) or None (wait)."""
    args = work["args"]
    expires = work.get("expires_at")
    if expires and datetime.fromisoformat(at) >= datetime.fromisoformat(expires):
        # Not yet applied by the worker's timekeeper, but past: it takes no decision any more.
        raise Conflict(f"approval {step_id!r} expired at {expires}; it takes no more decisions")
    if decision not in ("approved", "rejected"):
        raise Conflict(f"approval {step_id!r} takes `approved` or `rejected`, not {decision!r}")
    if actor is None:
        raise Forbidden("an approval decision needs the approver's identity")
    if args["role"] and args["role"] not in roles:
        raise Forbidden(f"deciding {step_id!r} needs the role {args['role']!r}")
    if args["four_eyes"] and actor == args["requested_by"]:
        raise Forbidden("four-eyes: the requester cannot approve their own request")
    decisions = work.setdefault("decisions", [])
    if any(d["actor"] == actor for d in decisions):
        raise Conflict(f"{actor!r} has already decided on {step_id!r}")
    decisions.append({"actor": actor, "decision": decision, "at": at})
    if decision == "rejected":
        return "rejected"
    return "approved" if len(approvers(work)) >= args["approvers"] else None


def approvers(work: dict[str, Any]) -> list[str]:
    return [d["actor"] for d in work.get("decisions", []) if d["decision"] == "approved"]


def binding(step_id: str, work: dict[str, Any]) -> dict[str, Any]:
    """What an approval authorizes: the exact action and resolved arguments, with a digest of both."""
    bound = {"action": work["args"]["action"], "args": work["args"]["args"]}
    digest = hashlib.sha256(json.dumps(bound, sort_keys=True, default=str).encode()).hexdigest()
    return {**bound, "approval": step_id, "approvers": approvers(work), "digest": digest}


@dataclass(frozen=True)
class StageChoice:
    matched: list[str]
    run: list[str]
    next: str | None
    edges: list[str]


def choose(stage: Node, scope: Mapping[str, Any]) -> StageChoice:
    """Evaluate a stage's rule table (by priority): the steps to run in order and the next stage."""
    matched = []
    for rule in stage.rules:
        if truthy(rule.guard, scope):
            matched.append(rule)
            if stage.spec.mode == RuleMode.FIRST_MATCH:
                break
    ids = {rule.id for rule in matched}
    edges = [e.id for e in stage.by_kind.get(EdgeKind.RULE, ()) if e.label in ids]
    chosen = next((rule.id for rule in matched if rule.next is not None), "(no rule)")
    stage_edge = next((e for e in stage.by_kind.get(EdgeKind.STAGE, ()) if e.label == chosen), None)
    if stage_edge is not None:
        edges.append(stage_edge.id)
    run = list(dict.fromkeys(step for rule in matched for step in rule.run))
    target = stage_edge.target if stage_edge is not None else None
    return StageChoice([rule.id for rule in matched], run, target, edges)
