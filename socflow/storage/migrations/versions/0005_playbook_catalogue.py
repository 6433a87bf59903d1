"""playbook catalogue: playbooks and their immutable versions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import socflow.storage.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playbooks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("published_version_id", sa.String(length=120), nullable=True),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "playbook_versions",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("playbook_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("published_at", socflow.storage.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["playbook_id"], ["playbooks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("playbook_id", "content_hash", name="uq_playbook_version_content"),
        sa.UniqueConstraint("playbook_id", "number", name="uq_playbook_version_number"),
    )
    with op.batch_alter_table("playbook_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_playbook_versions_status", ["playbook_id", "status", "number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("playbook_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_playbook_versions_status")
    op.drop_table("playbook_versions")
    op.drop_table("playbooks")
