"""The relational schema: alerts, cases, tasks, comments, evidence, observables and the audit journal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: give a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class ObservableRow(Base):
    __tablename__ = "observables"
    __table_args__ = (UniqueConstraint("type", "value", name="uq_observable_type_value"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(2048))
    ioc: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    tlp: Mapped[str] = mapped_column(String(16), default="amber")
    sightings: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("source", "source_ref", name="uq_alert_source_ref"),
        Index("ix_alerts_created", "created_at", "id"),
        Index("ix_alerts_status_created", "status", "created_at", "id"),
        Index("ix_alerts_source_created", "source", "created_at", "id"),
        Index("ix_alerts_severity_created", "severity_rank", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    source_ref: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    severity_rank: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    tlp: Mapped[str] = mapped_column(String(16))
    pap: Mapped[str] = mapped_column(String(16))
    event_refs: Mapped[list[Any]] = mapped_column(default=list)
    first_seen: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()
    count: Mapped[int] = mapped_column(Integer, default=1)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}

    tag_rows: Mapped[list[AlertTagRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    observable_links: Mapped[list[AlertObservableRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class AlertTagRow(Base):
    __tablename__ = "alert_tags"
    __table_args__ = (Index("ix_alert_tags_tag", "tag", "alert_id"),)

    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)


class AlertObservableRow(Base):
    __tablename__ = "alert_observables"

    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    observable_id: Mapped[str] = mapped_column(ForeignKey("observables.id"), primary_key=True, index=True)
    observable: Mapped[ObservableRow] = relationship(lazy="joined")


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_created", "created_at", "id"),
        Index("ix_cases_updated", "updated_at", "id"),
        Index("ix_cases_status_created", "status", "created_at", "id"),
        Index("ix_cases_assignee_created", "assignee", "created_at", "id"),
        Index("ix_cases_severity_created", "severity_rank", "created_at", "id"),
        Index("ix_cases_priority_created", "priority", "created_at", "id"),
        Index("ix_cases_tier_created", "tier", "created_at", "id"),
        # Listings page by (sort column, id): each sort needs an index in exactly that order, or every
        # page sorts all matching rows. The *_created indexes above serve filters, not these sorts.
        Index("ix_cases_priority", "priority", "id"),
        Index("ix_cases_severity", "severity_rank", "id"),
        Index("ix_cases_assignee_updated", "assignee", "updated_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    severity_rank: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    tier: Mapped[int] = mapped_column(Integer, default=1)
    assignee: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(32), default=None)
    tlp: Mapped[str] = mapped_column(String(16))
    pap: Mapped[str] = mapped_column(String(16))
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), default=None)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    incident_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}

    tag_rows: Mapped[list[CaseTagRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    observable_links: Mapped[list[CaseObservableRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class CaseTagRow(Base):
    __tablename__ = "case_tags"
    __table_args__ = (Index("ix_case_tags_tag", "tag", "case_id"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)


class CaseObservableRow(Base):
    __tablename__ = "case_observables"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    observable_id: Mapped[str] = mapped_column(ForeignKey("observables.id"), primary_key=True, index=True)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    observable: Mapped[ObservableRow] = relationship(lazy="joined")


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_case", "case_id", "position"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    instructions: Mapped[str] = mapped_column(Text, default="")
    checklist: Mapped[list[Any]] = mapped_column(default=list)
    assignee: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}


class CommentRow(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_case", "case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceRow(Base):
    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_case", "case_id", "added_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntryRow(Base):
    """Append-only: rows are inserted by the journal and never updated or deleted by socflow."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The latest sequence number and hash: a truncated journal no longer matches it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
