"""Schedule triggers: each published cron fires at most once per slot; slots missed while down fire once."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import structlog
from cronsim import CronSim

from socflow.cases.uow import now as utc_now
from socflow.errors import DuplicateKey
from socflow.playbooks.spec import TriggerKind
from socflow.playbooks.triggers import latest_slot, zone
from socflow.storage.db import Database
from socflow.storage.tables_triggers import ScheduleMarkRow
from socflow.worker.firings import Firing, FiringStatus, claim, settle, start
from socflow.worker.runs import RunService
from socflow.worker.trigger_index import Armed, TriggerIndex

log = structlog.get_logger("socflow.triggers")

MAX_COUNTED_MISSES: Final = 10_000  # beyond this, `missed` says "at least" this many


class Scheduler:
    """Fires the schedule triggers of the published playbooks; `fire_due(now)` returns runs started.

    Each playbook keeps a mark: the last slot done. A new (or changed) schedule is armed at the time
    it is first seen and fires from the next slot on. When several slots passed since the mark (the
    service was down), one run starts for the latest of them, its trigger data counting the missed
    ones. The mark moves in the same transaction as the firing's claim, so a slot fires once even with
    several schedulers.
    """

    def __init__(self, database: Database, runs: RunService, *, index: TriggerIndex | None = None) -> None:
        self.database = database
        self.runs = runs
        self.index = index if index is not None else TriggerIndex(database)

    def fire_due(self, now: datetime | None = None) -> int:
        at = now if now is not None else utc_now()
        self.index.refresh()
        firings = [f for armed in self.index.armed(TriggerKind.SCHEDULE) if (f := self._due(armed, at))]
        for firing in firings:
            start(self.runs, firing)
        settle(self.database, firings)
        return sum(f.status is FiringStatus.STARTED for f in firings)

    def _due(self, armed: Armed, at: datetime) -> Firing | None:
        cron, timezone = armed.trigger.cron or "", armed.trigger.timezone
        try:
            with self.database.session() as session:
                mark = session.get(ScheduleMarkRow, armed.playbook_id, with_for_update=True)
                if mark is None or (mark.cron, mark.timezone) != (cron, timezone):
                    if mark is None:
                        mark = ScheduleMarkRow(playbook_id=armed.playbook_id, cron=cron, timezone=timezone)
                        session.add(mark)
                    mark.cron, mark.timezone, mark.last_slot, mark.updated_at = cron, timezone, at, at
                    log.info("schedule armed", playbook=armed.playbook_id, cron=cron, timezone=timezone)
                    return None
                slot = latest_slot(cron, timezone, at)
                if slot <= mark.last_slot:
                    return None
                missed = _slots_between(cron, timezone, mark.last_slot, slot)
                source = f"schedule:{slot.astimezone(zone('UTC')).isoformat()}"
                trigger = {
                    "kind": TriggerKind.SCHEDULE.value,
                    "source": source,
                    "slot": slot.isoformat(),
                    "cron": cron,
                    "timezone": timezone,
                    "missed": missed,
                }
                firing = Firing(armed.playbook_id, source, TriggerKind.SCHEDULE.value, None, trigger)
                mark.last_slot, mark.updated_at = slot, at
                fresh = claim(session, [firing], at)
                if missed:
                    log.warning(
                        "schedule slots missed", playbook=armed.playbook_id, missed=missed, fired=source
                    )
                return fresh[0] if fresh else None
        except DuplicateKey:
            return None  # another scheduler armed or fired this playbook at the same moment


def _slots_between(cron: str, timezone: str, after: datetime, last: datetime) -> int:
    """How many slots lie strictly between `after` and `last` (the ones skipped in favour of `last`)."""
    count = 0
    for slot in CronSim(cron, after.astimezone(zone(timezone))):
        if slot >= last or count >= MAX_COUNTED_MISSES:
            return count
        count += 1
    return count
