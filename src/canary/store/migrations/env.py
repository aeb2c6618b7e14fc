"""Alembic environment: runs on the connection canary hands over (see store/db.py)."""

from alembic import context

from canary.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
