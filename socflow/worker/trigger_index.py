"""The published playbooks' triggers in memory, by kind, each filter compiled once per version."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from socflow.errors import Conflict
from socflow.playbooks.expressions import Compiled, compile_expression, truthy
from socflow.playbooks.spec import TriggerKind, TriggerSpec
from socflow.playbooks.triggers import listens_to
from socflow.storage.db import Database
from socflow.storage.tables_playbooks import PlaybookRow, PlaybookVersionRow
from socflow.worker.catalogue import graph_of


@dataclass(frozen=True)
class Armed:
    """One published playbook's trigger, ready to match."""

    playbook_id: str
    version_id: str
    trigger: TriggerSpec
    listens: frozenset[str]
    filter: Compiled | None

    def accepts(self, scope: Mapping[str, Any]) -> bool:
        """True without a filter; ExpressionError when the filter fails on this data."""
        return self.filter is None or truthy(self.filter, scope)


def arm(playbook_id: str, version_id: str, trigger: TriggerSpec) -> Armed:
    compiled = compile_expression(trigger.filter) if trigger.filter is not None else None
    return Armed(playbook_id, version_id, trigger, listens_to(trigger), compiled)


class TriggerIndex:
    """Which published playbook listens to what; `refresh` re-reads only what was published since.

    A refresh costs one small query (playbook ids and their published version ids); a version is
    parsed once (the catalogue's graph cache), so publishing a new version is picked up at the next
    refresh while drafts never are.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._armed: dict[str, Armed] = {}
        self._by_kind: dict[TriggerKind, list[Armed]] = {}
        self._loaded = False

    def refresh(self) -> None:
        with self.database.session(write=False) as session:
            query = select(PlaybookRow.id, PlaybookRow.published_version_id).where(
                PlaybookRow.published_version_id.is_not(None)
            )
            published: dict[str, str | None] = {row[0]: row[1] for row in session.execute(query)}
            with self._lock:
                if self._loaded and published == {k: a.version_id for k, a in self._armed.items()}:
                    return
                armed: dict[str, Armed] = {}
                for playbook_id, version_id in published.items():
                    known = self._armed.get(playbook_id)
                    if known is not None and known.version_id == version_id:
                        armed[playbook_id] = known
                        continue
                    row = session.get(PlaybookVersionRow, version_id)
                    if row is not None and version_id is not None:
                        armed[playbook_id] = arm(playbook_id, version_id, graph_of(row).playbook.trigger)
                by_kind: dict[TriggerKind, list[Armed]] = {}
                for item in sorted(armed.values(), key=lambda a: a.playbook_id):
                    by_kind.setdefault(item.trigger.kind, []).append(item)
                self._armed, self._by_kind, self._loaded = armed, by_kind, True

    def ensure(self) -> None:
        if not self._loaded:
            self.refresh()

    def armed(self, kind: TriggerKind) -> list[Armed]:
        """The published playbooks whose trigger is of `kind` (as of the last refresh)."""
        self.ensure()
        return self._by_kind.get(kind, [])

    def webhook(self, name: str) -> Armed | None:
        """The published webhook playbook called `name` (its id, else its trigger's `path`); fresh."""
        self.refresh()
        by_id = self._armed.get(name)
        if by_id is not None and by_id.trigger.kind is TriggerKind.WEBHOOK:
            return by_id
        named = [a for a in self._by_kind.get(TriggerKind.WEBHOOK, []) if a.trigger.path == name]
        if len(named) > 1:
            ids = ", ".join(a.playbook_id for a in named)
            raise Conflict(f"webhook path {name!r} is claimed by several playbooks ({ids}); use an id")
        return named[0] if named else None
