"""The shared intake counters: each process adds what it counted; any process reads the sums."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from socflow.storage.db import Database
from socflow.storage.tables_ingest_counters import LISTENER_CHARS, PROCESS_CHARS, IngestCounterRow

COUNTERS: Final = ("received", "stored", "dead_lettered", "udp_dropped", "parse_failures")
RETIRED: Final = "(retired)"  # the process key under which stale processes' counts are kept

Counts = dict[str, dict[str, int]]  # {listener: {counter: value}}


def _column(counter: str) -> ColumnElement[int]:
    column: ColumnElement[int] = getattr(IngestCounterRow, counter)
    return column


@dataclass(frozen=True)
class ProcessIdentity:
    """Who writes a set of rows: host, pid and a random token (pids are reused after restarts)."""

    host: str
    pid: int
    started_at: datetime
    token: str = field(default_factory=lambda: secrets.token_hex(4))

    @classmethod
    def current(cls) -> ProcessIdentity:
        return cls(socket.gethostname()[:255], os.getpid(), datetime.now(UTC))

    @property
    def key(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"[:PROCESS_CHARS]


@dataclass(frozen=True)
class ProcessSummary:
    process: str
    host: str
    pid: int
    started_at: datetime
    updated_at: datetime
    queue_depth: int


class IngestCounterStore:
    """Rows keyed by (process, listener). A process only ever adds to its own rows, so concurrent
    writers never contend; `retire` folds the rows of processes long gone into one row per
    listener, so the sums (Prometheus counters) never go down and the table stays small."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(
        self,
        identity: ProcessIdentity,
        increments: Mapping[str, Mapping[str, int]],
        queue_depth: int,
        now: datetime | None = None,
    ) -> None:
        """Add `increments` to this process's rows (created when new) and refresh their heartbeat."""
        moment = now or datetime.now(UTC)
        key = identity.key
        with self.database.session() as session:
            for listener, counts in increments.items():
                name = listener[:LISTENER_CHARS]
                values = {counter: _column(counter) + int(counts.get(counter, 0)) for counter in COUNTERS}
                changed = session.execute(
                    update(IngestCounterRow)
                    .where(IngestCounterRow.process == key, IngestCounterRow.listener == name)
                    .values(**values, queue_depth=queue_depth, updated_at=moment)
                )
                if changed.rowcount == 0:  # type: ignore[attr-defined]
                    session.add(
                        IngestCounterRow(
                            process=key,
                            listener=name,
                            host=identity.host,
                            pid=identity.pid,
                            queue_depth=queue_depth,
                            started_at=identity.started_at,
                            updated_at=moment,
                            **{counter: int(counts.get(counter, 0)) for counter in COUNTERS},
                        )
                    )
            session.execute(
                update(IngestCounterRow)
                .where(IngestCounterRow.process == key)
                .values(queue_depth=queue_depth, updated_at=moment)
            )

    def totals(self, *, exclude: str | None = None) -> Counts:
        """The sums per listener over every process (but `exclude`, whose live counts the caller has)."""
        columns = [func.coalesce(func.sum(getattr(IngestCounterRow, counter)), 0) for counter in COUNTERS]
        query = select(IngestCounterRow.listener, *columns).group_by(IngestCounterRow.listener)
        if exclude is not None:
            query = query.where(IngestCounterRow.process != exclude[:PROCESS_CHARS])
        with self.database.session(write=False) as session:
            rows = session.execute(query).all()
        return {row[0]: dict(zip(COUNTERS, (int(value) for value in row[1:]), strict=True)) for row in rows}

    def processes(self, *, seen_since: datetime | None = None) -> list[ProcessSummary]:
        """Each writing process (one entry, whatever its listeners), most recently seen first."""
        query = (
            select(
                IngestCounterRow.process,
                func.max(IngestCounterRow.host),
                func.max(IngestCounterRow.pid),
                func.min(IngestCounterRow.started_at),
                func.max(IngestCounterRow.updated_at),
                func.max(IngestCounterRow.queue_depth),
            )
            .where(IngestCounterRow.process != RETIRED)
            .group_by(IngestCounterRow.process)
        )
        if seen_since is not None:
            query = query.having(func.max(IngestCounterRow.updated_at) >= seen_since)
        with self.database.session(write=False) as session:
            rows = session.execute(query).all()
        summaries = [ProcessSummary(*row) for row in rows]
        return sorted(summaries, key=lambda summary: summary.updated_at, reverse=True)

    def retire(self, older_than: datetime) -> int:
        """Fold rows not updated since `older_than` into the RETIRED rows; how many were folded.

        Each stale row is deleted first and only counted when this transaction deleted it, so two
        processes retiring at once never count a row twice."""
        stale = select(IngestCounterRow).where(
            IngestCounterRow.updated_at < older_than, IngestCounterRow.process != RETIRED
        )
        folded = 0
        with self.database.session() as session:
            for row in session.scalars(stale).all():
                counts = {counter: int(getattr(row, counter)) for counter in COUNTERS}
                gone = session.execute(
                    delete(IngestCounterRow).where(
                        IngestCounterRow.process == row.process, IngestCounterRow.listener == row.listener
                    )
                )
                if gone.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                session.expunge(row)
                self._add_retired(session, row.listener, counts, row.updated_at)
                folded += 1
        return folded

    @staticmethod
    def _add_retired(session: Session, listener: str, counts: Mapping[str, int], moment: datetime) -> None:
        values = {counter: _column(counter) + counts[counter] for counter in COUNTERS}
        changed = session.execute(
            update(IngestCounterRow)
            .where(IngestCounterRow.process == RETIRED, IngestCounterRow.listener == listener)
            .values(**values)
        )
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            session.add(
                IngestCounterRow(
                    process=RETIRED,
                    listener=listener,
                    host="",
                    pid=0,
                    queue_depth=0,
                    started_at=moment,
                    updated_at=moment,
                    **counts,
                )
            )
            session.flush()
