"""The playbook catalogue's tables: one row per playbook, and its immutable versions (draft, published)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from socflow.storage.tables import Base, utcnow


class PlaybookRow(Base):
    """The catalogue entry: metadata of the published version (of the latest draft until one is)."""

    __tablename__ = "playbooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the document's `id`
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(20))
    # No foreign key: versions point at their playbook, and a cycle would complicate every migration.
    published_version_id: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlaybookVersionRow(Base):
    """One version as it was saved; never edited, only its status moves (draft, published, retired)."""

    __tablename__ = "playbook_versions"
    __table_args__ = (
        UniqueConstraint("playbook_id", "number", name="uq_playbook_version_number"),
        UniqueConstraint("playbook_id", "content_hash", name="uq_playbook_version_content"),
        Index("ix_playbook_versions_status", "playbook_id", "status", "number"),
    )

    # `version_id(playbook)`: `id@version:digest`, the id a run records and the graph cache's key.
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # the document's own `version`
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... in the order saved
    status: Mapped[str] = mapped_column(String(16))
    source_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of source_text
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(200), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
