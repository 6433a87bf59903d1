"""Lifecycles as transition tables: cases follow NIST SP 800-61, alerts and tasks their own."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from socflow.errors import InvalidTransition, ValidationFailed
from socflow.errors import Issue as ErrorIssue


class CaseStatus(StrEnum):
    NEW = "new"
    TRIAGE = "triage"
    INVESTIGATING = "investigating"
    CONTAINMENT = "containment"
    ERADICATION = "eradication"
    RECOVERY = "recovery"
    POST_INCIDENT_REVIEW = "post_incident_review"
    CLOSED = "closed"
    REOPENED = "reopened"


class Resolution(StrEnum):
    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    BENIGN = "benign"
    DUPLICATE = "duplicate"


class AlertStatus(StrEnum):
    """OCSF finding status names."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    SUPPRESSED = "suppressed"
    RESOLVED = "resolved"


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


_S = CaseStatus
_NON_INCIDENT: Final = frozenset({Resolution.FALSE_POSITIVE, Resolution.BENIGN, Resolution.DUPLICATE})
_INCIDENT: Final = frozenset({Resolution.TRUE_POSITIVE})

# status -> target status -> the resolutions a move there accepts (empty: the move takes none).
CASE_TRANSITIONS: Final[Mapping[CaseStatus, Mapping[CaseStatus, frozenset[Resolution]]]] = MappingProxyType(
    {
        _S.NEW: {_S.TRIAGE: frozenset(), _S.CLOSED: _NON_INCIDENT},
        _S.TRIAGE: {_S.INVESTIGATING: frozenset(), _S.CLOSED: _NON_INCIDENT},
        _S.INVESTIGATING: {
            _S.CONTAINMENT: frozenset(),  # the incident is confirmed here
            _S.TRIAGE: frozenset(),
            _S.CLOSED: _NON_INCIDENT,
        },
        _S.CONTAINMENT: {_S.ERADICATION: frozenset(), _S.INVESTIGATING: frozenset()},
        _S.ERADICATION: {_S.RECOVERY: frozenset(), _S.CONTAINMENT: frozenset()},
        _S.RECOVERY: {_S.POST_INCIDENT_REVIEW: frozenset(), _S.ERADICATION: frozenset()},
        _S.POST_INCIDENT_REVIEW: {_S.CLOSED: _INCIDENT, _S.RECOVERY: frozenset()},
        _S.CLOSED: {_S.REOPENED: frozenset()},
        _S.REOPENED: {_S.TRIAGE: frozenset(), _S.INVESTIGATING: frozenset(), _S.CLOSED: _NON_INCIDENT},
    }
)

# Entering one of these means the case is a confirmed incident (sets incident_confirmed_at once).
INCIDENT_STATUSES: Final = frozenset({_S.CONTAINMENT, _S.ERADICATION, _S.RECOVERY, _S.POST_INCIDENT_REVIEW})

ALERT_TRANSITIONS: Final[Mapping[AlertStatus, frozenset[AlertStatus]]] = MappingProxyType(
    {
        AlertStatus.NEW: frozenset({AlertStatus.IN_PROGRESS, AlertStatus.SUPPRESSED, AlertStatus.RESOLVED}),
        AlertStatus.IN_PROGRESS: frozenset({AlertStatus.RESOLVED, AlertStatus.SUPPRESSED, AlertStatus.NEW}),
        AlertStatus.SUPPRESSED: frozenset({AlertStatus.NEW, AlertStatus.RESOLVED}),
        AlertStatus.RESOLVED: frozenset({AlertStatus.NEW, AlertStatus.IN_PROGRESS}),
    }
)

TASK_TRANSITIONS: Final[Mapping[TaskStatus, frozenset[TaskStatus]]] = MappingProxyType(
    {
        TaskStatus.OPEN: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED}),
        TaskStatus.IN_PROGRESS: frozenset({TaskStatus.OPEN, TaskStatus.DONE, TaskStatus.CANCELLED}),
        TaskStatus.DONE: frozenset({TaskStatus.IN_PROGRESS}),
        TaskStatus.CANCELLED: frozenset({TaskStatus.OPEN}),
    }
)


def _refuse(kind: str, current: str, target: str, allowed: list[str]) -> InvalidTransition:
    # str() first: the repr of a StrEnum member is "<CaseStatus.NEW: 'new'>", not a status name.
    current, target = str(current), str(target)
    allowed = [str(name) for name in allowed]
    allowed_text = ", ".join(allowed) or "none"
    return InvalidTransition(
        f"cannot move {kind} from {current!r} to {target!r}; allowed from {current!r}: {allowed_text}",
        details={"current": current, "target": target, "allowed": allowed},
    )


def check_case_transition(
    current: CaseStatus, target: CaseStatus, resolution: Resolution | None
) -> Resolution | None:
    """Validate a case move; return the resolution the case carries afterwards (None unless closed)."""
    # Coerce: a plain "closed" compares equal to the member but is not it, and must not skip the rules.
    try:
        current, target = CaseStatus(current), CaseStatus(target)
    except ValueError:
        raise ValidationFailed(
            f"unknown case status {target!r}", issues=[ErrorIssue("status", "not a case status")]
        ) from None
    moves = CASE_TRANSITIONS[current]
    if target not in moves:
        raise _refuse("case", current, target, [str(s) for s in moves])
    accepted = moves[target]
    if target is not CaseStatus.CLOSED:
        if resolution is not None:
            raise ValidationFailed(
                "a resolution is only given when closing a case",
                issues=[ErrorIssue("resolution", f"not accepted when moving to {str(target)!r}")],
            )
        return None
    if resolution is None and accepted == _INCIDENT:
        return Resolution.TRUE_POSITIVE
    if resolution is None or resolution not in accepted:
        names = ", ".join(sorted(accepted))
        raise ValidationFailed(
            f"closing a case from {str(current)!r} needs a resolution, one of: {names}",
            issues=[ErrorIssue("resolution", f"must be one of: {names}")],
        )
    return Resolution(resolution)


def check_alert_transition(current: AlertStatus, target: AlertStatus) -> None:
    if target not in ALERT_TRANSITIONS[current]:
        raise _refuse("alert", current, target, sorted(ALERT_TRANSITIONS[current]))


def check_task_transition(current: TaskStatus, target: TaskStatus) -> None:
    if target not in TASK_TRANSITIONS[current]:
        raise _refuse("task", current, target, sorted(TASK_TRANSITIONS[current]))
