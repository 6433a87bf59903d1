"""run timers: due times on waiting attempts and stuck-run marks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 19:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import socflow.storage.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("step_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", socflow.storage.tables.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("timeout_seconds", sa.Float(), nullable=True))
        batch_op.create_index("ix_step_attempts_due", ["status", "due_at"], unique=False)
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stuck_at", socflow.storage.tables.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("stuck_at")
    with op.batch_alter_table("step_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_step_attempts_due")
        batch_op.drop_column("timeout_seconds")
        batch_op.drop_column("due_at")
