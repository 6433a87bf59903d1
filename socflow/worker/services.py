"""One factory for a fully wired RunService: case operations, sub-playbooks and run links included."""

from __future__ import annotations

from socflow.actions.registry import ActionSpec
from socflow.cases.uow import now
from socflow.playbooks.graph import WorkKind
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.worker.case_operations import CaseOperations
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.runs import DEFAULT_LEASE_SECONDS, Clock, RunService
from socflow.worker.sub_runs import RunLinks


def build_run_service(
    database: Database,
    catalogue: PlaybookCatalogue | None = None,
    registry: Registry[ActionSpec] | None = None,
    *,
    clock: Clock = now,
    owner: str | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> RunService:
    """A RunService that performs every step kind; the API, the CLI and the worker loop all use it."""
    service = RunService(
        database,
        catalogue if catalogue is not None else PlaybookCatalogue(database),
        registry,
        clock=clock,
        owner=owner,
        lease_seconds=lease_seconds,
    )
    links = RunLinks(service)
    service.performers[WorkKind.CASE_OPERATION] = CaseOperations(database)
    service.performers[WorkKind.SUB_PLAYBOOK] = links
    service.on_finished.append(links.on_finished)
    return service
