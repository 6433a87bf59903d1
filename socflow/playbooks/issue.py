"""Turning a worker node into a ReadyStep: resolved arguments, name, timeout, retry policy, due time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from socflow.errors import Forbidden
from socflow.playbooks.expressions import ExpressionError, resolve
from socflow.playbooks.graph import WORK_KIND, Graph, Node, NodeType
from socflow.playbooks.spec import ApprovalStep, RetrySpec, duration_seconds
from socflow.playbooks.work import ReadyStep, RetryPolicy, idempotency_key

# Enum members bound once: attribute access on an Enum class is slow on the hot path.
_NT_ACTION: Final = NodeType.ACTION
_NT_APPROVAL: Final = NodeType.APPROVAL
_NT_CASE_OPERATION: Final = NodeType.CASE_OPERATION
_NT_HUMAN_TASK: Final = NodeType.HUMAN_TASK
_NT_SUB_PLAYBOOK: Final = NodeType.SUB_PLAYBOOK
_NT_WAIT: Final = NodeType.WAIT
_NT_WAIT_EVENT: Final = NodeType.WAIT_EVENT

seconds = lru_cache(maxsize=1024)(duration_seconds)


@lru_cache(maxsize=1024)
def retry_policy(spec: RetrySpec | None) -> RetryPolicy | None:
    if spec is None or spec.count == 0:
        return None
    return RetryPolicy(spec.count, seconds(spec.backoff_base), seconds(spec.backoff_max))


def later(now: str, delta: float) -> str:
    return (datetime.fromisoformat(now) + timedelta(seconds=delta)).isoformat()


def _earliest(times: list[str | None]) -> str | None:
    given = [t for t in times if t]
    return min(given, key=datetime.fromisoformat) if given else None


def wait_times(node: Node, now: str) -> tuple[str | None, str | None]:
    """(due_at, expires_at) of people's and outside work issued at `now`.

    A human task is due after `due` (it then shows overdue) and gives up only after `timeout`; an
    approval expires after `expires` or `timeout`, whichever comes first; a wait_event after `timeout`.
    """
    spec = node.spec
    timeout = later(now, seconds(spec.timeout)) if spec.timeout else None
    node_type = node.type
    if node_type is _NT_HUMAN_TASK:
        return (later(now, seconds(spec.due)) if spec.due else None), timeout
    if node_type is _NT_APPROVAL:
        expires = later(now, seconds(spec.expires)) if spec.expires else None
        return expires, _earliest([expires, timeout])
    if node_type is _NT_WAIT_EVENT:
        return None, timeout
    return None, None


def _until(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        return datetime.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise ExpressionError(f"`until` is not an ISO 8601 time: {value!r}") from exc


def build_ready(
    graph: Graph,
    node: Node,
    *,
    run_id: str,
    step_id: str,
    visit: int,
    now: str,
    scope: Mapping[str, Any],
    requested_by: str | None,
    override: dict[str, Any] | None,
    binding: dict[str, Any] | None,
) -> ReadyStep:
    """Resolve everything the worker needs; raises ExpressionError when an argument cannot be resolved."""
    spec = node.spec
    kind = WORK_KIND[node.type]
    args: dict[str, Any] = resolve(node.args, scope) if node.args is not None else {}
    due_at: str | None = None
    expires_at: str | None = None
    name = ""
    node_type = node.type
    if node_type is _NT_ACTION:
        name = spec.action
        if binding is not None:
            if override is not None and override != binding["args"]:
                raise Forbidden(f"step {node.id!r} runs only with the arguments its approval authorized")
            args = binding["args"]
        elif override is not None:
            args = override
    elif node_type is _NT_WAIT:
        name = "timer"
        due_at = later(now, seconds(spec.duration)) if spec.duration else _until(node.expr(scope))  # type: ignore[misc]
        args = {"due_at": due_at}
    elif node_type is _NT_WAIT_EVENT:
        name = spec.event
        due_at, expires_at = wait_times(node, now)
    elif node_type is _NT_HUMAN_TASK:
        name = spec.role or spec.assignee or "analyst"
        due_at, expires_at = wait_times(node, now)
    elif node_type is _NT_APPROVAL:
        args, name = _approval_args(graph, spec, args, scope, requested_by)
        due_at, expires_at = wait_times(node, now)
    elif node_type is _NT_SUB_PLAYBOOK:
        name = spec.playbook
        if override is not None:
            args = {"playbook": spec.playbook, "inputs": override}
    elif node_type is _NT_CASE_OPERATION:
        name = spec.operation.value
    return ReadyStep(
        run_id=run_id,
        step_id=step_id,
        node_id=node.id,
        kind=kind,
        attempt=1,
        name=name,
        args=args,
        idempotency_key=idempotency_key(run_id, step_id, visit, args),
        timeout=seconds(spec.timeout) if spec.timeout else None,
        retry=retry_policy(spec.retry),
        due_at=due_at,
        approval=binding,
        expires_at=expires_at,
    )


def _approval_args(
    graph: Graph, spec: ApprovalStep, args: dict[str, Any], scope: Mapping[str, Any], requested_by: str | None
) -> tuple[dict[str, Any], str]:
    """An approval shows (and later binds) the exact action and its arguments resolved right now."""
    target = graph.nodes[spec.authorizes]
    resolved = resolve(target.args, scope) if target.args is not None else {}
    return {
        "prompt": args.get("prompt", ""),
        "role": spec.role,
        "action": target.spec.action,
        "step": target.id,
        "args": resolved,
        "four_eyes": spec.four_eyes,
        "approvers": spec.approvers,
        "requested_by": requested_by,
    }, target.spec.action
