"""The sub_playbook step: start a child run, park the step, and let the child's end decide it.

The child's id is derived from the parent attempt's idempotency key and number, so a retried
attempt finds the child it already started. When the child finishes, a hook inside that same
transaction signals the parent step: succeeded with the child's outputs, or failed with
`sub_playbook_failed`. Cancelling a run cancels its unfinished children.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from socflow.cases.uow import now
from socflow.errors import SocflowError
from socflow.playbooks.case_operation_args import INVALID
from socflow.playbooks.conductor import Conductor
from socflow.playbooks.work import FINISHED, Event, ResultStatus, RunStatus
from socflow.storage import audit
from socflow.storage.tables_runs import RunRow
from socflow.worker.actors import run_actor
from socflow.worker.catalogue import PlaybookCatalogue, graph_of
from socflow.worker.enlist import Enlisted
from socflow.worker.run_store import Journal, Lease, conductor_of, save
from socflow.worker.runs import OBJECT_TYPE, Outcome, RunService

MAX_DEPTH: Final = 5  # runs in one chain: a playbook, its sub-playbook, that one's, ...
FAILED_CODE: Final = "sub_playbook_failed"
CYCLE_CODE: Final = "sub_playbook_cycle"
DEPTH_CODE: Final = "sub_playbook_depth"
_FINISHED_VALUES: Final = frozenset(status.value for status in FINISHED)


def child_run_id(idempotency_key: str, attempt: int) -> str:
    """The id of the child run one attempt of a sub_playbook step starts (the same on every retry)."""
    return hashlib.sha256(f"sub_playbook|{idempotency_key}|{attempt}".encode()).hexdigest()[:32]


def chain_of(session: Session, run: RunRow) -> list[str]:
    """The playbook ids from `run` up through its parents (the run's own playbook first)."""
    chain = [run.playbook_id]
    parent_id = run.parent_run_id
    while parent_id is not None and len(chain) <= MAX_DEPTH:
        parent = session.get(RunRow, parent_id)
        if parent is None:
            break
        chain.append(parent.playbook_id)
        parent_id = parent.parent_run_id
    return chain


def audit_run(session: Session, actor: str, run_id: str, action: str, after: dict[str, Any]) -> None:
    """One `run` entry in the audit journal, inside the caller's transaction."""
    entry = audit.PendingEntry(actor, OBJECT_TYPE, run_id, action, {}, after, now())
    session.flush()
    audit.append(session, [entry])


class RunLinks:
    """Starts child runs for sub_playbook steps and carries each child's end back to its parent."""

    def __init__(self, service: RunService) -> None:
        self.service = service

    # -- the performer ----------------------------------------------------------------------------

    def __call__(self, lease: Lease) -> Outcome:
        playbook = lease.args.get("playbook")
        inputs = lease.args.get("inputs") or {}
        if not isinstance(playbook, str) or not playbook:
            return ResultStatus.FAILED, {}, "sub_playbook: args.playbook must be a playbook id", INVALID
        if not isinstance(inputs, dict):
            return ResultStatus.FAILED, {}, "sub_playbook: args.inputs must be an object", INVALID
        try:
            return self._start_child(lease, playbook, inputs)
        except SocflowError as exc:
            return ResultStatus.FAILED, {}, f"sub_playbook {playbook}: {exc.message}", exc.code

    def _start_child(self, lease: Lease, playbook: str, inputs: dict[str, Any]) -> Outcome:
        child_id = child_run_id(lease.idempotency_key, lease.attempt)
        database = self.service.database
        with database.session() as session:
            parent = session.get(RunRow, lease.run_id, with_for_update=True, populate_existing=True)
            if parent is None:
                return ResultStatus.FAILED, {}, f"run {lease.run_id!r} is gone", "not_found"
            parked = {"run_id": child_id, "playbook": playbook}
            if session.get(RunRow, child_id) is not None:
                return None, parked, None, None  # a retry: the child exists; its end decides the step
            chain = chain_of(session, parent)
            if playbook in chain:
                path = " -> ".join([*reversed(chain), playbook])
                message = f"sub_playbook {playbook}: a playbook may not call itself ({path})"
                return ResultStatus.FAILED, {}, message, CYCLE_CODE
            if len(chain) >= MAX_DEPTH:
                message = f"sub_playbook {playbook}: runs nest at most {MAX_DEPTH} deep"
                return ResultStatus.FAILED, {}, message, DEPTH_CODE
            version = PlaybookCatalogue(Enlisted(session, database)).published_version(playbook)
            at = self.service.clock()
            actor = run_actor(parent.playbook_id, parent.id)
            context = parent.state.get("ctx", {})
            trigger = {"parent": {"run": parent.id, "step": lease.step_id, "playbook": parent.playbook_id}}
            conductor = Conductor(graph_of(version))
            conductor.start(
                trigger,
                inputs,
                run_id=child_id,
                now=at,
                case=context.get("case"),
                alert=context.get("alert"),
                requested_by=actor,
            )
            child = RunRow(
                id=child_id,
                playbook_id=playbook,
                version_id=version.id,
                status=RunStatus.RUNNING.value,
                state={},
                trigger=trigger,
                case_id=parent.case_id,
                parent_run_id=parent.id,
                parent_step_id=lease.step_id,
                created_by=actor,
                created_at=at,
                updated_at=at,
            )
            session.add(child)
            session.flush()
            journal = Journal(session, child_id, at, actor)
            journal.add("run_started", playbook=playbook, version=version.id, inputs=inputs, parent=parent.id)
            started = {"playbook": playbook, "version": version.id, "parent_run": parent.id}
            audit_run(session, actor, child_id, "started", {**started, "parent_step": lease.step_id})
            self._persist(session, child, conductor, journal, at)
            Journal(session, parent.id, at).add("sub_playbook_started", step=lease.step_id, run=child_id)
            return None, parked, None, None

    # -- the hook on every finished run -----------------------------------------------------------

    def on_finished(self, session: Session, run: RunRow) -> None:
        """Record the end in the audit journal, tell the parent, and cancel children left running."""
        actor = run_actor(run.playbook_id, run.id)
        outcome = run.state.get("outcome")
        audit_run(session, actor, run.id, "finished", {"status": run.status, "outcome": outcome})
        if run.status == RunStatus.CANCELLED.value:
            self._cancel_children(session, run)
        if run.parent_run_id is not None and run.parent_step_id is not None:
            self._tell_parent(session, run, actor)

    def _tell_parent(self, session: Session, child: RunRow, actor: str) -> None:
        at = self.service.clock()
        parent = session.get(RunRow, child.parent_run_id, with_for_update=True, populate_existing=True)
        if parent is None:
            return
        stale = parent.status in _FINISHED_VALUES
        conductor = None if stale else conductor_of(session, parent)
        work = None if conductor is None else conductor.state["work"].get(child.parent_step_id)
        if (
            conductor is None
            or work is None
            or child_run_id(work["idempotency_key"], work["attempt"]) != child.id
        ):
            # The parent moved on (cancelled, retried from another step): nothing waits for this child.
            Journal(session, child.id, at).add("parent_not_waiting", parent=child.parent_run_id)
            return
        state = child.state
        data: dict[str, Any] = {"run_id": child.id, "outcome": state.get("outcome")}
        if child.status == RunStatus.SUCCEEDED.value:
            data["outputs"] = state.get("outputs") or {}
        else:
            error = state.get("error") or {}
            data["error"] = error
            data["message"] = f"sub-playbook run {child.id} {child.status}" + (
                f": {error['message']}" if error.get("message") else ""
            )
        event = Event(child.status, data, step_id=child.parent_step_id, actor=actor, at=at.isoformat())
        conductor.signal(event)
        journal = Journal(session, parent.id, at, actor)
        journal.add("sub_playbook_finished", step=child.parent_step_id, run=child.id, status=child.status)
        self._persist(session, parent, conductor, journal, at)

    def _cancel_children(self, session: Session, run: RunRow) -> None:
        query = select(RunRow).where(RunRow.parent_run_id == run.id, RunRow.status.not_in(_FINISHED_VALUES))
        query = query.with_for_update().execution_options(populate_existing=True)
        for child in session.scalars(query).all():
            at = self.service.clock()
            conductor = conductor_of(session, child)
            conductor.cancel("parent cancelled")
            journal = Journal(session, child.id, at, run_actor(run.playbook_id, run.id))
            journal.add("cancelled", reason="parent cancelled", parent=run.id)
            self._persist(session, child, conductor, journal, at)

    def _persist(
        self, session: Session, run: RunRow, conductor: Conductor, journal: Journal, at: datetime
    ) -> None:
        """Save the run as RunService does, calling the finished hooks when this save ends it."""
        before = run.status
        save(session, run, conductor, journal, at)
        if run.status != before and conductor.status in FINISHED:
            for hook in self.service.on_finished:
                hook(session, run)
