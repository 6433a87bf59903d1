"""The walk behind the Conductor: entering nodes, taking results, control steps, states and stages."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from socflow.errors import Conflict
from socflow.playbooks.decisions import approvers, binding, choose, decide_approval
from socflow.playbooks.expressions import ExpressionError, resolve, truthy
from socflow.playbooks.graph import EdgeKind, Graph, Node, NodeType, WorkKind
from socflow.playbooks.issue import build_ready, later
from socflow.playbooks.spec import StateMachinePlaybook
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
_EK_BRANCH: Final = EdgeKind.BRANCH
_EK_CASE: Final = EdgeKind.CASE
_EK_DEFAULT: Final = EdgeKind.DEFAULT
_EK_ENTRY: Final = EdgeKind.ENTRY
_EK_EVENT: Final = EdgeKind.EVENT
_EK_EXIT: Final = EdgeKind.EXIT
_EK_FAILURE: Final = EdgeKind.FAILURE
_EK_FALSE: Final = EdgeKind.FALSE
_EK_NEXT: Final = EdgeKind.NEXT
_EK_REJECTED: Final = EdgeKind.REJECTED
_EK_RULE: Final = EdgeKind.RULE
_EK_STAGE: Final = EdgeKind.STAGE
_EK_TIMEOUT: Final = EdgeKind.TIMEOUT
_EK_TIMER: Final = EdgeKind.TIMER
_EK_TRUE: Final = EdgeKind.TRUE
_NT_ACTION: Final = NodeType.ACTION
_NT_CONDITION: Final = NodeType.CONDITION
_NT_END: Final = NodeType.END
_NT_FOR_EACH: Final = NodeType.FOR_EACH
_NT_PARALLEL: Final = NodeType.PARALLEL
_NT_SET: Final = NodeType.SET
_NT_STAGE: Final = NodeType.STAGE
_NT_STATE: Final = NodeType.STATE
_NT_SWITCH: Final = NodeType.SWITCH
_RS_SUCCEEDED: Final = ResultStatus.SUCCEEDED
_RS_TIMED_OUT: Final = ResultStatus.TIMED_OUT
_RUN_CANCELLED: Final = RunStatus.CANCELLED.value
_RUN_FAILED: Final = RunStatus.FAILED.value
_RUN_PAUSED: Final = RunStatus.PAUSED.value
_RUN_RUNNING: Final = RunStatus.RUNNING.value
_RUN_SUCCEEDED: Final = RunStatus.SUCCEEDED.value
_RUN_WAITING: Final = RunStatus.WAITING.value
_WK_APPROVAL: Final = WorkKind.APPROVAL
_WK_HUMAN_TASK: Final = WorkKind.HUMAN_TASK
_WK_WAIT_EVENT: Final = WorkKind.WAIT_EVENT
_WK_WAIT_TIMER: Final = WorkKind.WAIT_TIMER


class Walker:
    """Moves a run through its Graph; all of its state lives in one JSON-serialisable dict."""

    def __init__(self, graph: Graph, state: dict[str, Any] | None = None) -> None:
        self.graph = graph
        self._s: dict[str, Any] = state if state is not None else {}
        self._out: list[ReadyStep] = []
        self._machine = isinstance(graph.playbook, StateMachinePlaybook)
        self._handlers: dict[NodeType, Callable[[Node, str], None]] = {
            _NT_CONDITION: self._condition,
            _NT_SWITCH: self._switch,
            _NT_PARALLEL: self._parallel,
            _NT_FOR_EACH: self._for_each,
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
        """A path ended; tell whatever started it (a join, a state's chain, a rules stage)."""
        if not frame:
            return
        kind, _, ident = frame.partition(":")
        if kind == "join":
            self._arrive(ident)
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
            self._hand_out(
                dataclasses.replace(ready, attempt=attempt, delay=delay), work["frame"], work["item"]
            )
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
        else:
            raise Conflict(f"step {node.id!r} ({kind}) is not decided by people")

    def _complete_wait(self, work: dict[str, Any], output: dict[str, Any]) -> None:
        if self._s["work"].pop(work["step_id"], None) is None:
            return
        self._succeeded(self.graph.nodes[work["node_id"]], work, output)

    @staticmethod
    def _correlates(work: dict[str, Any], event: Event) -> bool:
        args = work["args"]
        if args["event"] != event.name:
            return False
        return all(event.data.get(key) == value for key, value in args["correlate"].items())

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

    # -- control steps ----------------------------------------------------------------------------

    def _control_failed(self, node: Node, frame: str, exc: ExpressionError) -> None:
        self._step_failed(node, frame, {"message": str(exc), "code": exc.code})

    def _done(self, node: Node, result: Any) -> None:
        self._s["steps"][node.id].update(status="succeeded", result=result)

    def _condition(self, node: Node, frame: str) -> None:
        try:
            verdict = truthy(node.expr, self._scope())  # type: ignore[arg-type]
        except ExpressionError as exc:
            self._control_failed(node, frame, exc)
            return
        self._done(node, verdict)
        self._follow(node, _EK_TRUE if verdict else _EK_FALSE, frame)

    def _switch(self, node: Node, frame: str) -> None:
        try:
            value = str(node.expr(self._scope()))  # type: ignore[misc]
        except ExpressionError as exc:
            self._control_failed(node, frame, exc)
            return
        self._done(node, value)
        for edge in node.by_kind.get(_EK_CASE, ()):
            if edge.label == value:
                self._s["edges"].append(edge.id)
                self._enter(edge.target, frame)
                return
        self._follow(node, _EK_DEFAULT, frame)

    def _set(self, node: Node, frame: str) -> None:
        try:
            values = resolve(node.args, self._scope())  # type: ignore[arg-type]
        except ExpressionError as exc:
            self._control_failed(node, frame, exc)
            return
        self._s["vars"].update(values)
        self._done(node, values)
        self._follow(node, _EK_NEXT, frame)

    def _end(self, node: Node, frame: str) -> None:
        self._done(node, node.spec.outcome)
        self._s["outcome"] = node.spec.outcome
        if node.spec.status == "failed":
            self._fail_run(node.id, {"message": f"ended: {node.spec.outcome}", "code": "ended"}, frame)
            self._s["outcome"] = node.spec.outcome
        else:
            self._complete(node.spec.outcome, _RUN_SUCCEEDED)

    def _parallel(self, node: Node, frame: str) -> None:
        branches = node.by_kind.get(_EK_BRANCH, ())
        join = node.spec.join
        need = len(branches) if join == "all" else 1 if join == "any" else min(int(join), len(branches))
        joins = self._s["joins"]
        joins[node.id] = {"arrived": 0, "need": need, "fired": False, "frame": frame}
        for edge in branches:
            if joins[node.id]["fired"] or self._s["status"] in FINISHED:
                break
            self._s["edges"].append(edge.id)
            self._enter(edge.target, f"join:{node.id}")

    def _arrive(self, parallel_id: str) -> None:
        s = self._s
        join = s["joins"][parallel_id]
        if join["fired"]:
            return
        join["arrived"] += 1
        if join["arrived"] < join["need"]:
            return
        join["fired"] = True
        inside = self.graph.branches.get(parallel_id, frozenset())
        for step_id, work in list(s["work"].items()):
            owner = self.graph.nodes[work["node_id"]].owner
            if work["node_id"] in inside or owner in inside:
                del s["work"][step_id]
                s["steps"][work["node_id"]]["status"] = "cancelled"
        node = self.graph.nodes[parallel_id]
        self._done(node, {"arrived": join["arrived"]})
        self._follow(node, _EK_NEXT, join["frame"])

    def _for_each(self, node: Node, frame: str) -> None:
        try:
            items = node.expr(self._scope())  # type: ignore[misc]
            if not isinstance(items, list | tuple):
                raise ExpressionError(f"for_each items must be a list, got {type(items).__name__}")
        except ExpressionError as exc:
            self._control_failed(node, frame, exc)
            return
        size = len(items)
        loop = {"items": list(items), "next": 0, "running": 0, "done": 0, "results": [None] * size}
        self._s["loops"][node.id] = {**loop, "frame": frame}
        if size == 0:
            self._done(node, [])
            self._after_success(node, frame)
        else:
            self._pump(node)

    def _pump(self, node: Node) -> None:
        loop = self._s["loops"][node.id]
        body = self.graph.nodes[node.spec.do.id]
        while loop["running"] < node.spec.concurrency and loop["next"] < len(loop["items"]):
            index = loop["next"]
            loop["next"] += 1
            loop["running"] += 1
            self._issue(body, "", item=index, owner=node)
            if self._s["steps"][node.id]["status"] != "running":
                return

    def _item_done(self, node: Node, index: int, output: Any, error: dict[str, Any] | None) -> None:
        loop = self._s["loops"][node.id]
        record = self._s["steps"][node.id]
        if record["status"] != "running":
            return
        loop["running"] -= 1
        loop["done"] += 1
        loop["results"][index] = output if error is None else {"error": error}
        if error is not None and not (node.spec.continue_on_error or node.spec.do.continue_on_error):
            prefix = f"{node.spec.do.id}["
            for step_id in [k for k in self._s["work"] if k.startswith(prefix)]:
                del self._s["work"][step_id]
            record["result"] = loop["results"]
            self._step_failed(node, loop["frame"], {**error, "item": index})
        elif loop["done"] == len(loop["items"]):
            self._done(node, loop["results"])
            self._after_success(node, loop["frame"])
        else:
            self._pump(node)

    # -- state machines ---------------------------------------------------------------------------

    def _enter_state(self, node: Node, frame: str) -> None:
        s = self._s
        s["current"] = node.id
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

    # -- rules ------------------------------------------------------------------------------------

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
