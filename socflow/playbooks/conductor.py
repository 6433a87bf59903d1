"""The one pure Conductor: walks a Graph, hands work to the worker, keeps its state as a plain dict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socflow.errors import Conflict, InvalidTransition, NotFound
from socflow.playbooks.decisions import check_inputs
from socflow.playbooks.graph import WORK_KIND, EdgeKind, Graph, Node, WorkKind
from socflow.playbooks.issue import later, seconds
from socflow.playbooks.walker import Walker
from socflow.playbooks.work import (
    EXPIRED_CODE,
    FINISHED,
    RUN_MOVES,
    Event,
    Expiry,
    Lapse,
    ReadyStep,
    ResultStatus,
    RunStatus,
    StepResult,
)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def next_due(work: dict[str, Any]) -> str | None:
    """When a waiting work item next needs `Conductor.expire`: its overdue mark, else its expiry.

    Timers are not in here: a timer is an attempt the worker takes once it is due.
    """
    times = [work.get("expires_at")]
    if work["kind"] == WorkKind.HUMAN_TASK and not work.get("overdue"):
        times.append(work.get("due_at"))
    given = [t for t in times if t]
    return min(given, key=_time) if given else None


class Conductor(Walker):
    """Decides what runs next; never performs I/O and never reads a clock (callers pass times in)."""

    def __init__(self, graph: Graph, state: dict[str, Any] | None = None) -> None:
        if state and state.get("version") != graph.version_id:
            raise Conflict(
                f"run state belongs to playbook version {state.get('version')!r}, not {graph.version_id!r}"
            )
        super().__init__(graph, state)

    # -- public surface ---------------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any]:
        """The whole run as a JSON-serialisable dict; `Conductor(graph, state)` continues from it."""
        return self._s

    @property
    def status(self) -> RunStatus:
        return RunStatus(self._s["status"])

    def start(
        self,
        trigger: dict[str, Any],
        inputs: dict[str, Any],
        *,
        run_id: str,
        now: datetime | str,
        case: dict[str, Any] | None = None,
        alert: dict[str, Any] | None = None,
        requested_by: str | None = None,
    ) -> list[ReadyStep]:
        if self._s:
            raise Conflict(f"run {self._s['run_id']!r} has already started")
        clock = now.isoformat() if isinstance(now, datetime) else now
        limit = self.graph.playbook.limits.max_duration
        self._s.update(
            run_id=run_id,
            playbook=self.graph.playbook.id,
            version=self.graph.version_id,
            status=RunStatus.RUNNING.value,
            clock=clock,
            started_at=clock,
            deadline=later(clock, seconds(limit)) if limit else None,
            requested_by=requested_by,
            ctx={
                "trigger": trigger,
                "inputs": check_inputs(self.graph.playbook.inputs, inputs),
                "case": case if case is not None else trigger.get("case", {}),
                "alert": alert if alert is not None else trigger.get("alert", {}),
            },
            vars={},
            steps={},
            work={},
            joins={},
            loops={},
            approvals={},
            current=None,
            stage=None,
            matched={},
            exit_to=None,
            path=[],
            edges=[],
            outcome=None,
            outputs={},
            error=None,
            failure=None,
            overrides={},
        )
        self._enter(self.graph.start, "")
        return self._finish_op()

    @property
    def deadline(self) -> str | None:
        """When the run fails for exceeding its playbook's `limits.max_duration` (None: no limit)."""
        deadline: str | None = self._s.get("deadline")
        return deadline

    def tick(self, at: str) -> list[ReadyStep]:
        """Move the run's clock to `at`; past the run's deadline the run fails (code `timeout`)."""
        if self._s["status"] in FINISHED:
            return []
        self._tick(at)
        return self._finish_op()

    def expire(self, step_id: str, at: str) -> Expiry | None:
        """Apply the due time of waiting step `step_id` if it has passed by `at`; None if nothing was due.

        A human task past `due` is flagged overdue and keeps waiting; past its `timeout` it times out.
        A wait_event past its `timeout` times out: retry policy, then its `on_timeout` path, else it
        fails. An approval past `expires` (or `timeout`) is expired: its `on_expired` path, else it
        fails. A paused run's due times wait until it is resumed; a stale call changes nothing.
        """
        s = self._s
        if s["status"] in (RunStatus.PAUSED, *FINISHED):
            return None
        work = s["work"].get(step_id)
        due = None if work is None else next_due(work)
        if work is None or due is None or _time(at) < _time(due):
            return None
        self._tick(at)
        if s["status"] in FINISHED:  # the run's own deadline came first
            self._finish_op()
            return None
        lapse = Lapse.OVERDUE
        if work["kind"] == WorkKind.HUMAN_TASK and not work.get("overdue") and work.get("due_at"):
            work.update(overdue=True, overdue_since=work["due_at"])
            if work["item"] is None:
                s["steps"][work["node_id"]]["overdue"] = True
        expires = work.get("expires_at")
        if expires and _time(at) >= _time(expires):
            due = expires
            del s["work"][step_id]
            node = self.graph.nodes[work["node_id"]]
            if work["kind"] == WorkKind.APPROVAL:
                lapse = Lapse.EXPIRED
                self._expired(node, work, expires)
            else:
                lapse = Lapse.TIMED_OUT
                message = f"{work['kind']} {work['name']!r} timed out at {expires}"
                result = StepResult(step_id, work["attempt"], ResultStatus.TIMED_OUT, {}, message, None, at)
                self._failed(node, work, result)
        self._finish_op()
        return Expiry(step_id, work["attempt"], lapse, due)

    def _expired(self, node: Node, work: dict[str, Any], expires: str) -> None:
        error = {"message": f"no decision by {expires}", "code": EXPIRED_CODE}
        record = self._s["steps"][node.id]
        record.update(status="expired", error=error, result={"decisions": work.get("decisions", [])})
        if node.edge(EdgeKind.TIMEOUT) is not None:
            self._follow(node, EdgeKind.TIMEOUT, work["frame"])
        else:
            self._step_failed(node, work["frame"], error)

    def ready_steps(self) -> list[ReadyStep]:
        """Everything the worker should be doing now (held work of a paused run is left out)."""
        if self._s.get("status") in (RunStatus.PAUSED, *FINISHED):
            return []
        return [ReadyStep.from_dict(w) for w in self._s["work"].values() if not w["held"]]

    def record(self, result: StepResult) -> list[ReadyStep]:
        """Take one attempt's result; stale or duplicate results (old attempt, cancelled step) are ignored."""
        s = self._s
        if s["status"] in FINISHED:
            return []
        work = s["work"].get(result.step_id)
        if work is None or work["attempt"] != result.attempt:
            return []
        if work["kind"] == WorkKind.APPROVAL and result.status is ResultStatus.SUCCEEDED:
            raise Conflict("approvals are decided through signal(), with the approver's identity")
        self._tick(result.at)
        if s["status"] in FINISHED:
            return self._finish_op()
        del s["work"][result.step_id]
        node = self.graph.nodes[work["node_id"]]
        if result.status is ResultStatus.SUCCEEDED:
            self._succeeded(node, work, result.output)
        else:
            self._failed(node, work, result)
        return self._finish_op()

    def signal(self, event: Event) -> list[ReadyStep]:
        """An approval, a human task completion, an external event or an analyst decision."""
        s = self._s
        if s["status"] in FINISHED:
            raise InvalidTransition(f"run is {s['status']}; it takes no more events")
        self._tick(event.at)
        if event.step_id is not None:
            work = s["work"].get(event.step_id)
            if work is None:
                raise Conflict(f"step {event.step_id!r} is not waiting for a decision")
            self._decide(work, event)
            return self._finish_op()
        # An event completes the waits it correlates with; otherwise the current state may take it.
        waits = [
            w for w in s["work"].values() if w["kind"] == WorkKind.WAIT_EVENT and self._correlates(w, event)
        ]
        for work in waits:
            self._complete_wait(work, {"event": event.name, **event.data})
        current = s["current"]
        if not waits and self._machine and current is not None and s["status"] not in FINISHED:
            self._try_transition(current, event.name, event.data)
        return self._finish_op()

    def pause(self) -> None:
        self._move("pause")

    def resume(self) -> list[ReadyStep]:
        self._move("resume")
        for work in self._s["work"].values():
            if work["held"]:
                work["held"] = False
                self._out.append(ReadyStep.from_dict(work))
        return self._finish_op()

    def cancel(self, reason: str = "cancelled") -> None:
        self._move("cancel")
        self._drop_work()
        self._s["outcome"] = reason

    def retry_from(
        self, step_id: str, new_args: dict[str, Any] | None = None, now: str | None = None
    ) -> list[ReadyStep]:
        """Resume a failed run at `step_id`, optionally with new args (a fresh visit: a fresh key).

        A run with `limits.max_duration` gets that much time again, counted from the retry.
        """
        node = self.graph.nodes.get(step_id)
        if node is None or node.type not in WORK_KIND or node.phase == "body":
            raise NotFound(f"no worker step {step_id!r} to retry from")
        self._move("retry")
        self._s["deadline"] = None
        self._tick(now)
        limit = self.graph.playbook.limits.max_duration
        if limit:
            self._s["deadline"] = later(self._s["clock"], seconds(limit))
        failure = self._s["failure"] or {}
        frame = failure.get("frame", "") if failure.get("step") == step_id else ""
        self._s.update(error=None, failure=None, outcome=None)
        if new_args is not None:
            self._s["overrides"][step_id] = new_args
        self._enter(step_id, frame)
        return self._finish_op()

    def _move(self, move: str) -> None:
        current = self.status
        target = RUN_MOVES[current].get(move)
        if target is None:
            raise InvalidTransition(f"cannot {move} a run that is {current.value}")
        self._s["status"] = target.value
