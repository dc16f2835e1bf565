"""Alembic environment: the engine comes from the caller (foxtrack.db.migrations.upgrade)."""

from __future__ import annotations

from alembic import context

from foxtrack.db.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
