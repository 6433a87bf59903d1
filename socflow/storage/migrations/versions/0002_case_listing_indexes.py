"""case listing indexes: one per sort order (priority, severity), and an analyst's cases by activity

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 17:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_priority", ["priority", "id"], unique=False)
        batch_op.create_index("ix_cases_severity", ["severity_rank", "id"], unique=False)
        batch_op.create_index("ix_cases_assignee_updated", ["assignee", "updated_at", "id"], unique=False)
    # Planner statistics: with several indexes to choose from, SQLite needs them to pick the one that
    # walks the sort order; without them it guesses and may sort a whole status. Cheap, and a no-op on
    # an empty database (the connections' PRAGMA optimize keeps them current from then on).
    op.execute("ANALYZE")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_assignee_updated")
        batch_op.drop_index("ix_cases_severity")
        batch_op.drop_index("ix_cases_priority")
