"""Audit and health schemas: journal entries (timelines, histories), chain verification, liveness."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from socflow.api.schemas_common import Timestamp
from socflow.model.audit import ChainReport
from socflow.storage.tables import AuditEntryRow


class AuditEntryOut(BaseModel):
    seq: int
    at: Timestamp
    actor: str
    object_type: str
    object_id: str
    action: str
    before: dict[str, Any] = Field(description="The changed fields before the change.")
    after: dict[str, Any] = Field(description="The changed fields after it (and the reason, if any).")
    hash: str

    @classmethod
    def from_row(cls, row: AuditEntryRow) -> AuditEntryOut:
        return cls(
            seq=row.seq,
            at=datetime.fromisoformat(row.at),
            actor=row.actor,
            object_type=row.object_type,
            object_id=row.object_id,
            action=row.action,
            before=json.loads(row.before),
            after=json.loads(row.after),
            hash=row.hash,
        )


class ChainBreakOut(BaseModel):
    seq: int
    reason: str


class AuditVerifyOut(BaseModel):
    ok: bool
    entries: int = Field(description="Entries checked before the first break (all of them when ok).")
    head_hash: str
    first_break: ChainBreakOut | None

    @classmethod
    def from_report(cls, report: ChainReport) -> AuditVerifyOut:
        broken = report.broken
        return cls(
            ok=report.ok,
            entries=report.entries,
            head_hash=report.head_hash,
            first_break=ChainBreakOut(seq=broken.seq, reason=broken.reason) if broken else None,
        )


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["reachable", "unreachable"]
