"""Playbook run schemas: starting a run, a run, its step attempts and its journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from socflow.api.schemas_common import RequestModel


class RunStartIn(RequestModel):
    inputs: dict[str, Any] = Field(default_factory=dict, description="The playbook's declared inputs.")
    trigger: dict[str, Any] = Field(default_factory=dict, description="What started the run (`ctx.trigger`).")


class RunOut(BaseModel):
    id: str
    playbook_id: str
    version_id: str = Field(description="The catalogue version the run follows.")
    status: str
    outcome: str | None
    error: dict[str, Any] | None
    case_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


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


class JournalEntryOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]


class RunDetailOut(RunOut):
    attempts: list[AttemptOut]
    journal: list[JournalEntryOut] = Field(description="The run's history, append-only, in order.")
