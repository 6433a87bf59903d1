"""playbook triggers: the journal cursor, trigger firings, schedule marks and webhook secrets

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:15:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import socflow.storage.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trigger_cursors",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Triggers start from now: the journal written before this upgrade is history, not news.
    at = sa.bindparam("at", datetime.now(UTC).replace(tzinfo=None), type_=sa.DateTime())
    op.execute(
        sa.text(
            "INSERT INTO trigger_cursors (name, seq, updated_at) "
            "SELECT 'audit', COALESCE((SELECT MAX(seq) FROM audit_head), 0), :at"
        ).bindparams(at)
    )
    op.create_table(
        "trigger_firings",
        sa.Column("playbook_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("fired_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("playbook_id", "source"),
    )
    with op.batch_alter_table("trigger_firings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trigger_firings_subject", ["playbook_id", "subject", "fired_at"], unique=False
        )
        batch_op.create_index("ix_trigger_firings_status", ["status", "fired_at"], unique=False)

    op.create_table(
        "schedule_marks",
        sa.Column("playbook_id", sa.String(length=40), nullable=False),
        sa.Column("cron", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("last_slot", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["playbook_id"], ["playbooks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("playbook_id"),
    )
    op.create_table(
        "webhook_secrets",
        sa.Column("playbook_id", sa.String(length=40), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["playbook_id"], ["playbooks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("playbook_id"),
    )


def downgrade() -> None:
    op.drop_table("webhook_secrets")
    op.drop_table("schedule_marks")
    with op.batch_alter_table("trigger_firings", schema=None) as batch_op:
        batch_op.drop_index("ix_trigger_firings_status")
        batch_op.drop_index("ix_trigger_firings_subject")

    op.drop_table("trigger_firings")
    op.drop_table("trigger_cursors")
