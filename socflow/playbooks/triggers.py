"""Trigger rules that need no storage: what each kind accepts, cron slots, and the trigger's own checks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from socflow.errors import Issue
from socflow.playbooks.expressions import ExpressionError, compile_expression
from socflow.playbooks.spec import TriggerKind, TriggerSpec

ALERT_EVENTS: Final = ("created", "updated")
DEFAULT_ALERT_EVENTS: Final = ("created",)
CASE_FIELDS: Final = (
    "status",
    "severity",
    "tier",
    "priority",
    "assignee",
    "resolution",
    "tlp",
    "pap",
    "title",
    "description",
    "tags",
)
DEFAULT_CASE_FIELDS: Final = ("status", "severity", "tier")
# Kinds the audit journal feeds; schedule, manual and webhook runs are started by other doors.
EVENT_KINDS: Final = frozenset(
    {TriggerKind.ALERT, TriggerKind.CASE_CREATED, TriggerKind.CASE_CHANGED, TriggerKind.TASK_COMPLETED}
)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)


def listens_to(trigger: TriggerSpec) -> frozenset[str]:
    """The alert events or case fields this trigger reacts to (empty for other kinds)."""
    if trigger.kind is TriggerKind.ALERT:
        return frozenset(trigger.events or DEFAULT_ALERT_EVENTS)
    if trigger.kind is TriggerKind.CASE_CHANGED:
        return frozenset(trigger.changes or DEFAULT_CASE_FIELDS)
    return frozenset()


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def latest_slot(cron: str, timezone: str, at: datetime) -> datetime:
    """The latest time at or before `at` that the cron expression names (in `timezone`)."""
    start = (at + _ONE_MICROSECOND).astimezone(zone(timezone))
    slot: datetime = next(CronSim(cron, start, reverse=True))
    return slot


def next_slot(cron: str, timezone: str, after: datetime) -> datetime:
    """The first time strictly after `after` that the cron expression names."""
    slot: datetime = next(CronSim(cron, after.astimezone(zone(timezone))))
    return slot


def trigger_issues(trigger: TriggerSpec, path: str = "trigger") -> list[Issue]:
    """Every problem of a trigger: fields that do not fit its kind, a bad cron, zone or filter."""
    issues = _names(trigger.events, TriggerKind.ALERT, ALERT_EVENTS, trigger, f"{path}.events")
    issues += _names(trigger.changes, TriggerKind.CASE_CHANGED, CASE_FIELDS, trigger, f"{path}.changes")
    if trigger.kind is TriggerKind.SCHEDULE:
        issues += _schedule_issues(trigger, path)
    elif trigger.cron is not None:
        issues.append(Issue(f"{path}.cron", "only a schedule trigger takes a cron expression"))
    if trigger.path is not None and trigger.kind is not TriggerKind.WEBHOOK:
        issues.append(Issue(f"{path}.path", "only a webhook trigger takes a path"))
    if trigger.filter is not None:
        try:
            compile_expression(trigger.filter)
        except ExpressionError as exc:
            issues.append(Issue(f"{path}.filter", exc.message))
    return issues


def _schedule_issues(trigger: TriggerSpec, path: str) -> list[Issue]:
    if trigger.cron is None or len(trigger.cron.split()) != 5:
        return [Issue(f"{path}.cron", "a schedule trigger needs a five-field cron expression")]
    try:
        tz = zone(trigger.timezone)
    except ValueError as exc:
        return [Issue(f"{path}.timezone", str(exc))]
    try:
        next(CronSim(trigger.cron, datetime(2000, 1, 1, tzinfo=tz)))
    except (CronSimError, StopIteration) as exc:
        return [Issue(f"{path}.cron", f"not a valid cron expression: {exc or 'it never fires'}")]
    return []


def _names(
    given: list[str] | None, owner: TriggerKind, allowed: tuple[str, ...], trigger: TriggerSpec, path: str
) -> list[Issue]:
    if given is None:
        return []
    if trigger.kind is not owner:
        return [Issue(path, f"only a {owner.value} trigger takes this (this one is {trigger.kind.value})")]
    names = ", ".join(allowed)
    if not given:
        return [Issue(path, f"name at least one of: {names}")]
    return [
        Issue(f"{path}[{i}]", f"{n!r} is not one of: {names}")
        for i, n in enumerate(given)
        if n not in allowed
    ]
