"""Schedule triggers fire once per cron slot, and once for slots missed while down; trigger checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionSpec
from socflow.cases.tracker import Tracker
from socflow.plugins import Registry
from socflow.worker.catalogue import PlaybookCatalogue, issues_of
from socflow.worker.runs import RunService
from socflow.worker.scheduler import Scheduler

ADMIN = "cli:admin"
T0 = datetime(2026, 12, 3, 10, 2, tzinfo=UTC)


def scheduled(cron: str, timezone: str = "UTC", pid: str = "nightly") -> str:
    return (
        f"id: {pid}\nname: {pid}\nkind: sequential\n"
        f"trigger: {{kind: schedule, cron: '{cron}', timezone: {timezone}}}\n"
        "steps:\n  - id: say\n    type: action\n    action: test.noop\n"
    )


class Setup:
    def __init__(self, tracker: Tracker) -> None:
        self.catalogue = PlaybookCatalogue(tracker.database)
        registry: Registry[ActionSpec] = Registry("action")
        for spec in SPECS:
            registry.register(spec)
        self.runs = RunService(tracker.database, self.catalogue, registry)
        self.scheduler = Scheduler(tracker.database, self.runs)

    def publish(self, text: str) -> None:
        version = self.catalogue.save_draft(ADMIN, text)
        self.catalogue.publish(ADMIN, version.playbook_id, version.number)


@pytest.fixture
def setup(tracker: Tracker) -> Setup:
    return Setup(tracker)


def test_a_schedule_arms_when_first_seen_then_fires_once_per_slot(setup: Setup) -> None:
    setup.publish(scheduled("*/5 * * * *"))

    armed = setup.scheduler.fire_due(T0)  # 10:02: armed, nothing fires for 10:00
    early = setup.scheduler.fire_due(T0 + timedelta(minutes=2))  # 10:04
    due = setup.scheduler.fire_due(T0 + timedelta(minutes=3))  # 10:05
    same_slot = setup.scheduler.fire_due(T0 + timedelta(minutes=4))  # 10:06
    next_slot = setup.scheduler.fire_due(T0 + timedelta(minutes=8))  # 10:10

    assert (armed, early, due, same_slot, next_slot) == (0, 0, 1, 0, 1)
    runs = sorted(setup.runs.list(), key=lambda run: run.trigger["slot"])
    assert [run.trigger["slot"] for run in runs] == ["2026-12-03T10:05:00+00:00", "2026-12-03T10:10:00+00:00"]
    assert {run.trigger["kind"] for run in runs} == {"schedule"}
    assert {run.created_by for run in runs} == {"trigger:schedule"}


def test_slots_missed_during_downtime_fire_once_for_the_latest(setup: Setup) -> None:
    setup.publish(scheduled("*/5 * * * *"))
    setup.scheduler.fire_due(T0)

    fired = setup.scheduler.fire_due(T0 + timedelta(hours=1))  # 12 slots passed: 10:05 ... 11:00

    [run] = setup.runs.list()
    assert fired == 1
    assert run.trigger["slot"] == "2026-12-03T11:00:00+00:00"
    assert run.trigger["missed"] == 11


def test_a_second_scheduler_does_not_fire_the_same_slot_again(setup: Setup, tracker: Tracker) -> None:
    setup.publish(scheduled("*/5 * * * *"))
    setup.scheduler.fire_due(T0)
    other = Scheduler(tracker.database, setup.runs)

    first = setup.scheduler.fire_due(T0 + timedelta(minutes=3))
    second = other.fire_due(T0 + timedelta(minutes=3))

    assert (first, second) == (1, 0)


def test_the_cron_is_read_in_the_triggers_time_zone(setup: Setup) -> None:
    setup.publish(scheduled("0 9 * * *", "Europe/Paris"))
    setup.scheduler.fire_due(datetime(2026, 12, 3, 7, 0, tzinfo=UTC))

    before = setup.scheduler.fire_due(datetime(2026, 12, 3, 7, 59, tzinfo=UTC))
    at_nine_paris = setup.scheduler.fire_due(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))

    assert (before, at_nine_paris) == (0, 1)


def test_publishing_a_new_cron_rearms_the_schedule(setup: Setup) -> None:
    setup.publish(scheduled("*/5 * * * *"))
    setup.scheduler.fire_due(T0)
    setup.publish(scheduled("0 * * * *"))

    rearmed = setup.scheduler.fire_due(T0 + timedelta(minutes=10))  # a */5 slot passed: not this cron's
    hourly = setup.scheduler.fire_due(T0 + timedelta(minutes=58))

    assert (rearmed, hourly) == (0, 1)


@pytest.mark.parametrize(
    ("trigger", "path", "words"),
    [
        ("{kind: schedule, cron: '61 * * * *'}", "trigger.cron", "not a valid cron"),
        ("{kind: schedule, cron: '* * *'}", "trigger.cron", "five-field"),
        ("{kind: schedule, cron: '* * * * *', timezone: Mars/Olympus}", "trigger.timezone", "Mars/Olympus"),
        ("{kind: alert, cron: '* * * * *'}", "trigger.cron", "only a schedule"),
        ("{kind: alert, events: [deleted]}", "trigger.events[0]", "'deleted'"),
        ("{kind: case_created, changes: [status]}", "trigger.changes", "only a case_changed"),
        ("{kind: case_changed, changes: []}", "trigger.changes", "at least one"),
        ("{kind: alert, path: hook}", "trigger.path", "only a webhook"),
        ("{kind: alert, filter: 'alert.(('}", "trigger.filter", "syntax"),
        ("{kind: alert, max_runs_per_case_per_hour: 0}", "trigger.max_runs_per_case_per_hour", ""),
    ],
)
def test_trigger_mistakes_are_named(trigger: str, path: str, words: str) -> None:
    text = f"id: p\nname: p\nkind: sequential\ntrigger: {trigger}\nsteps:\n  - {{id: s, type: end}}\n"

    issues = issues_of(text)

    assert [issue.path for issue in issues] == [path]
    assert words in issues[0].message
