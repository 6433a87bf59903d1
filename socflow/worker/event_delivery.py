"""Event delivery: an event (or an alert) completes every waiting `wait_event` step whose correlation matches.

Waiting steps are `waiting` attempts of kind `wait_event` named after their event, with their correlation
keys resolved in `args`. Delivery reads them, keeps those whose keys match the event's data (the same
rule as the conductor's, socflow/playbooks/correlation.py), and signals each of their runs in a
transaction of its own, so every run's journal records the event. Only runs waiting at delivery time
see the event: nothing is buffered for steps reached later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from socflow.errors import Conflict, InvalidTransition, Issue, NotFound, ValidationFailed
from socflow.playbooks.correlation import correlates
from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import Event
from socflow.storage.tables_runs import StepAttemptRow
from socflow.worker.runs import RunService
from socflow.worker.trigger_data import alert_view

log = structlog.get_logger("socflow.events")

WAITING: Final = "waiting"
MAX_NAME: Final = 100
ALERT_EVENT: Final = "alert"  # every alert created or updated; also `alert.created` / `alert.updated`
ALERT_ACTOR: Final = "trigger:alert"
_WAIT_EVENT: Final = WorkKind.WAIT_EVENT.value


def check_event(name: str, data: Any) -> tuple[str, dict[str, Any]]:
    """The event's name (1 to 100 characters) and data (an object), or a clear error."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise ValidationFailed(
            f"an event name must be 1 to {MAX_NAME} characters", issues=[Issue("name", f"1 to {MAX_NAME}")]
        )
    if not isinstance(data, Mapping):
        raise ValidationFailed("event data must be an object", issues=[Issue("data", "an object")])
    return name.strip(), dict(data)


def waiting_names(session: Session, names: Iterable[str]) -> set[str]:
    """Which of `names` some step waits for now (one query on the attempts' status index)."""
    wanted = sorted(set(names))
    if not wanted:
        return set()
    query = (
        select(StepAttemptRow.name)
        .where(
            StepAttemptRow.status == WAITING,
            StepAttemptRow.kind == _WAIT_EVENT,
            StepAttemptRow.name.in_(wanted),
        )
        .distinct()
    )
    return set(session.scalars(query))


def waiting_runs(session: Session, name: str, data: Mapping[str, Any]) -> list[str]:
    """The runs with a waiting step for event `name` whose correlation keys `data` matches, oldest first."""
    query = (
        select(StepAttemptRow.run_id, StepAttemptRow.args)
        .where(
            StepAttemptRow.status == WAITING,
            StepAttemptRow.kind == _WAIT_EVENT,
            StepAttemptRow.name == name,
        )
        .order_by(StepAttemptRow.id)
    )
    runs: dict[str, None] = {}
    for run_id, args in session.execute(query):
        correlate = (args or {}).get("correlate") or {}
        if isinstance(correlate, Mapping) and correlates(correlate, data):
            runs.setdefault(run_id)
    return list(runs)


def deliver(service: RunService, actor: str, name: str, data: Mapping[str, Any]) -> list[str]:
    """Signal event `name` with `data` to every run waiting for it with matching keys; the runs signalled.

    A run that finished or was deleted between the look-up and its signal is skipped, not an error.
    """
    name, payload = check_event(name, data)
    with service.database.session(write=False) as session:
        run_ids = waiting_runs(session, name, payload)
    signalled: list[str] = []
    for run_id in run_ids:
        try:
            service.signal(actor, run_id, Event(name, dict(payload)))
        except (InvalidTransition, NotFound, Conflict) as exc:
            log.info("event not delivered", run_id=run_id, event_name=name, reason=exc.message)
            continue
        signalled.append(run_id)
    if signalled:
        log.info("event delivered", event_name=name, runs=len(signalled))
    return signalled


def alert_events(
    session: Session, changes: Sequence[tuple[str, str, str]]
) -> list[tuple[str, dict[str, Any]]]:
    """The events a batch of journal changes (object type, id, action) brings to waiting runs.

    Each alert created or updated is the event `alert` and `alert.created` or `alert.updated`, with
    the alert as a trigger sees it; only names some step waits for are kept (one query per batch).
    """
    alerts = [(object_id, action) for object_type, object_id, action in changes if object_type == "alert"]
    if not alerts:
        return []
    names = {ALERT_EVENT, f"{ALERT_EVENT}.created", f"{ALERT_EVENT}.updated"}
    waited = waiting_names(session, names)
    if not waited:
        return []
    events: list[tuple[str, dict[str, Any]]] = []
    views: dict[str, dict[str, Any] | None] = {}
    for alert_id, action in alerts:
        if alert_id not in views:
            views[alert_id] = alert_view(session, alert_id)
        view = views[alert_id]
        if view is None:  # deleted since: nothing to correlate with
            continue
        specific = f"{ALERT_EVENT}.{'created' if action == 'created' else 'updated'}"
        events += [(n, view) for n in (ALERT_EVENT, specific) if n in waited]
    return events


def deliver_all(service: RunService, events: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """Deliver a batch's events in order, as `trigger:alert`; how many run signals were made."""
    return sum(len(deliver(service, ALERT_ACTOR, name, data)) for name, data in events)
