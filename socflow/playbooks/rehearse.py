"""Rehearsal: run YAML test cases through the Conductor with recorded results, never touching a device."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from socflow.errors import Issue, ValidationFailed
from socflow.playbooks.conductor import Conductor
from socflow.playbooks.graph import Graph, WorkKind
from socflow.playbooks.rehearse_case import SimulatedCase, case_mismatches, check_case
from socflow.playbooks.work import Event, ReadyStep, ResultStatus, StepResult

REHEARSAL_START: Final = "2026-01-01T00:00:00+00:00"
_MAX_OPERATIONS: Final = 10_000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recorded(_Model):
    """What one attempt of a step returns in the rehearsal."""

    status: ResultStatus = ResultStatus.SUCCEEDED
    output: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    error_code: str | None = None


class Decision(_Model):
    """A person's answer to an approval or human task (`approved`, `rejected`, `completed`)."""

    decision: str = "completed"
    actor: str = "analyst"
    roles: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class SentEvent(_Model):
    name: str
    data: dict[str, Any] = Field(default_factory=dict)
    actor: str | None = None


class Expect(_Model):
    status: Literal["succeeded", "failed", "waiting", "cancelled"] | None = None
    outcome: str | None = None
    path: list[str] | None = None
    visits: list[str] = Field(default_factory=list, description="steps that must be on the path")
    not_visited: list[str] = Field(default_factory=list)
    outputs: dict[str, Any] | None = None
    vars: dict[str, Any] = Field(default_factory=dict, description="variables that must hold these values")
    steps: dict[str, str] = Field(default_factory=dict, description="step id -> final status")
    case: dict[str, Any] | None = Field(
        None, description="the final case: each key equal; listed tags and observables (type+value) present"
    )


class RehearsalCase(_Model):
    name: str
    trigger: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(default_factory=dict)
    case: dict[str, Any] | None = None
    requested_by: str = "automation"
    results: dict[str, Recorded | list[Recorded]] = Field(
        default_factory=dict,
        description="by step id (or `step[i]` for an item) or by action name; a list is used up in order, "
        "one entry per attempt (retries and loop iterations alike), then its last entry repeats",
    )
    decisions: dict[str, Decision | list[Decision]] = Field(default_factory=dict)
    events: list[SentEvent] = Field(default_factory=list, description="sent in order whenever the run waits")
    expect: Expect = Expect()

    @property
    def starting_case(self) -> dict[str, Any]:
        """The case the run starts on, as the conductor sees it: `case`, else the trigger's `case`."""
        given = self.case if self.case is not None else self.trigger.get("case")
        return given if isinstance(given, dict) else {}

    @model_validator(mode="after")
    def _check_starting_case(self) -> RehearsalCase:
        check_case(self.starting_case)
        return self


class CaseFile(_Model):
    playbook: str | None = None
    cases: list[RehearsalCase] = Field(min_length=1)


@dataclass(frozen=True)
class CaseReport:
    name: str
    passed: bool
    failures: list[str]
    path: list[str]
    status: str
    outcome: str | None
    edges: list[str]


@dataclass(frozen=True)
class RehearsalReport:
    cases: list[CaseReport]
    uncovered: list[str] = field(default_factory=list)
    edge_count: int = 0

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)


