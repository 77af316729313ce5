"""Alembic environment: the engine comes from smartcustoms.store.migrate (config.attributes)."""

from alembic import context

import smartcustoms.declarations.tables  # noqa: F401  (registers the tables on the metadata)
from smartcustoms.store.db import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
