"""The playbook document as typed, frozen pydantic models: metadata, inputs, trigger and three kinds."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

DURATION_PATTERN: Final = r"^(\d+(ms|s|m|h|d|w))+$"
_DURATION_PART: Final = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_UNIT_SECONDS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

Duration = Annotated[str, Field(pattern=DURATION_PATTERN, examples=["30s", "5m", "1h30m", "2d"])]
StepId = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$", max_length=80)]
ActionName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]


def duration_seconds(text: str) -> float:
    """`1h30m` -> 5400.0; the pattern has already been checked by the model."""
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Kind(StrEnum):
    SEQUENTIAL = "sequential"
    STATE_MACHINE = "state_machine"
    RULES = "rules"


class TriggerKind(StrEnum):
    ALERT = "alert"
    CASE_CREATED = "case_created"
    CASE_CHANGED = "case_changed"
    TASK_COMPLETED = "task_completed"
    SCHEDULE = "schedule"
    MANUAL = "manual"
    WEBHOOK = "webhook"


class InputType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"
    OBJECT = "object"


class CaseOperation(StrEnum):
    ADD_TAG = "add_tag"
    SET_SEVERITY = "set_severity"
    TRANSITION = "transition"
    ADD_OBSERVABLE = "add_observable"
    COMMENT = "comment"


class InputSpec(Spec):
    name: StepId
    type: InputType = InputType.STRING
    required: bool = False
    default: Any = None
    description: str = ""


class TriggerSpec(Spec):
    kind: TriggerKind
    filter: str | None = Field(None, description="expression over the trigger data; the run starts if true")
    events: list[str] | None = Field(None, description="alert: `created` and/or `updated` (default: created)")
    changes: list[str] | None = Field(
        None,
        description="case_changed: the case fields whose change counts (default: status, severity, tier)",
    )
    cron: str | None = Field(None, description="five-field cron expression (schedule triggers)")
    timezone: str = Field("UTC", description="IANA time zone the cron expression is read in")
    path: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$", description="webhook: a second URL name besides the id"
    )
    allow_retrigger: bool = Field(
        False, description="changes made by a run of this playbook may start it again for the same case"
    )
    max_runs_per_case_per_hour: int = Field(
        20, ge=1, le=10_000, description="safety net: further triggers for the same case are suppressed"
    )


class LimitsSpec(Spec):
    max_duration: Duration | None = None


class RetrySpec(Spec):
    count: int = Field(0, ge=0, le=20, description="retries after the first attempt")
    backoff_base: Duration = "1s"
    backoff_max: Duration = "5m"


class StepBase(Spec):
    id: StepId
    type: str
    name: str = ""
    description: str = ""
    timeout: Duration | None = None
    retry: RetrySpec | None = None
    retry_on: list[str] = Field(default_factory=list, description="error codes worth a retry (empty: any)")
    on_failure: StepId | None = None
    continue_on_error: bool = False
    next: StepId | None = None
    on_success: StepId | None = Field(None, description="synonym of next")

    @property
    def successor(self) -> str | None:
        return self.on_success or self.next


class ActionStep(StepBase):
    type: Literal["action"]
    action: ActionName
    args: dict[str, Any] = Field(default_factory=dict)


class ConditionStep(StepBase):
    type: Literal["condition"]
    when: str
    then: StepId | None = None
    else_: StepId | None = Field(None, alias="else")


class SwitchStep(StepBase):
    type: Literal["switch"]
    value: str
    cases: dict[str, StepId]
    default: StepId | None = None


class ParallelStep(StepBase):
    type: Literal["parallel"]
    branches: list[StepId] = Field(min_length=1)
    join: Literal["all", "any"] | Annotated[int, Field(ge=1)] = "all"


class SubPlaybookStep(StepBase):
    type: Literal["sub_playbook"]
    playbook: str
    inputs: dict[str, Any] = Field(default_factory=dict)


class CaseOperationStep(StepBase):
    type: Literal["case_operation"]
    operation: CaseOperation
    args: dict[str, Any] = Field(default_factory=dict)


class HumanTaskStep(StepBase):
    type: Literal["human_task"]
    instructions: str
    checklist: list[str] = Field(default_factory=list)
    assignee: str | None = None
    role: str | None = None
    due: Duration | None = None


ForEachBody = Annotated[
    ActionStep | SubPlaybookStep | CaseOperationStep | HumanTaskStep, Field(discriminator="type")
]


class ForEachStep(StepBase):
    type: Literal["for_each"]
    items: str
    as_: StepId = Field("item", alias="as")
    concurrency: int = Field(1, ge=1, le=1000)
    do: ForEachBody


class WhileStep(StepBase):
    type: Literal["while"]
    condition: str = Field(description="expression checked before every iteration; the loop runs while true")
    do: StepId = Field(
        description="first step of the loop body: a chain that ends at a step without `next`, "
        "which returns to this step"
    )
    max_iterations: int = Field(
        100, ge=1, le=10_000, description="bound: reaching it fails the step with code `loop_limit`"
    )


class WaitStep(StepBase):
    type: Literal["wait"]
    duration: Duration | None = None
    until: str | None = Field(None, description="expression giving an ISO 8601 time")


class WaitEventStep(StepBase):
    type: Literal["wait_event"]
    event: str
    correlate: dict[str, str] = Field(default_factory=dict, description="event data key -> expected value")
    on_timeout: StepId | None = None


class ApprovalStep(StepBase):
    type: Literal["approval"]
    role: str | None = None
    prompt: str = ""
    authorizes: StepId = Field(description="the action step whose resolved call this approval binds")
    four_eyes: bool = True
    approvers: Literal[1, 2] = 1
    expires: Duration | None = None
    on_rejected: StepId | None = None
    on_expired: StepId | None = None


class SetStep(StepBase):
    type: Literal["set"]
    vars: dict[str, Any] = Field(min_length=1)


class EndStep(StepBase):
    type: Literal["end"]
    outcome: str = "completed"
    status: Literal["succeeded", "failed"] = "succeeded"


Step = Annotated[
    ActionStep
    | ConditionStep
    | SwitchStep
    | ParallelStep
    | ForEachStep
    | WhileStep
    | WaitStep
    | WaitEventStep
    | HumanTaskStep
    | ApprovalStep
    | SubPlaybookStep
    | SetStep
    | CaseOperationStep
    | EndStep,
    Field(discriminator="type"),
]


class PlaybookBase(Spec):
    id: StepId
    name: str
    description: str = ""
    version: int = Field(1, ge=1)
    owner: str = ""
    tags: list[str] = Field(default_factory=list)
    inputs: list[InputSpec] = Field(default_factory=list)
    trigger: TriggerSpec = TriggerSpec(kind=TriggerKind.MANUAL)
    limits: LimitsSpec = LimitsSpec()
    outputs: dict[str, Any] = Field(default_factory=dict, description="run outputs, evaluated at the end")
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="data kept for other tools, never evaluated (`cacao`: what a CACAO import kept)",
    )


class SequentialPlaybook(PlaybookBase):
    kind: Literal["sequential"]
    start: StepId | None = Field(None, description="first step (default: the first listed)")
    steps: list[Step] = Field(min_length=1)


class Transition(Spec):
    event: str | None = Field(
        None, description="event name: external, `steps.<id>.succeeded|failed`, `entered`"
    )
    after: Duration | None = Field(None, description="timer started on entering the state")
    when: str | None = Field(None, description="guard expression; `event` holds the event")
    to: StepId
    set: dict[str, Any] = Field(default_factory=dict, description="variables to set when taken")


class StateSpec(Spec):
    id: StepId
    description: str = ""
    final: bool = False
    outcome: str | None = None
    on_entry: list[Step] = Field(default_factory=list)
    on_exit: list[Step] = Field(default_factory=list)
    transitions: list[Transition] = Field(default_factory=list)


class StateMachinePlaybook(PlaybookBase):
    kind: Literal["state_machine"]
    initial: StepId
    states: list[StateSpec] = Field(min_length=1)


class RuleMode(StrEnum):
    FIRST_MATCH = "first_match"
    ALL_MATCH = "all_match"


class RuleSpec(Spec):
    id: StepId
    when: str
    priority: int = 0
    run: list[StepId] = Field(default_factory=list)
    next: StepId | None = None


class StageSpec(Spec):
    id: StepId
    description: str = ""
    mode: RuleMode = RuleMode.FIRST_MATCH
    rules: list[RuleSpec] = Field(default_factory=list)
    next: StepId | None = Field(None, description="stage after this one when no matched rule names one")


class RulesPlaybook(PlaybookBase):
    kind: Literal["rules"]
    stages: list[StageSpec] = Field(min_length=1)
    steps: list[Step] = Field(default_factory=list)


Playbook = Annotated[SequentialPlaybook | StateMachinePlaybook | RulesPlaybook, Field(discriminator="kind")]
PLAYBOOK_ADAPTER: Final[TypeAdapter[SequentialPlaybook | StateMachinePlaybook | RulesPlaybook]] = TypeAdapter(
    Playbook
)
AnyPlaybook = SequentialPlaybook | StateMachinePlaybook | RulesPlaybook

# Step types the conductor runs itself; every other type is handed to the worker.
CONTROL_TYPES: Final = frozenset({"condition", "switch", "parallel", "for_each", "while", "set", "end"})
