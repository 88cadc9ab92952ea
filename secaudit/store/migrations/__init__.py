"""Alembic migrations of the store (run on open by :func:`secaudit.store.engine.migrate`)."""
