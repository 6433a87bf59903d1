"""One object that wires the case tracker's services to a database, for the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from socflow.cases.alerts import AlertService
from socflow.cases.case_service import CaseService
from socflow.cases.linking import LinkingService
from socflow.cases.notes import NoteService
from socflow.cases.observables import ObservableService
from socflow.cases.tasks import TaskService
from socflow.config import Settings
from socflow.storage.db import Database


@dataclass(frozen=True)
class Tracker:
    database: Database
    alerts: AlertService
    cases: CaseService
    linking: LinkingService
    tasks: TaskService
    notes: NoteService
    observables: ObservableService

    @classmethod
    def open(cls, database: Database, evidence_dir: Path) -> Tracker:
        return cls(
            database=database,
            alerts=AlertService(database),
            cases=CaseService(database),
            linking=LinkingService(database),
            tasks=TaskService(database),
            notes=NoteService(database, evidence_dir),
            observables=ObservableService(database),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracker:
        """Open the configured database (SQLite file in the data dir by default)."""
        database = Database(settings.resolved_database_url, pool_size=settings.db_pool_size)
        return cls.open(database, settings.evidence_dir)
