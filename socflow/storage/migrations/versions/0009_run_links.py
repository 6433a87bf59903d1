"""run links: child runs of sub-playbooks and runs in the case timeline

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:15:00.000000
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
