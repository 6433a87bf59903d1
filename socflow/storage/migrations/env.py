"""Alembic environment: runs migrations on the connection or URL that socflow hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import socflow.storage.tables_assets
import socflow.storage.tables_events
import socflow.storage.tables_ingest_counters
import socflow.storage.tables_playbooks
import socflow.storage.tables_runs
import socflow.storage.tables_triggers  # noqa: F401
from socflow.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def _run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
