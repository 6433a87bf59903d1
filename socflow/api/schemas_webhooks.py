"""Webhook schemas: what a webhook call answers (the run it started, and its outputs once finished)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class WebhookRunOut(BaseModel):
    playbook_id: str
    run_id: str | None = Field(description="The run started; null when the trigger's filter declined.")
    status: str = Field(description="The run's status, or `ignored` when no run was started.")
    outcome: str | None = None
    outputs: dict[str, Any] | None = Field(None, description="The run's outputs, once it succeeded.")
    error: dict[str, Any] | None = None