def load_cases(text: str) -> CaseFile:
    try:
        return CaseFile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        issues = [Issue("", str(exc))]
        if isinstance(exc, ValidationError):
            issues = [Issue(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
        raise ValidationFailed("the rehearsal test file is invalid", issues=issues) from exc


class _Run:
    """Drives one test case: work first (FIFO), then queued events, then pending timers."""

    def __init__(self, graph: Graph, case: RehearsalCase, roundtrip: bool) -> None:
        self.graph = graph
        self.case = case
        self.roundtrip = roundtrip
        self.conductor = Conductor(graph)
        self.queue: deque[ReadyStep] = deque()
        self.events = deque(case.events)
        self.used_decisions: dict[str, int] = {}
        self.attempts: dict[str, int] = {}  # step id -> attempts handed out so far, over every loop visit
        # Never copied back into the run's `case` context: the worker does not refresh it either.
        self.simulated = SimulatedCase(case.starting_case)

    def _push(self, ready: list[ReadyStep]) -> None:
        self.queue.extend(ready)
        if self.roundtrip:  # durability: every step continues from the JSON of the saved state
            self.conductor = Conductor(self.graph, json.loads(json.dumps(self.conductor.state)))

    def go(self) -> Conductor:
        case = self.case
        start = self.conductor.start(
            case.trigger, case.inputs, run_id=f"rehearsal:{case.name}", now=REHEARSAL_START,
            case=case.case, requested_by=case.requested_by,
        )  # fmt: skip
        self._push(start)
        for _ in range(_MAX_OPERATIONS):
            if self.conductor.status.value in ("succeeded", "failed", "cancelled"):
                break
            if self.queue:
                self._handle(self.queue.popleft())
            elif self.events:
                sent = self.events.popleft()
                self._push(self.conductor.signal(Event(sent.name, sent.data, actor=sent.actor)))
            elif not self._expire_one():
                break
        return self.conductor

    def _live(self, ready: ReadyStep) -> bool:
        work = self.conductor.state["work"].get(ready.step_id)
        return work is not None and work["attempt"] == ready.attempt

    def _handle(self, ready: ReadyStep) -> None:
        if not self._live(ready):
            return
        kind = ready.kind
        recorded = self._recorded(ready)
        if kind in (WorkKind.APPROVAL, WorkKind.HUMAN_TASK) and recorded is None:
            self._decide(ready)
        elif kind in (WorkKind.WAIT_EVENT, WorkKind.WAIT_TIMER) and recorded is None:
            return  # left pending: events may complete it; otherwise it fires or times out later
        elif kind is WorkKind.CASE_OPERATION and recorded is None:  # a recorded result wins: case unchanged
            status, output, error, code = self.simulated.perform(
                ready.name, ready.args, ready.idempotency_key
            )
            self._record(ready, Recorded(status=status, output=output, error=error, error_code=code))
        else:
            self._record(ready, recorded or Recorded())

    def _record(self, ready: ReadyStep, recorded: Recorded) -> None:
        result = StepResult(
            ready.step_id,
            ready.attempt,
            recorded.status,
            recorded.output,
            recorded.error,
            recorded.error_code,
            at=ready.due_at,
        )
        self._push(self.conductor.record(result))

    def _recorded(self, ready: ReadyStep) -> Recorded | None:
        keys = (
            (ready.step_id, ready.node_id, ready.name) if ready.kind is WorkKind.ACTION else (ready.step_id,)
        )
        count = self.attempts[ready.step_id] = self.attempts.get(ready.step_id, 0) + 1
        for key in keys:
            found = self.case.results.get(key)
            if found is not None:
                if isinstance(found, list):
                    return found[min(count, len(found)) - 1]
                return found
        return None

    def _next_decision(self, ready: ReadyStep) -> Decision:
        """A single decision answers every visit; a list is used up in order, then the default applies."""
        given = self.case.decisions.get(ready.node_id)
        if isinstance(given, list):
            used = self.used_decisions.get(ready.node_id, 0)
            self.used_decisions[ready.node_id] = used + 1
            given = given[used] if used < len(given) else None
        if given is not None:
            return given
        if ready.kind is WorkKind.HUMAN_TASK:
            return Decision()
        role = ready.args.get("role")
        count = self.used_decisions.get("(default)", 0)
        self.used_decisions["(default)"] = count + 1
        return Decision(
            decision="approved", actor=f"rehearsal-approver-{count}", roles=[role] if role else []
        )

    def _decide(self, ready: ReadyStep) -> None:
        while self._live(ready):
            decision = self._next_decision(ready)
            roles = tuple(decision.roles)
            event = Event(decision.decision, decision.data, ready.step_id, decision.actor, roles)
            self._push(self.conductor.signal(event))

    def _expire_one(self) -> bool:
        """Nothing else can happen: the earliest timer fires, or a wait for an event times out."""
        pending = [ReadyStep.from_dict(w) for w in self.conductor.state["work"].values()]
        timers = sorted((r for r in pending if r.kind is WorkKind.WAIT_TIMER), key=lambda r: r.due_at or "")
        if timers:
            self._record(timers[0], Recorded())
            return True
        waits = [r for r in pending if r.kind is WorkKind.WAIT_EVENT]
        if waits:
            self._record(waits[0], Recorded(status=ResultStatus.TIMED_OUT))
            return True
        return False


def _check(case: RehearsalCase, conductor: Conductor, final_case: dict[str, Any]) -> list[str]:
    state = conductor.state
    expect = case.expect
    failures = []
    if expect.status is not None and state["status"] != expect.status:
        failures.append(f"status: expected {expect.status}, got {state['status']} ({state['error']})")
    if expect.outcome is not None and state["outcome"] != expect.outcome:
        failures.append(f"outcome: expected {expect.outcome!r}, got {state['outcome']!r}")
    if expect.path is not None and state["path"] != expect.path:
        failures.append(f"path: expected {expect.path}, got {state['path']}")
    failures += [f"{step!r} was not visited" for step in expect.visits if step not in state["path"]]
    failures += [f"{step!r} was visited" for step in expect.not_visited if step in state["path"]]
    if expect.outputs is not None and state["outputs"] != expect.outputs:
        failures.append(f"outputs: expected {expect.outputs}, got {state['outputs']}")
    for name, value in expect.vars.items():
        if state["vars"].get(name) != value:
            failures.append(f"vars.{name}: expected {value!r}, got {state['vars'].get(name)!r}")
    for step_id, status in expect.steps.items():
        got = state["steps"].get(step_id, {}).get("status")
        if got != status:
            failures.append(f"steps.{step_id}: expected {status}, got {got}")
    if expect.case is not None:
        failures += case_mismatches(expect.case, final_case)
    return failures


def rehearse(graph: Graph, cases: list[RehearsalCase], *, roundtrip: bool = True) -> RehearsalReport:
    """Run every case; report pass/fail, the path taken, and the graph edges no case went through."""
    reports = []
    taken: set[str] = set()
    for case in cases:
        run = _Run(graph, case, roundtrip)
        conductor = run.go()
        state = conductor.state
        failures = _check(case, conductor, run.simulated.data)
        taken.update(state["edges"])
        reports.append(
            CaseReport(
                case.name,
                not failures,
                failures,
                state["path"],
                state["status"],
                state["outcome"],
                state["edges"],
            )
        )
    all_edges = [edge.id for edge in graph.edges]
    return RehearsalReport(reports, [e for e in all_edges if e not in taken], len(all_edges))
