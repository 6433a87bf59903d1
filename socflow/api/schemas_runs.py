"""Playbook run schemas: starting a run, a run, its step attempts and its journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from socflow.api.schemas_common import Instant, RequestModel


class RunStartIn(RequestModel):
    inputs: dict[str, Any] = Field(default_factory=dict, description="The playbook's declared inputs.")
    trigger: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra trigger data (`ctx.trigger`); the server sets `kind: manual` and `by`.",
    )
    case_id: str | None = Field(None, description="Run on this case: its data becomes `trigger.case`.")


class RunOut(BaseModel):
    id: str
    playbook_id: str
    version_id: str = Field(description="The catalogue version the run follows.")
    status: str
    outcome: str | None
    error: dict[str, Any] | None
    case_id: str | None
    parent_run_id: str | None = Field(None, description="The run whose sub_playbook step started this one.")
    parent_step_id: str | None = Field(None, description="That sub_playbook step.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    deadline: str | None = Field(None, description="When the run exceeds its playbook's max_duration.")
    stuck_at: datetime | None = Field(None, description="When the run was reported stuck (an alert).")


class AttemptOut(BaseModel):
    step_id: str
    attempt: int
    kind: str
    name: str
    status: str
    idempotency_key: str
    leases: int
    args: dict[str, Any]
    output: dict[str, Any] | None
    error: str | None
    error_code: str | None
    not_before: datetime
    started_at: datetime | None
    finished_at: datetime | None
    due_at: datetime | None = Field(
        None, description="When a waiting step's timeout, expiry or due time falls."
    )
    timeout_seconds: float | None = Field(None, description="The step's timeout.")


class JournalEntryOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]


class StateEventOut(BaseModel):
    name: str = Field(
        description="The event: an external event or analyst decision, `entered`, `steps.<id>.*`."
    )
    guarded: bool = Field(description="Whether the transition has a guard (`when`) that must hold.")
    when: str | None = Field(None, description="The guard expression, if any.")
    to: str = Field(description="The state the transition enters.")


class WaitingOnOut(BaseModel):
    step_id: str = Field(description="The waiting step, or for kind `state` the state the run rests in.")
    kind: str = Field(description="The step's work kind, or `state` for a state machine resting in a state.")
    name: str
    attempt: int | None = Field(None, description="The step's attempt (None for kind `state`).")
    status: str | None
    who: dict[str, Any] | None = Field(None, description="Assignee, role or approvers the step waits on.")
    summary: str = Field(description="One line for people: what or whom the step waits on.")
    since: str | None = Field(None, description="Since when it waits.")
    due_at: str | None = None
    expires_at: str | None = None
    overdue: bool = False
    overdue_since: str | None = None
    held: bool = Field(False, description="Held while the run is paused.")
    events: list[StateEventOut] | None = Field(
        None, description="Kind `state`: the event transitions that can still leave the state."
    )
    deadline: str | None = Field(
        None, description="Kind `state`: when the wait ends at the latest (see `deadline_kind`)."
    )
    deadline_kind: Literal["timer", "max_duration", "stuck_after"] | None = Field(
        None,
        description="Kind `state`: `timer` (a timer transition fires), `max_duration` (the run fails), "
        "`stuck_after` (the run raises its stuck-run alert and goes on waiting).",
    )


class RunDetailOut(RunOut):
    waiting_on: list[WaitingOnOut] = Field(
        default_factory=list, description="What the run waits on, since when."
    )
    attempts: list[AttemptOut]
    journal: list[JournalEntryOut] = Field(description="The run's history, append-only, in order.")


class CancelIn(RequestModel):
    reason: str = Field("cancelled", min_length=1, max_length=500, description="Kept as the run's outcome.")


class RetryIn(RequestModel):
    step: str = Field(min_length=1, max_length=80, description="The failed step to resume from.")
    args: dict[str, Any] | None = Field(
        None, description="Edited arguments for that step (a new idempotency key); omit to reuse them."
    )


class DecisionIn(RequestModel):
    decision: str = Field(
        min_length=1,
        max_length=100,
        description="`approved` or `rejected` for an approval; any outcome (e.g. `done`) for a human task.",
    )
    data: dict[str, Any] = Field(default_factory=dict, description="Kept in the step's result.")
    roles: list[str] = Field(
        default_factory=list,
        description="The roles the decider acts in (an approval checks its `role` among them).",
    )


class EventIn(RequestModel):
    name: str = Field(
        min_length=1, max_length=100, description="The event a `wait_event` step or state awaits."
    )
    data: dict[str, Any] = Field(default_factory=dict, description="Correlation keys and payload.")


class DeliveredOut(BaseModel):
    event: str = Field(description="The event delivered.")
    runs: list[str] = Field(description="The runs whose waiting `wait_event` steps it matched, signalled.")


class RedriveIn(RequestModel):
    playbook: str | None = Field(None, description="Only runs of this playbook.")
    since: Instant | None = Field(None, description="Only runs that failed at or after this time.")
    until: Instant | None = Field(None, description="Only runs that failed before this time.")
    error_code: str | None = Field(None, description="Only runs whose error has this code.")
    limit: int = Field(1000, ge=1, le=1000, description="At most this many runs.")
    dry_run: bool = Field(False, description="List the runs that would be re-driven; change nothing.")


class RedrivenOut(BaseModel):
    run_id: str
    playbook_id: str
    step: str | None = Field(description="The failed step the run resumes from.")
    error_code: str | None
    status: str = Field(description="The run's status after the re-drive (`failed` when it was not).")
    problem: str | None = Field(description="Why this run was not re-driven, if it was not.")


class RedriveOut(BaseModel):
    dry_run: bool
    matched: int = Field(description="Failed runs the filter matched.")
    redriven: int = Field(description="Runs now running again (0 on a dry run).")
    items: list[RedrivenOut]
