"""Intake counters per process and listener, so every process (API, `ingest serve`, imports) sees them all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from socflow.storage.tables import Base, utcnow

PROCESS_CHARS = 200
LISTENER_CHARS = 100


class IngestCounterRow(Base):
    """One process's counts for one listener; processes add what they counted since their last write."""

    __tablename__ = "ingest_counters"
    __table_args__ = (Index("ix_ingest_counters_updated_at", "updated_at"),)

    process: Mapped[str] = mapped_column(String(PROCESS_CHARS), primary_key=True)
    listener: Mapped[str] = mapped_column(String(LISTENER_CHARS), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    stored: Mapped[int] = mapped_column(BigInteger, default=0)
    dead_lettered: Mapped[int] = mapped_column(BigInteger, default=0)
    udp_dropped: Mapped[int] = mapped_column(BigInteger, default=0)
    parse_failures: Mapped[int] = mapped_column(BigInteger, default=0)
    queue_depth: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
