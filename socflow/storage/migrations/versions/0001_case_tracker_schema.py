"""case tracker schema

Revision ID: 0001
Revises:
Create Date: 2026-12-03 16:46:08.382300
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import socflow.storage.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_entries",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_object", ["object_type", "object_id", "seq"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("pap", sa.String(length=16), nullable=False),
        sa.Column("merged_into_id", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("incident_confirmed_at", socflow.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("closed_at", socflow.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_assignee_created", ["assignee", "created_at", "id"], unique=False)
        batch_op.create_index("ix_cases_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_cases_priority_created", ["priority", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_cases_severity_created", ["severity_rank", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_cases_status_created", ["status", "created_at", "id"], unique=False)
        batch_op.create_index("ix_cases_tier_created", ["tier", "created_at", "id"], unique=False)
        batch_op.create_index("ix_cases_updated", ["updated_at", "id"], unique=False)

    op.create_table(
        "observables",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("ioc", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("sightings", sa.Integer(), nullable=False),
        sa.Column("first_seen", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("last_seen", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("type", "value", name="uq_observable_type_value"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("pap", sa.String(length=16), nullable=False),
        sa.Column("event_refs", sa.JSON(), nullable=False),
        sa.Column("first_seen", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("last_seen", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_ref", name="uq_alert_source_ref"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_alerts_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_alerts_severity_created", ["severity_rank", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_alerts_source_created", ["source", "created_at", "id"], unique=False)
        batch_op.create_index("ix_alerts_status_created", ["status", "created_at", "id"], unique=False)

    op.create_table(
        "case_observables",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("observable_id", sa.String(length=40), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["observable_id"],
            ["observables.id"],
        ),
        sa.PrimaryKeyConstraint("case_id", "observable_id"),
    )
    with op.batch_alter_table("case_observables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_observables_observable_id"), ["observable_id"], unique=False
        )

    op.create_table(
        "case_tags",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "tag"),
    )
    with op.batch_alter_table("case_tags", schema=None) as batch_op:
        batch_op.create_index("ix_case_tags_tag", ["tag", "case_id"], unique=False)

    op.create_table(
        "comments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_case", ["case_id", "created_at"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_case", ["case_id", "added_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_sha256"), ["sha256"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", socflow.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("created_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", socflow.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("completed_at", socflow.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_case", ["case_id", "position"], unique=False)

    op.create_table(
        "alert_observables",
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("observable_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["observable_id"],
            ["observables.id"],
        ),
        sa.PrimaryKeyConstraint("alert_id", "observable_id"),
    )
    with op.batch_alter_table("alert_observables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_observables_observable_id"), ["observable_id"], unique=False
        )

    op.create_table(
        "alert_tags",
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("alert_id", "tag"),
    )
    with op.batch_alter_table("alert_tags", schema=None) as batch_op:
        batch_op.create_index("ix_alert_tags_tag", ["tag", "alert_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("alert_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_tags_tag")

    op.drop_table("alert_tags")
    with op.batch_alter_table("alert_observables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_observables_observable_id"))

    op.drop_table("alert_observables")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_case")

    op.drop_table("tasks")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_sha256"))
        batch_op.drop_index("ix_evidence_case")

    op.drop_table("evidence")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_case")

    op.drop_table("comments")
    with op.batch_alter_table("case_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_case_tags_tag")

    op.drop_table("case_tags")
    with op.batch_alter_table("case_observables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_observables_observable_id"))

    op.drop_table("case_observables")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_status_created")
        batch_op.drop_index("ix_alerts_source_created")
        batch_op.drop_index("ix_alerts_severity_created")
        batch_op.drop_index("ix_alerts_created")
        batch_op.drop_index(batch_op.f("ix_alerts_case_id"))

    op.drop_table("alerts")
    op.drop_table("observables")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_updated")
        batch_op.drop_index("ix_cases_tier_created")
        batch_op.drop_index("ix_cases_status_created")
        batch_op.drop_index("ix_cases_severity_created")
        batch_op.drop_index("ix_cases_priority_created")
        batch_op.drop_index("ix_cases_created")
        batch_op.drop_index("ix_cases_assignee_created")

    op.drop_table("cases")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_object")

    op.drop_table("audit_entries")
