"""Control steps of the walk: condition, switch, set and end, parallel joins, for_each and while loops."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from socflow.playbooks.expressions import ExpressionError, resolve, truthy
from socflow.playbooks.graph import EdgeKind, Node
from socflow.playbooks.work import FINISHED, RunStatus

if TYPE_CHECKING:
    from socflow.playbooks.graph import Graph

# Enum members bound once: attribute access on an Enum class is slow on the hot path.
_EK_BODY: Final = EdgeKind.BODY
_EK_BRANCH: Final = EdgeKind.BRANCH
_EK_CASE: Final = EdgeKind.CASE
_EK_DEFAULT: Final = EdgeKind.DEFAULT
_EK_FALSE: Final = EdgeKind.FALSE
_EK_NEXT: Final = EdgeKind.NEXT
_EK_TRUE: Final = EdgeKind.TRUE
_RUN_SUCCEEDED: Final = RunStatus.SUCCEEDED.value
LOOP_LIMIT_CODE: Final = "loop_limit"


class ControlSteps:
    """Steps the walk decides itself (never handed to the worker); a mixin of `Walker`."""

    if TYPE_CHECKING:  # provided by Walker
        graph: Graph
        _s: dict[str, Any]
        _spinning: dict[str, bool]

        def _scope(self, **extra: Any) -> dict[str, Any]: ...

        def _enter(self, node_id: str, frame: str) -> None: ...

        def _follow(self, node: Node, kind: EdgeKind, frame: str) -> None: ...

        def _issue(
            self, node: Node, frame: str, item: int | None = None, owner: Node | None = None
        ) -> None: ...

        def _after_success(self, node: Node, frame: str) -> None: ...

        def _step_failed(self, node: Node, frame: str, error: dict[str, Any]) -> None: ...

        def _complete(self, outcome: str, status: str) -> None: ...

        def _fail_run(self, step_id: str, error: dict[str, Any], frame: str) -> None: ...

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

    # -- parallel joins ---------------------------------------------------------------------------

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

    # -- for_each loops ---------------------------------------------------------------------------

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

    # -- while loops ------------------------------------------------------------------------------

    def _while(self, node: Node, frame: str) -> None:
        self._s["loops"][node.id] = {"iterations": 0, "frame": frame}
        self._spin(node)

    def _loop_again(self, while_id: str) -> None:
        """The end of a body chain: re-check the condition (in the running loop if it is still spinning)."""
        if while_id in self._spinning:
            self._spinning[while_id] = True
            return
        if self._s["steps"][while_id]["status"] != "running":
            return
        self._s["path"].append(while_id)
        self._spin(self.graph.nodes[while_id])

    def _spin(self, node: Node) -> None:
        """Iterate while the condition holds; a body ending without waiting loops here, not by recursion."""
        s = self._s
        loop = s["loops"][node.id]
        record = s["steps"][node.id]
        spinning = self._spinning
        outcome: ExpressionError | bool | None = None
        spinning[node.id] = False
        try:
            while True:
                try:
                    verdict = truthy(node.expr, self._scope())  # type: ignore[arg-type]
                except ExpressionError as exc:
                    outcome = exc
                    break
                if not verdict or loop["iterations"] >= node.spec.max_iterations:
                    outcome = bool(verdict)
                    break
                loop["iterations"] += 1
                record["result"] = {"iterations": loop["iterations"]}
                spinning[node.id] = False
                edge = node.edge(_EK_BODY)
                s["edges"].append(edge.id)  # type: ignore[union-attr]
                self._enter(edge.target, f"while:{node.id}")  # type: ignore[union-attr]
                if not spinning[node.id] or s["status"] in FINISHED or record["status"] != "running":
                    return
                s["path"].append(node.id)
        finally:
            del spinning[node.id]
        if isinstance(outcome, ExpressionError):
            self._control_failed(node, loop["frame"], outcome)
        elif outcome:
            limit = node.spec.max_iterations
            message = f"while {node.id!r} reached max_iterations ({limit}) with its condition still true"
            self._step_failed(node, loop["frame"], {"message": message, "code": LOOP_LIMIT_CODE})
        else:
            self._done(node, {"iterations": loop["iterations"]})
            self._after_success(node, loop["frame"])
