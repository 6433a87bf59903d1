"""Starting runs: each run's row, first attempts and first journal entries, many runs per transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from socflow.playbooks.conductor import Conductor
from socflow.playbooks.work import RunStatus
from socflow.worker import run_batch as batch
from socflow.worker.run_batch import LiveRun, Writes
from socflow.worker.run_cache import graph_for
from socflow.worker.run_rows import write_many


@dataclass(frozen=True)
class StartRequest:
    """One run to start: the playbook (its published version), its inputs, the trigger data, a case."""

    playbook_id: str
    inputs: dict[str, Any] = field(default_factory=dict)
    trigger: dict[str, Any] = field(default_factory=dict)
    case_id: str | None = None


def insert_runs(
    session: Session, writes: Writes, actor: str, requests: list[StartRequest]
) -> tuple[list[LiveRun], list[LiveRun]]:
    """Start each request's conductor and insert its run; the attempts and journal go into `writes`.

    Returns the runs, and those whose first moves already changed their status (a playbook that ends
    at once), for the caller's finishing hooks. Versions are looked up once per playbook.
    """
    at = writes.at
    versions: dict[str, str] = {}
    runs: list[LiveRun] = []
    changed: list[LiveRun] = []
    rows: list[dict[str, Any]] = []
    for request in requests:
        version_id = versions.get(request.playbook_id)
        if version_id is None:
            version_id = versions[request.playbook_id] = batch.published_version_id(
                session, request.playbook_id
            )
        run_id = uuid.uuid4().hex
        conductor = Conductor(graph_for(session, version_id))
        conductor.start(request.trigger, request.inputs, run_id=run_id, now=at, requested_by=actor)
        run = LiveRun(
            run_id,
            request.playbook_id,
            version_id,
            RunStatus.RUNNING.value,
            0,
            1,
            conductor.state,
            {},
            conductor,
        )
        started = {"playbook": request.playbook_id, "version": version_id, "inputs": request.inputs}
        writes.entry(run, "run_started", actor, **started)
        if batch.save(writes, run, conductor):
            changed.append(run)
        rows.append(_row(run, request, actor, at))
        runs.append(run)
    writes.runs.clear()  # the inserts carry the states
    write_many(session.connection(), batch.INSERT_RUN, rows)
    return runs, changed


def _row(run: LiveRun, request: StartRequest, actor: str, at: datetime) -> dict[str, Any]:
    return {
        "id": run.id,
        "playbook_id": run.playbook_id,
        "version_id": run.version_id,
        "status": run.status,
        "state": run.state,
        "trigger": request.trigger,
        "case_id": request.case_id,
        "created_by": actor,
        "created_at": at,
        "updated_at": at,
        "version": run.version,
    }
