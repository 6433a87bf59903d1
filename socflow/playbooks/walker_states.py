"""State-machine states, transitions and timers, and rules stages, for the walk behind the Conductor."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Final

from socflow.playbooks.decisions import choose
from socflow.playbooks.expressions import ExpressionError, truthy
from socflow.playbooks.graph import EdgeKind, Node, WorkKind
from socflow.playbooks.issue import later
from socflow.playbooks.work import ReadyStep, RunStatus

if TYPE_CHECKING:
    from socflow.playbooks.graph import Graph

# Enum members bound once: attribute access on an Enum class is slow on the hot path.
_EK_ENTRY: Final = EdgeKind.ENTRY
_EK_EVENT: Final = EdgeKind.EVENT
_EK_EXIT: Final = EdgeKind.EXIT
_EK_TIMER: Final = EdgeKind.TIMER
_RUN_SUCCEEDED: Final = RunStatus.SUCCEEDED.value
_WK_WAIT_TIMER: Final = WorkKind.WAIT_TIMER


class StateMachineSteps:
    """Entering and leaving states: entry/exit chains, event transitions with guards, timers."""

    if TYPE_CHECKING:  # provided by Walker
        graph: Graph
        _s: dict[str, Any]

        def _scope(self, **extra: Any) -> dict[str, Any]: ...

        def _enter(self, node_id: str, frame: str) -> None: ...

        def _follow(self, node: Node, kind: EdgeKind, frame: str) -> None: ...

        def _hand_out(
            self, ready: ReadyStep, frame: str, item: int | None, timer: str | None = None
        ) -> None: ...

        def _complete(self, outcome: str, status: str) -> None: ...

        def _fail_run(self, step_id: str, error: dict[str, Any], frame: str) -> None: ...

    def _enter_state(self, node: Node, frame: str) -> None:
        s = self._s
        s["current"] = node.id
        s["entered_at"] = s["clock"]  # the time of the result or event that led here (run views)
        if not node.spec.final:
            for index, edge in enumerate(node.by_kind.get(_EK_TIMER, ())):
                step_id = f"{node.id}.timer{index}"
                due = later(s["clock"], edge.after or 0.0)
                key = hashlib.sha256(f"{s['run_id']}|{step_id}|{len(s['path'])}".encode()).hexdigest()
                ready = ReadyStep(
                    s["run_id"],
                    step_id,
                    node.id,
                    _WK_WAIT_TIMER,
                    1,
                    "timer",
                    {"due_at": due},
                    key,
                    due_at=due,
                )
                self._hand_out(ready, "", None, timer=edge.label)
        if node.edge(_EK_ENTRY) is not None:
            self._follow(node, _EK_ENTRY, f"entry:{node.id}")
        else:
            self._entered(node.id)

    def _entered(self, state_id: str) -> None:
        if self._s["current"] != state_id:
            return
        node = self.graph.nodes[state_id]
        if node.spec.final:
            self._complete(node.spec.outcome or state_id, _RUN_SUCCEEDED)
        else:
            self._try_transition(state_id, "entered", {})

    def _fire_timer(self, node: Node, work: dict[str, Any]) -> None:
        if self._s["current"] != node.id:
            return
        for edge in node.by_kind.get(_EK_TIMER, ()):
            if edge.label == work["timer"] and (edge.guard is None or truthy(edge.guard, self._scope())):
                self._transition(node, edge)
                return

    def _try_transition(self, state_id: str, name: str, data: dict[str, Any]) -> bool:
        node = self.graph.nodes[state_id]
        event = {"name": name, "data": data}
        for edge in node.by_kind.get(_EK_EVENT, ()):
            if edge.label != name:
                continue
            try:
                allowed = edge.guard is None or truthy(edge.guard, self._scope(event=event))
            except ExpressionError as exc:
                self._fail_run(state_id, {"message": str(exc), "code": exc.code}, "")
                return True
            if allowed:
                self._transition(node, edge, event)
                return True
        return False

    def _transition(self, node: Node, edge: Any, event: dict[str, Any] | None = None) -> None:
        s = self._s
        for work in s["work"].values():
            record = s["steps"].get(work["node_id"])
            if record is not None and record["status"] == "running":
                record["status"] = "cancelled"
        s["work"].clear()
        s["edges"].append(edge.id)
        if edge.assign:
            s["vars"].update({k: v(self._scope(event=event or {})) for k, v in edge.assign.items()})
        s["exit_to"] = edge.target
        if node.edge(_EK_EXIT) is not None:
            self._follow(node, _EK_EXIT, f"exit:{node.id}")
        else:
            self._exited(node.id)

    def _exited(self, state_id: str) -> None:
        target = self._s["exit_to"]
        self._s["exit_to"] = None
        if target is not None:
            self._enter(target, "")


class RuleStages:
    """Rules playbooks: a stage picks its matching rules' steps, runs them in turn, then moves on."""

    if TYPE_CHECKING:  # provided by Walker
        _s: dict[str, Any]

        def _scope(self, **extra: Any) -> dict[str, Any]: ...

        def _enter(self, node_id: str, frame: str) -> None: ...

        def _fail_run(self, step_id: str, error: dict[str, Any], frame: str) -> None: ...

    def _enter_stage(self, node: Node, frame: str) -> None:
        self._s["current"] = node.id
        try:
            choice = choose(node, self._scope())
        except ExpressionError as exc:
            self._fail_run(node.id, {"message": str(exc), "code": exc.code}, frame)
            return
        self._s["edges"].extend(choice.edges)
        self._s["stage"] = {"id": node.id, "queue": choice.run, "next": choice.next}
        self._s["matched"][node.id] = choice.matched
        self._stage_step_done(node.id)

    def _stage_step_done(self, stage_id: str) -> None:
        """The matched steps run one after another, in rule priority order, then the stage moves on."""
        stage = self._s["stage"]
        if stage is None or stage["id"] != stage_id:
            return
        if stage["queue"]:
            self._enter(stage["queue"].pop(0), f"stage:{stage_id}")
        elif stage["next"] is not None:
            self._enter(stage["next"], "")
