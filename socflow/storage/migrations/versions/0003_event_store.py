"""event store: normalized events, dead letters and file import progress

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 17:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import socflow.storage.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _row_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    utc = socflow.storage.tables.UTCDateTime
    op.create_table(
        "events",
        sa.Column("id", _row_id(), autoincrement=True, nullable=False),
        sa.Column("timestamp", utc(), nullable=False),
        sa.Column("ingested_at", utc(), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=True),
        sa.Column("host_name", sa.String(length=255), nullable=True),
        sa.Column("source_ip", sa.String(length=45), nullable=True),
        sa.Column("source_ip_key", sa.String(length=33), nullable=True),
        sa.Column("destination_ip", sa.String(length=45), nullable=True),
        sa.Column("destination_ip_key", sa.String(length=33), nullable=True),
        sa.Column("user_name", sa.String(length=255), nullable=True),
        sa.Column("event_action", sa.String(length=255), nullable=True),
        sa.Column("event_outcome", sa.String(length=16), nullable=True),
        sa.Column("event_code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.String(length=1024), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_timestamp", ["timestamp", "id"], unique=False)
        batch_op.create_index("ix_events_source_ip_key", ["source_ip_key"], unique=False)
        batch_op.create_index("ix_events_destination_ip_key", ["destination_ip_key"], unique=False)
        batch_op.create_index("ix_events_host_name", ["host_name"], unique=False)
        batch_op.create_index("ix_events_user_name", ["user_name"], unique=False)

    op.create_table(
        "dead_letters",
        sa.Column("id", _row_id(), autoincrement=True, nullable=False),
        sa.Column("received_at", utc(), nullable=False),
        sa.Column("transport", sa.String(length=10), nullable=False),
        sa.Column("listener", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=1024), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("raw_base64", sa.Text(), nullable=False),
        sa.Column("raw_size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index("ix_dead_letters_received", ["received_at", "id"], unique=False)

    op.create_table(
        "ingest_progress",
        sa.Column("path", sa.String(length=4096), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )


def downgrade() -> None:
    op.drop_table("ingest_progress")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_dead_letters_received")
    op.drop_table("dead_letters")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_user_name")
        batch_op.drop_index("ix_events_host_name")
        batch_op.drop_index("ix_events_destination_ip_key")
        batch_op.drop_index("ix_events_source_ip_key")
        batch_op.drop_index("ix_events_timestamp")
    op.drop_table("events")
