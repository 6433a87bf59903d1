"""Per-process caches of the run engine: compiled graphs by version, run states by row version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

from sqlalchemy.orm import Session

from socflow.errors import NotFound
from socflow.playbooks.graph import Graph
from socflow.storage.tables_playbooks import PlaybookVersionRow
from socflow.worker.catalogue import graph_of

MAX_GRAPHS: Final = 256
DEFAULT_STATES: Final = 4096

_graphs: dict[str, Graph] = {}


def graph_for(session: Session, version_id: str) -> Graph:
    """The compiled graph of a catalogue version, cached per process (a version never changes)."""
    graph = _graphs.get(version_id)
    if graph is None:
        row = session.get(PlaybookVersionRow, version_id)
        if row is None:
            raise NotFound(f"playbook version {version_id!r} is gone", details={"version": version_id})
        if len(_graphs) >= MAX_GRAPHS:
            _graphs.clear()
        graph = _graphs[version_id] = graph_of(row)
    return graph


class StateCache:
    """The states this process last wrote, keyed by run and valid only for the row version they had.

    Every writer of a run bumps `runs.version` (the ORM's version counter, or `version + 1` in Core),
    so a state cached at version N is the stored one exactly while the row is still at N. An entry is
    handed out once (`take`): the conductor changes it in place, and only a committed transaction
    puts the new state back (`put`). Least recently used entries go first beyond `size`.
    """

    def __init__(self, size: int = DEFAULT_STATES) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, run_id: str, version: int) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.pop(run_id, None)
            if entry is None or entry[0] != version:
                self.misses += 1
                return None
            self.hits += 1
            return entry[1]

    def put(self, run_id: str, version: int, state: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[run_id] = (version, state)
            self._entries.move_to_end(run_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
