"""Alembic environment: migrations run on the connection secaudit hands over (inside its lock)."""

from alembic import context

from secaudit.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:           # `alembic` command line: not how secaudit runs migrations
    raise RuntimeError("secaudit's store migrations run through secaudit.store.engine.migrate()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
