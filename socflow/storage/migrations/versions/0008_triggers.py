"""playbook triggers: the domain event outbox and webhook secrets

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:15:00.000000
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
