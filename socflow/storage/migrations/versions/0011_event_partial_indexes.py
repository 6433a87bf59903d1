"""event store: partial indexes on the sparse search columns

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:05:00.000000

Most events have no destination IP, many no source IP or user: a full index stores (and every
insert maintains) an entry for each NULL. The partial indexes keep only rows that have a value;
an equality, range or CIDR filter on the column implies `col IS NOT NULL`, so the planners use them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# index name -> the column it covers (the event search filters on each).
_SPARSE = {
    "ix_events_source_ip_key": "source_ip_key",
    "ix_events_destination_ip_key": "destination_ip_key",
    "ix_events_host_name": "host_name",
    "ix_events_user_name": "user_name",
}


def upgrade() -> None:
    for name, column in _SPARSE.items():
        op.drop_index(name, table_name="events")
        present = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "events", [column], sqlite_where=present, postgresql_where=present)


def downgrade() -> None:
    for name, column in _SPARSE.items():
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", [column])
