"""The asset inventory's tables: hosts, and the addresses each held over time (DHCP-style history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from socflow.storage.tables import Base, utcnow


class AssetRow(Base):
    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("name", "domain", name="uq_asset_name_domain"),
        Index("ix_assets_name", "name", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))  # canonical: lower-case, without the domain
    # "" rather than NULL when there is none, so the unique (name, domain) holds on every database.
    domain: Mapped[str] = mapped_column(String(255), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    criticality: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}

    addresses: Mapped[list[AssetAddressRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AssetAddressRow.valid_from"
    )


class AssetAddressRow(Base):
    """One IP or MAC an asset held from `valid_from` until `valid_to` (NULL while it still holds it)."""

    __tablename__ = "asset_addresses"
    __table_args__ = (
        Index("ix_asset_addresses_value", "kind", "value", "valid_from"),
        Index("ix_asset_addresses_asset", "asset_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # "ip" or "mac"
    value: Mapped[str] = mapped_column(String(64))  # canonical.ip / canonical.mac
    valid_from: Mapped[datetime] = mapped_column()
    valid_to: Mapped[datetime | None] = mapped_column(default=None)
