"""Persistence: engine, metadata and Alembic migrations."""
