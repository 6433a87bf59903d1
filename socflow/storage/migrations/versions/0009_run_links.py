"""run links: child runs of sub-playbooks and runs in the case timeline

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_run_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("parent_step_id", sa.String(length=80), nullable=True))
        batch_op.create_index("ix_runs_parent", ["parent_run_id"], unique=False)
        batch_op.create_index("ix_runs_case", ["case_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_case")
        batch_op.drop_index("ix_runs_parent")
        batch_op.drop_column("parent_step_id")
        batch_op.drop_column("parent_run_id")
