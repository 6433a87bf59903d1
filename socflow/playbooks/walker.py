"""The walk behind the Conductor: entering nodes, handing out work, taking results and decisions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from socflow.errors import Conflict
from socflow.playbooks.correlation import matches
from socflow.playbooks.decisions import approvers, binding, decide_approval
from socflow.playbooks.expressions import ExpressionError, resolve
from socflow.playbooks.graph import EdgeKind, Graph, Node, NodeType, WorkKind
from socflow.playbooks.issue import build_ready, wait_times
from socflow.playbooks.spec import StateMachinePlaybook
from socflow.playbooks.walker_flow import ControlSteps
from socflow.playbooks.walker_states import RuleStages, StateMachineSteps
from socflow.playbooks.work import (
    FINISHED,
    TIMEOUT_CODE,
    WAITING_KINDS,
    Event,
    ReadyStep,
    ResultStatus,
    RunStatus,
    StepResult,
    backoff_delay,
)

# Enum members bound once: attribute access on an Enum class is slow on the hot path.
_EK_FAILURE: Final = EdgeKind.FAILURE
_EK_NEXT: Final = EdgeKind.NEXT
_EK_REJECTED: Final = EdgeKind.REJECTED
_EK_TIMEOUT: Final = EdgeKind.TIMEOUT
_NT_ACTION: Final = NodeType.ACTION
_NT_CONDITION: Final = NodeType.CONDITION
_NT_END: Final = NodeType.END
_NT_FOR_EACH: Final = NodeType.FOR_EACH
_NT_PARALLEL: Final = NodeType.PARALLEL
_NT_SET: Final = NodeType.SET
_NT_STAGE: Final = NodeType.STAGE
_NT_STATE: Final = NodeType.STATE
_NT_SWITCH: Final = NodeType.SWITCH
_NT_WHILE: Final = NodeType.WHILE
_RS_TIMED_OUT: Final = ResultStatus.TIMED_OUT
_RUN_FAILED: Final = RunStatus.FAILED.value
_RUN_PAUSED: Final = RunStatus.PAUSED.value
_RUN_RUNNING: Final = RunStatus.RUNNING.value
_RUN_SUCCEEDED: Final = RunStatus.SUCCEEDED.value
_RUN_WAITING: Final = RunStatus.WAITING.value
_WK_APPROVAL: Final = WorkKind.APPROVAL
_WK_HUMAN_TASK: Final = WorkKind.HUMAN_TASK
_WK_WAIT_EVENT: Final = WorkKind.WAIT_EVENT
_WK_WAIT_TIMER: Final = WorkKind.WAIT_TIMER
_REARMED: Final = frozenset({_WK_APPROVAL, _WK_HUMAN_TASK, _WK_WAIT_EVENT})


class Walker(ControlSteps, StateMachineSteps, RuleStages):
    """Moves a run through its Graph; all of its state lives in one JSON-serialisable dict.

    Control steps, parallel joins and loops live in `ControlSteps`; states, transitions and timers
    in `StateMachineSteps`; rules stages in `RuleStages`.
    """

    def __init__(self, graph: Graph, state: dict[str, Any] | None = None) -> None:
        self.graph = graph
        self._s: dict[str, Any] = state if state is not None else {}
        self._out: list[ReadyStep] = []
        self._machine = isinstance(graph.playbook, StateMachinePlaybook)
        self._spinning: dict[str, bool] = {}  # while loops iterating now -> "the body ended again"
        self._handlers: dict[NodeType, Callable[[Node, str], None]] = {
            _NT_CONDITION: self._condition,
            _NT_SWITCH: self._switch,
            _NT_PARALLEL: self._parallel,
            _NT_FOR_EACH: self._for_each,
            _NT_WHILE: self._while,
            _NT_SET: self._set,
            _NT_END: self._end,
            _NT_STATE: self._enter_state,
            _NT_STAGE: self._enter_stage,
        }

    # -- bookkeeping ------------------------------------------------------------------------------

    def _tick(self, at: str | None) -> None:
        s = self._s
        # The run's clock only moves forward, to the latest time a caller reported (offsets compared).
        if at is not None and datetime.fromisoformat(at) > datetime.fromisoformat(s["clock"]):
            s["clock"] = at
        deadline = s["deadline"]
        if deadline and datetime.fromisoformat(s["clock"]) >= datetime.fromisoformat(deadline):
            self._fail_run("", {"message": "max_duration exceeded", "code": TIMEOUT_CODE}, "")

    def _scope(self, **extra: Any) -> dict[str, Any]:
        s = self._s
        ctx = s["ctx"]
        scope = {
            "trigger": ctx["trigger"],
            "inputs": ctx["inputs"],
            "case": ctx["case"],
            "alert": ctx["alert"],
            "vars": s["vars"],
            "steps": s["steps"],
            "run": {"id": s["run_id"], "state": s["current"]},
        }
        if extra:
            scope.update(extra)
        return scope

    def _finish_op(self) -> list[ReadyStep]:
        s = self._s
        if s["status"] in (_RUN_RUNNING, _RUN_WAITING, _RUN_PAUSED) and not s["work"]:
            current = s["current"]
            idle_machine = self._machine and current is not None and not self.graph.nodes[current].spec.final
            if not idle_machine:
                self._complete("completed", _RUN_SUCCEEDED)
            elif s["status"] != _RUN_PAUSED:
                s["status"] = _RUN_WAITING
        elif s["status"] in (_RUN_RUNNING, _RUN_WAITING):
            waiting = all(w["kind"] in WAITING_KINDS for w in s["work"].values())
            s["status"] = _RUN_WAITING if waiting else _RUN_RUNNING
        out, self._out = self._out, []
        return out

    def _drop_work(self) -> None:
        s = self._s
        for work in s["work"].values():
            record = s["steps"].get(work["node_id"])
            if record is not None and record["status"] == "running":
                record["status"] = "cancelled"
        s["work"].clear()
        self._out.clear()

    def _complete(self, outcome: str, status: str) -> None:
        s = self._s
        self._drop_work()
        s["status"] = status
        s["outcome"] = s["outcome"] or outcome
        if status == _RUN_SUCCEEDED and self.graph.outputs:
            try:
                s["outputs"] = {k: resolve(v, self._scope()) for k, v in self.graph.outputs.items()}
            except ExpressionError as exc:
                self._fail_run("", {"message": f"outputs: {exc}", "code": exc.code}, "")

    def _fail_run(self, step_id: str, error: dict[str, Any], frame: str) -> None:
        s = self._s
        self._drop_work()
        s.update(
            status=_RUN_FAILED,
            error={"step": step_id, **error},
            failure={"step": step_id, "frame": frame},
        )
        s["outcome"] = "failed"

    # -- walking ----------------------------------------------------------------------------------

    def _enter(self, node_id: str, frame: str) -> None:
        s = self._s
        if s["status"] in FINISHED:
            return
        node = self.graph.nodes[node_id]
        s["path"].append(node_id)
        if node.type is not _NT_STATE and node.type is not _NT_STAGE:
            previous = s["steps"].get(node_id)
            s["steps"][node_id] = {
                "status": "running",
                "attempt": 0,
                "visit": previous["visit"] + 1 if previous else 1,
                "result": None,
                "error": None,
            }
        handler = self._handlers.get(node.type)
        if handler is not None:
            handler(node, frame)
        else:
            self._issue(node, frame)

    def _follow(self, node: Node, kind: EdgeKind, frame: str) -> None:
        edge = node.edge(kind)
        if edge is None:
            self._end_of_path(frame)
            return
        self._s["edges"].append(edge.id)
        self._enter(edge.target, frame)

    def _end_of_path(self, frame: str) -> None:
        """A path ended; tell whatever started it (a join, a while loop, a state's chain, a rules stage)."""
        if not frame:
            return
        kind, _, ident = frame.partition(":")
        if kind == "join":
            self._arrive(ident)
        elif kind == "while":
            self._loop_again(ident)
        elif kind == "entry":
            self._entered(ident)
        elif kind == "exit":
            self._exited(ident)
        elif kind == "stage":
            self._stage_step_done(ident)

    def _issue(self, node: Node, frame: str, item: int | None = None, owner: Node | None = None) -> None:
        s = self._s
        visit_of = owner.id if owner is not None else node.id
        step_id = node.id if item is None else f"{node.id}[{item}]"
        extra: dict[str, Any] = {}
        if item is not None and owner is not None:
            loop = s["loops"][owner.id]
            extra = {owner.spec.as_: loop["items"][item], "index": item}
        binding = s["approvals"].get(node.id) if node.type is _NT_ACTION else None
        if binding is None and node.id in self.graph.guarded:
            # An action an approval guards never runs without that approval (rejected, or not reached).
            s["steps"][node.id].update(
                status="skipped", error={"message": "not approved", "code": "not_approved"}
            )
            self._follow(node, _EK_NEXT, frame)
            return
        try:
            ready = build_ready(
                self.graph,
                node,
                run_id=s["run_id"],
                step_id=step_id,
                visit=s["steps"][visit_of]["visit"],
                now=s["clock"],
                scope=self._scope(**extra),
                requested_by=s["requested_by"],
                override=s["overrides"].pop(node.id, None),
                binding=binding,
            )
        except ExpressionError as exc:
            error = {"message": str(exc), "code": exc.code}
            if item is not None and owner is not None:
                self._item_done(owner, item, None, error)
            else:
                self._step_failed(node, frame, error)
            return
        self._hand_out(ready, frame, item)

    def _hand_out(self, ready: ReadyStep, frame: str, item: int | None, timer: str | None = None) -> None:
        work = ready.to_dict()
        held = self._s["status"] == _RUN_PAUSED
        work.update(frame=frame, item=item, held=held, timer=timer)
        self._s["work"][ready.step_id] = work
        if not held:
            self._out.append(ready)

    # -- results ----------------------------------------------------------------------------------

    def _succeeded(self, node: Node, work: dict[str, Any], output: dict[str, Any]) -> None:
        if work["timer"] is not None:
            self._fire_timer(node, work)
        elif work["item"] is not None:
            self._item_done(self.graph.nodes[node.owner], work["item"], output, None)
        else:
            record = self._s["steps"][node.id]
            record.update(status="succeeded", attempt=work["attempt"], result=output)
            self._after_success(node, work["frame"])

    def _after_success(self, node: Node, frame: str) -> None:
        if (
            node.phase == "entry"
            and self._s["current"] == node.owner
            and self._try_transition(node.owner, f"steps.{node.id}.succeeded", {})
        ):
            return
        self._follow(node, _EK_NEXT, frame)

    def _failed(self, node: Node, work: dict[str, Any], result: StepResult) -> None:
        timed_out = result.status is _RS_TIMED_OUT
        code = TIMEOUT_CODE if timed_out else result.error_code
        retry = work["retry"]
        retry_on = node.spec.retry_on
        if retry is not None and work["attempt"] <= retry[0] and (not retry_on or code in retry_on):
            ready = ReadyStep.from_dict(work)
            attempt = ready.attempt + 1
            delay = backoff_delay(ready.retry, ready.idempotency_key, attempt)  # type: ignore[arg-type]
            retried = dataclasses.replace(ready, attempt=attempt, delay=delay)
            if ready.kind in _REARMED:
                # A waiting step tried again waits its full time again, counted from now.
                due_at, expires_at = wait_times(node, self._s["clock"])
                retried = dataclasses.replace(retried, due_at=due_at, expires_at=expires_at)
            self._hand_out(retried, work["frame"], work["item"])
            return
        error = {"message": result.error or ("timed out" if timed_out else "failed"), "code": code}
        if work["item"] is not None:
            self._item_done(self.graph.nodes[node.owner], work["item"], None, error)
            return
        record = self._s["steps"][node.id]
        record.update(status="timed_out" if timed_out else "failed", attempt=work["attempt"], error=error)
        if timed_out and node.edge(_EK_TIMEOUT) is not None:
            self._follow(node, _EK_TIMEOUT, work["frame"])
            return
        self._step_failed(node, work["frame"], error)

    def _step_failed(self, node: Node, frame: str, error: dict[str, Any]) -> None:
        record = self._s["steps"][node.id]
        if record["status"] == "running":
            record.update(status="failed", error=error)
        if node.edge(_EK_FAILURE) is not None:
            self._follow(node, _EK_FAILURE, frame)
        elif node.spec.continue_on_error:
            self._follow(node, _EK_NEXT, frame)
        elif node.phase == "entry" and self._try_transition(node.owner, f"steps.{node.id}.failed", {}):
            return
        else:
            self._fail_run(node.id, error, frame)

    def _decide(self, work: dict[str, Any], event: Event) -> None:
        node = self.graph.nodes[work["node_id"]]
        kind = work["kind"]
        if kind == _WK_APPROVAL:
            self._approval(node, work, event)
        elif kind in (_WK_HUMAN_TASK, _WK_WAIT_EVENT, _WK_WAIT_TIMER):  # a timer fire may be signalled too
            self._complete_wait(work, {"actor": event.actor, "decision": event.name, **event.data})
        elif kind == WorkKind.SUB_PLAYBOOK:  # the child run finished: `succeeded`, `failed` or `cancelled`
            if self._s["work"].pop(work["step_id"], None) is None:
                return
            if event.name == _RUN_SUCCEEDED:
                self._succeeded(node, work, dict(event.data))
            else:
                message = str(event.data.get("message") or f"sub-playbook run {event.name}")
                result = StepResult(
                    work["step_id"],
                    work["attempt"],
                    ResultStatus.FAILED,
                    dict(event.data),
                    message,
                    "sub_playbook_failed",
                    event.at,
                )
                self._failed(node, work, result)
        else:
            raise Conflict(f"step {node.id!r} ({kind}) is not decided by people")

    def _complete_wait(self, work: dict[str, Any], output: dict[str, Any]) -> None:
        if self._s["work"].pop(work["step_id"], None) is None:
            return
        self._succeeded(self.graph.nodes[work["node_id"]], work, output)

    @staticmethod
    def _correlates(work: dict[str, Any], event: Event) -> bool:
        args = work["args"]
        return matches(args["event"], args["correlate"], event.name, event.data)

    def _approval(self, node: Node, work: dict[str, Any], event: Event) -> None:
        s = self._s
        verdict = decide_approval(node.id, work, event.name, event.actor, event.roles, s["clock"])
        if verdict is None:
            return
        del s["work"][node.id]
        record = s["steps"][node.id]
        if verdict == "rejected":
            record.update(status="rejected", result={"decisions": work["decisions"]})
            if node.edge(_EK_REJECTED) is not None:
                self._follow(node, _EK_REJECTED, work["frame"])
            else:
                error = {"message": f"rejected by {event.actor}", "code": "rejected"}
                self._step_failed(node, work["frame"], error)
        else:
            s["approvals"][work["args"]["step"]] = binding(node.id, work)
            record.update(
                status="succeeded", attempt=work["attempt"], result={"approved_by": approvers(work)}
            )
            self._after_success(node, work["frame"])
