"""The one Graph every playbook kind compiles to: nodes carrying step specs, edges carrying conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from socflow.playbooks.expressions import Compiled, Compiler, Value
from socflow.playbooks.spec import AnyPlaybook


class NodeType(StrEnum):
    ACTION = "action"
    CONDITION = "condition"
    SWITCH = "switch"
    PARALLEL = "parallel"
    FOR_EACH = "for_each"
    WHILE = "while"
    WAIT = "wait"
    WAIT_EVENT = "wait_event"
    HUMAN_TASK = "human_task"
    APPROVAL = "approval"
    SUB_PLAYBOOK = "sub_playbook"
    SET = "set"
    CASE_OPERATION = "case_operation"
    END = "end"
    STATE = "state"
    STAGE = "stage"


class WorkKind(StrEnum):
    """What a ReadyStep asks the worker to do."""

    ACTION = "action"
    HUMAN_TASK = "human_task"
    APPROVAL = "approval"
    WAIT_TIMER = "wait_timer"
    WAIT_EVENT = "wait_event"
    SUB_PLAYBOOK = "sub_playbook"
    CASE_OPERATION = "case_operation"


# Node types handed to the worker, and the kind of work each one becomes.
WORK_KIND: Final[Mapping[NodeType, WorkKind]] = {
    NodeType.ACTION: WorkKind.ACTION,
    NodeType.HUMAN_TASK: WorkKind.HUMAN_TASK,
    NodeType.APPROVAL: WorkKind.APPROVAL,
    NodeType.WAIT: WorkKind.WAIT_TIMER,
    NodeType.WAIT_EVENT: WorkKind.WAIT_EVENT,
    NodeType.SUB_PLAYBOOK: WorkKind.SUB_PLAYBOOK,
    NodeType.CASE_OPERATION: WorkKind.CASE_OPERATION,
}


class EdgeKind(StrEnum):
    NEXT = "next"
    FAILURE = "failure"
    TRUE = "true"
    FALSE = "false"
    CASE = "case"
    DEFAULT = "default"
    BRANCH = "branch"
    TIMEOUT = "timeout"
    REJECTED = "rejected"
    EVENT = "event"
    TIMER = "timer"
    ENTRY = "entry"
    EXIT = "exit"
    RULE = "rule"
    STAGE = "stage"
    BODY = "body"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str = ""
    guard: Compiled | None = None
    after: float | None = None
    assign: Mapping[str, Value] = field(default_factory=dict)
    id: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        label = f"[{self.label}]" if self.label else ""
        object.__setattr__(self, "id", f"{self.source} -{self.kind.value}{label}-> {self.target}")


@dataclass(frozen=True)
class Rule:
    id: str
    guard: Compiled
    priority: int
    run: tuple[str, ...]
    next: str | None


@dataclass(frozen=True)
class Node:
    """One step, state or stage; `owner`/`phase` place a step in a state's chain, a for-each or while body."""

    id: str
    type: NodeType
    path: str
    spec: Any
    edges: tuple[Edge, ...] = ()
    args: Value | None = None
    expr: Compiled | None = None
    owner: str = ""
    phase: str = ""
    rules: tuple[Rule, ...] = ()
    by_kind: Mapping[EdgeKind, tuple[Edge, ...]] = field(default_factory=dict)

    def edge(self, kind: EdgeKind) -> Edge | None:
        found = self.by_kind.get(kind)
        return found[0] if found else None


@dataclass(frozen=True)
class Graph:
    playbook: AnyPlaybook
    version_id: str
    start: str
    nodes: Mapping[str, Node]
    compiler: Compiler
    outputs: Mapping[str, Value]
    # parallel step id -> the node ids inside each of its branches (to cancel losers of any/N joins)
    branches: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # action step id -> the approval step that authorizes it
    guarded: Mapping[str, str] = field(default_factory=dict)

    @property
    def edges(self) -> list[Edge]:
        return [edge for node in self.nodes.values() for edge in node.edges]
