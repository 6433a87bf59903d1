"""One compiler per playbook kind, each producing the same Graph; graphs are cached per version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from socflow.playbooks.expressions import Compiler, Value, compiler_for
from socflow.playbooks.graph import Edge, EdgeKind, Graph, Node, NodeType, Rule
from socflow.playbooks.spec import (
    AnyPlaybook,
    ApprovalStep,
    CaseOperationStep,
    ConditionStep,
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
    duration_seconds,
)


def version_id(playbook: AnyPlaybook) -> str:
    """`id@version:digest`: two documents with the same version number but other content differ."""
    body = json.dumps(playbook.model_dump(mode="json", by_alias=True), sort_keys=True)
    return f"{playbook.id}@{playbook.version}:{hashlib.sha256(body.encode()).hexdigest()[:16]}"


class _Builder:
    """Collects nodes and edges, then freezes them into nodes indexed by edge kind."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, list[Edge]] = {}

    def node(self, node_id: str, node_type: NodeType, path: str, spec: Any, **extra: Any) -> None:
        self.nodes[node_id] = {"id": node_id, "type": node_type, "path": path, "spec": spec, **extra}
        self.edges.setdefault(node_id, [])

    def edge(self, source: str, target: str | None, kind: EdgeKind, **extra: Any) -> None:
        if target is not None:
            self.edges.setdefault(source, []).append(Edge(source, target, kind, **extra))

    def freeze(self) -> dict[str, Node]:
        frozen: dict[str, Node] = {}
        for node_id, fields in self.nodes.items():
            edges = tuple(self.edges.get(node_id, ()))
            by_kind: dict[EdgeKind, tuple[Edge, ...]] = {}
            for edge in edges:
                by_kind[edge.kind] = (*by_kind.get(edge.kind, ()), edge)
            frozen[node_id] = Node(edges=edges, by_kind=by_kind, **fields)
        return frozen

    def step(self, step: StepBase, path: str, owner: str = "", phase: str = "") -> None:
        """Add one step node with its compiled arguments and its outgoing edges."""
        c = self.compiler
        args: Value | None = None
        expr = None
        if isinstance(step, CaseOperationStep):
            args = c.value({"operation": step.operation.value, **step.args})
        elif hasattr(step, "args"):
            args = c.value(step.args)
        if isinstance(step, HumanTaskStep):
            fields = {"instructions": step.instructions, "checklist": step.checklist}
            args = c.value({**fields, "assignee": step.assignee, "role": step.role})
        elif isinstance(step, ApprovalStep):
            args = c.value({"prompt": step.prompt})
        elif isinstance(step, SubPlaybookStep):
            args = c.value({"playbook": step.playbook, "inputs": step.inputs})
        elif isinstance(step, SetStep):
            args = c.value(step.vars)
        elif isinstance(step, WaitEventStep):
            args = c.value({"event": step.event, "correlate": step.correlate})
        elif isinstance(step, ConditionStep):
            expr = c.expression(step.when)
        elif isinstance(step, SwitchStep):
            expr = c.expression(step.value)
        elif isinstance(step, ForEachStep):
            expr = c.expression(step.items)
            self.step(step.do, f"{path}.do", owner=step.id, phase="body")
        elif isinstance(step, WhileStep):
            expr = c.expression(step.condition)
        elif isinstance(step, WaitStep) and step.until is not None:
            expr = c.template(step.until)
        self.node(step.id, NodeType(step.type), path, step, args=args, expr=expr, owner=owner, phase=phase)
        self._step_edges(step)

    def _step_edges(self, step: StepBase) -> None:
        sid = step.id
        if isinstance(step, ConditionStep):
            self.edge(sid, step.then, EdgeKind.TRUE)
            self.edge(sid, step.else_, EdgeKind.FALSE)
        elif isinstance(step, SwitchStep):
            for value, target in step.cases.items():
                self.edge(sid, target, EdgeKind.CASE, label=value)
            self.edge(sid, step.default, EdgeKind.DEFAULT)
        elif isinstance(step, ParallelStep):
            for target in step.branches:
                self.edge(sid, target, EdgeKind.BRANCH, label=target)
        elif isinstance(step, WhileStep):
            self.edge(sid, step.do, EdgeKind.BODY)
        elif isinstance(step, WaitEventStep):
            self.edge(sid, step.on_timeout, EdgeKind.TIMEOUT)
        elif isinstance(step, ApprovalStep):
            self.edge(sid, step.on_rejected, EdgeKind.REJECTED)
            self.edge(sid, step.on_expired, EdgeKind.TIMEOUT)
        self.edge(sid, step.successor, EdgeKind.NEXT)
        self.edge(sid, step.on_failure, EdgeKind.FAILURE)

    def chain(self, steps: Iterable[StepBase], path: str, owner: str, phase: str) -> str | None:
        """Steps of a state's on_entry/on_exit run one after the other, in the order listed."""
        listed = list(steps)
        for index, step in enumerate(listed):
            self.step(step, f"{path}[{index}]", owner=owner, phase=phase)
            if step.successor is None and index + 1 < len(listed):
                self.edge(step.id, listed[index + 1].id, EdgeKind.NEXT)
        return listed[0].id if listed else None

    def loop_bodies(self) -> None:
        """Mark the steps of every while body with the loop as owner (the innermost loop wins)."""
        bodies = []
        for node_id, fields in self.nodes.items():
            if fields["type"] is not NodeType.WHILE:
                continue
            seen: set[str] = set()
            stack = [edge.target for edge in self.edges[node_id] if edge.kind is EdgeKind.BODY]
            while stack:
                current = stack.pop()
                if current in seen or current == node_id or current not in self.nodes:
                    continue
                seen.add(current)
                stack.extend(edge.target for edge in self.edges.get(current, ()))
            bodies.append((node_id, seen))
        for node_id, seen in sorted(bodies, key=lambda pair: -len(pair[1])):
            for member in seen:
                self.nodes[member].update(owner=node_id, phase="loop")


