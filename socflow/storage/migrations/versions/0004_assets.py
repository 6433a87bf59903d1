"""asset inventory: assets and the IP/MAC addresses each held over time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 17:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import socflow.storage.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("criticality", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "domain", name="uq_asset_name_domain"),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index("ix_assets_name", ["name", "id"], unique=False)

    op.create_table(
        "asset_addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("valid_from", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("valid_to", socflow.storage.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_addresses", schema=None) as batch_op:
        batch_op.create_index("ix_asset_addresses_value", ["kind", "value", "valid_from"], unique=False)
        batch_op.create_index("ix_asset_addresses_asset", ["asset_id", "valid_from"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_addresses_asset")
        batch_op.drop_index("ix_asset_addresses_value")
    op.drop_table("asset_addresses")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_name")
    op.drop_table("assets")
