"""Trigger bookkeeping: the journal cursor, each firing (run or suppression), schedules, webhook secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from socflow.storage.tables import Base, utcnow


class TriggerCursorRow(Base):
    """How far a dispatcher has read the audit journal: every entry up to `seq` has been matched."""

    __tablename__ = "trigger_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TriggerFiringRow(Base):
    """One trigger firing for one playbook: the key makes a second start of the same event impossible.

    `source` names what fired (`audit:<seq>`, `schedule:<slot>`, `webhook:<uuid>`); `status` is
    claimed (the run is being started), started, suppressed_loop, suppressed_cap, filter_error or failed.
    """

    __tablename__ = "trigger_firings"
    __table_args__ = (
        Index("ix_trigger_firings_subject", "playbook_id", "subject", "fired_at"),
        Index("ix_trigger_firings_status", "status", "fired_at"),
    )

    playbook_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(60), default=None)  # case:<id> or alert:<id>
    status: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str | None] = mapped_column(String(40), default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    # The trigger data while claimed, so a run a crash kept from starting starts with it; then cleared.
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduleMarkRow(Base):
    """The last slot a playbook's schedule has fired for (or was armed at); slots up to it are done."""

    __tablename__ = "schedule_marks"

    playbook_id: Mapped[str] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), primary_key=True)
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    last_slot: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookSecretRow(Base):
    """A playbook's webhook secret, kept only as its sha256 (the secret is shown once, when made)."""

    __tablename__ = "webhook_secrets"

    playbook_id: Mapped[str] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(12))  # the first characters, to tell secrets apart
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