def _branches(nodes: dict[str, Node]) -> dict[str, frozenset[str]]:
    """For every parallel step, the ids reachable inside its branches (before the join)."""
    found: dict[str, frozenset[str]] = {}
    for node in nodes.values():
        if node.type is not NodeType.PARALLEL:
            continue
        seen: set[str] = set()
        stack = [edge.target for edge in node.by_kind.get(EdgeKind.BRANCH, ())]
        while stack:
            current = stack.pop()
            if current in seen or current not in nodes:
                continue
            seen.add(current)
            stack.extend(edge.target for edge in nodes[current].edges)
        found[node.id] = frozenset(seen)
    return found


def _sequential(playbook: SequentialPlaybook, builder: _Builder) -> str:
    for index, step in enumerate(playbook.steps):
        builder.step(step, f"steps[{index}]")
    builder.loop_bodies()
    return playbook.start or playbook.steps[0].id


def _state_machine(playbook: StateMachinePlaybook, builder: _Builder) -> str:
    c = builder.compiler
    for index, state in enumerate(playbook.states):
        path = f"states[{index}]"
        builder.node(state.id, NodeType.STATE, path, state)
        builder.edge(
            state.id, builder.chain(state.on_entry, f"{path}.on_entry", state.id, "entry"), EdgeKind.ENTRY
        )
        builder.edge(
            state.id, builder.chain(state.on_exit, f"{path}.on_exit", state.id, "exit"), EdgeKind.EXIT
        )
        for t_index, transition in enumerate(state.transitions):
            guard = c.expression(transition.when) if transition.when else None
            assign = {k: c.value(v) for k, v in transition.set.items()}
            if transition.after is not None:
                after = duration_seconds(transition.after)
                label = f"after {transition.after}#{t_index}"
                builder.edge(
                    state.id,
                    transition.to,
                    EdgeKind.TIMER,
                    label=label,
                    guard=guard,
                    after=after,
                    assign=assign,
                )
            else:
                label = transition.event or ""
                builder.edge(state.id, transition.to, EdgeKind.EVENT, label=label, guard=guard, assign=assign)
    return playbook.initial


def _rules(playbook: RulesPlaybook, builder: _Builder) -> str:
    c = builder.compiler
    for index, step in enumerate(playbook.steps):
        builder.step(step, f"steps[{index}]")
    for index, stage in enumerate(playbook.stages):
        ordered = sorted(enumerate(stage.rules), key=lambda pair: (-pair[1].priority, pair[0]))
        rules = tuple(Rule(r.id, c.expression(r.when), r.priority, tuple(r.run), r.next) for _, r in ordered)
        builder.node(stage.id, NodeType.STAGE, f"stages[{index}]", stage, rules=rules)
        for rule in rules:
            for target in rule.run:
                builder.edge(stage.id, target, EdgeKind.RULE, label=rule.id)
            builder.edge(stage.id, rule.next, EdgeKind.STAGE, label=rule.id)
        builder.edge(stage.id, stage.next, EdgeKind.STAGE, label="(no rule)")
    return playbook.stages[0].id


_COMPILERS: Final[dict[type, Callable[[Any, _Builder], str]]] = {
    SequentialPlaybook: _sequential,
    StateMachinePlaybook: _state_machine,
    RulesPlaybook: _rules,
}
_GRAPHS: dict[str, Graph] = {}


def compile_playbook(playbook: AnyPlaybook) -> Graph:
    """The Graph of a (validated) playbook; compiled once per version and then reused."""
    vid = version_id(playbook)
    cached = _GRAPHS.get(vid)
    if cached is not None:
        return cached
    builder = _Builder(compiler_for(vid))
    start = _COMPILERS[type(playbook)](playbook, builder)
    nodes = builder.freeze()
    outputs = {name: builder.compiler.value(value) for name, value in playbook.outputs.items()}
    guarded = {n.spec.authorizes: n.id for n in nodes.values() if n.type is NodeType.APPROVAL}
    graph = Graph(playbook, vid, start, nodes, builder.compiler, outputs, _branches(nodes), guarded)
    if len(_GRAPHS) > 256:
        _GRAPHS.clear()
    _GRAPHS[vid] = graph
    return graph
