"""Playbook runs: the run with its conductor state, each step attempt, and the append-only run journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from socflow.storage.tables import Base, utcnow


class RunRow(Base):
    """One run of a published playbook version; `state` is the conductor's whole state."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_status", "status", "created_at"),
        Index("ix_runs_parent", "parent_run_id"),
        Index("ix_runs_case", "case_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(String(40), index=True)
    version_id: Mapped[str] = mapped_column(String(120))  # the catalogue version the run follows
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # A sub-playbook's run: the run and step that started it (the step waits for it to finish).
    parent_run_id: Mapped[str | None] = mapped_column(String(40), default=None)
    parent_step_id: Mapped[str | None] = mapped_column(String(80), default=None)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # When the timekeeper raised the run's stuck alert (past limits.max_duration or the default limit).
    stuck_at: Mapped[datetime | None] = mapped_column(default=None)

    __mapper_args__ = {"version_id_col": version}


class StepAttemptRow(Base):
    """One attempt at one step: leased to a worker, then closed with its outcome."""

    __tablename__ = "step_attempts"
    __table_args__ = (
        # Retries of one visit share the key, so the key is unique together with the attempt number.
        UniqueConstraint("idempotency_key", "attempt", name="uq_step_attempt_key"),
        Index("ix_step_attempts_ready", "status", "not_before"),
        Index("ix_step_attempts_run", "run_id", "id"),
        Index("ix_step_attempts_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(80))
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))  # the action name, or the step name for people's work
    idempotency_key: Mapped[str] = mapped_column(String(64))
    # pending | leased | waiting | succeeded | failed | cancelled
    status: Mapped[str] = mapped_column(String(16))
    not_before: Mapped[datetime] = mapped_column(default=utcnow)  # backoff delay or a timer's due time
    leases: Mapped[int] = mapped_column(Integer, default=0)  # how many times it was handed to a worker
    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[str | None] = mapped_column(String(80), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Waiting work: when the timekeeper next applies its due time (overdue mark, expiry, timeout).
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    timeout_seconds: Mapped[float | None] = mapped_column(Float, default=None)  # the step's `timeout`


class RunJournalRow(Base):
    """The run's history, append-only: numbered per run, never updated or deleted by socflow."""

    __tablename__ = "run_journal"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(200), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
