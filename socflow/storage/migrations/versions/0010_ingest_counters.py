"""ingest counters shared by every process

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import socflow.storage.tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = socflow.storage.tables.UTCDateTime
    op.create_table(
        "ingest_counters",
        sa.Column("process", sa.String(length=200), nullable=False),
        sa.Column("listener", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("stored", sa.BigInteger(), nullable=False),
        sa.Column("dead_lettered", sa.BigInteger(), nullable=False),
        sa.Column("udp_dropped", sa.BigInteger(), nullable=False),
        sa.Column("parse_failures", sa.BigInteger(), nullable=False),
        sa.Column("queue_depth", sa.Integer(), nullable=False),
        sa.Column("started_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("process", "listener"),
    )
    with op.batch_alter_table("ingest_counters", schema=None) as batch_op:
        batch_op.create_index("ix_ingest_counters_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ingest_counters", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_counters_updated_at")
    op.drop_table("ingest_counters")
