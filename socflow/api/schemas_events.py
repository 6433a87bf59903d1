"""Event, dead-letter and intake-counter shapes for the HTTP API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from socflow.ingest.dead_letters import raw_text
from socflow.storage.events import shown_message
from socflow.storage.tables_events import DeadLetterRow, EventRow


class EventOut(BaseModel):
    """One event in the same columns whatever device sent it, and the whole ECS document."""

    id: int
    timestamp: datetime
    ingested_at: datetime
    dataset: str | None
    host: str | None
    source_ip: str | None
    destination_ip: str | None
    user: str | None
    action: str | None
    outcome: str | None
    code: str | None
    message: str | None
    origin: str
    document: dict[str, Any]

    @classmethod
    def from_row(cls, row: EventRow) -> EventOut:
        document = json.loads(row.document)
        return cls(
            id=row.id,
            timestamp=row.timestamp,
            ingested_at=row.ingested_at,
            dataset=row.dataset,
            host=row.host_name,
            source_ip=row.source_ip,
            destination_ip=row.destination_ip,
            user=row.user_name,
            action=row.event_action,
            outcome=row.event_outcome,
            code=row.event_code,
            message=shown_message(row, document),
            origin=row.origin,
            document=document,
        )


class DeadLetterOut(BaseModel):
    id: int
    received_at: datetime
    transport: str
    listener: str
    origin: str
    reason: str
    raw_base64: str
    raw_text: str
    raw_size: int

    @classmethod
    def from_row(cls, row: DeadLetterRow) -> DeadLetterOut:
        return cls(
            id=row.id,
            received_at=row.received_at,
            transport=row.transport,
            listener=row.listener,
            origin=row.origin,
            reason=row.reason,
            raw_base64=row.raw_base64,
            raw_text=raw_text(row.raw_base64),
            raw_size=row.raw_size,
        )


class IngestAccepted(BaseModel):
    stored: int


class ListenerStats(BaseModel):
    received: int
    stored: int
    dead_lettered: int
    udp_dropped: int
    parse_failures: int


class IntakeStatsOut(BaseModel):
    listeners: dict[str, ListenerStats]
    queue_depth: int
    ports: dict[str, int]
