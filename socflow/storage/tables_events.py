"""The event store's tables: normalized events, dead letters, and per-file import progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from socflow.storage.tables import Base, utcnow

# SQLite makes an INTEGER PRIMARY KEY the rowid (fast appends); PostgreSQL gets a 64-bit identity.
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")
MESSAGE_CHARS = 1024
IP_KEY_CHARS = 33
# Search columns empty on most events: their indexes are partial (`WHERE col IS NOT NULL`, migration 0012),
# so an insert maintains no index entry for a NULL and searches on them add the matching term.
SPARSE_SEARCH_COLUMNS = ("source_ip_key", "destination_ip_key", "host_name", "user_name")


def _present_index(column: str) -> Index:
    present = text(f"{column} IS NOT NULL")
    return Index(f"ix_events_{column}", column, sqlite_where=present, postgresql_where=present)


class EventRow(Base):
    """One normalized event: the ECS document as JSON plus the columns searches use."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_timestamp", "timestamp", "id"),
        *(_present_index(column) for column in SPARSE_SEARCH_COLUMNS),
    )

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime] = mapped_column()
    ingested_at: Mapped[datetime] = mapped_column()
    dataset: Mapped[str | None] = mapped_column(String(100))
    host_name: Mapped[str | None] = mapped_column(String(255))
    source_ip: Mapped[str | None] = mapped_column(String(45))
    source_ip_key: Mapped[str | None] = mapped_column(String(IP_KEY_CHARS))
    destination_ip: Mapped[str | None] = mapped_column(String(45))
    destination_ip_key: Mapped[str | None] = mapped_column(String(IP_KEY_CHARS))
    user_name: Mapped[str | None] = mapped_column(String(255))
    event_action: Mapped[str | None] = mapped_column(String(255))
    event_outcome: Mapped[str | None] = mapped_column(String(16))
    event_code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(String(MESSAGE_CHARS))
    document: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(1024))


class DeadLetterRow(Base):
    """Input that could not become an event (bad framing, oversize, invalid UTF-8), kept with why."""

    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_received", "received_at", "id"),)

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    transport: Mapped[str] = mapped_column(String(10))
    listener: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(1024))
    reason: Mapped[str] = mapped_column(String(500))
    raw_base64: Mapped[str] = mapped_column(Text)
    raw_size: Mapped[int] = mapped_column(BigInteger)


class IngestProgressRow(Base):
    """How far a file import got: the file's identity and the position after the last committed batch."""

    __tablename__ = "ingest_progress"

    path: Mapped[str] = mapped_column(String(4096), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(BigInteger)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
