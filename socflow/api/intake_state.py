"""The intake objects the API shares with the syslog listeners: event store, pipeline, counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from socflow.config import Settings
from socflow.ingest.mapping_files import install_user_mappings
from socflow.ingest.metrics import IntakeStats
from socflow.ingest.pipeline import Enricher, IngestPipeline
from socflow.ingest.service import IntakeService, IntakeThread, Retention, listener_specs
from socflow.ingest.shared_counters import SharedCounters
from socflow.storage.db import Database
from socflow.storage.events import EventStore


@dataclass
class IntakeState:
    """Built once by `create_app`; `listeners` runs when the settings enable a syslog port."""

    store: EventStore
    stats: IntakeStats
    pipeline: IngestPipeline
    max_message_bytes: int
    listeners: IntakeThread | None = field(default=None)
    shared: SharedCounters | None = field(default=None)  # published for, and summed over, all processes

    @classmethod
    def build(cls, settings: Settings, database: Database, enrich: Enricher | None = None) -> IntakeState:
        install_user_mappings(settings)
        store = EventStore(database)
        stats = IntakeStats()
        pipeline = IngestPipeline(store, stats, enrich=enrich, batch_size=settings.intake_batch_size)
        listeners = None
        # The intake thread also runs periodic retention, so it starts when either is configured.
        if listener_specs(settings) or Retention.from_settings(settings).active:
            listeners = IntakeThread(IntakeService.from_settings(settings, store, stats=stats, enrich=enrich))
        shared = SharedCounters(stats, database)
        return cls(store, stats, pipeline, settings.max_message_bytes, listeners, shared)

    def start(self) -> dict[str, int]:
        if self.shared is not None:
            self.shared.start()
        return self.listeners.start() if self.listeners is not None else {}

    @property
    def ports(self) -> dict[str, int]:
        return dict(self.listeners.ports) if self.listeners is not None else {}

    def stop(self) -> None:
        if self.listeners is not None:
            self.listeners.stop()
        if self.shared is not None:
            self.shared.stop()  # after the listeners: what they stored last is published too


def attach_intake(app: FastAPI, state: IntakeState) -> None:
    app.state.socflow_intake = state


async def get_intake(request: Request) -> IntakeState:
    state = request.app.state.socflow_intake
    if not isinstance(state, IntakeState):
        raise RuntimeError("the API was not built by create_app")
    return state


IntakeDep = Annotated[IntakeState, Depends(get_intake)]
