"""Alembic environment: the engine comes from smartcustoms.store.migrate (config.attributes)."""

from alembic import context

import smartcustoms.accounts.tables  # noqa: F401
import smartcustoms.control.tables  # noqa: F401  (each import registers its tables on the metadata)
import smartcustoms.declarations.tables  # noqa: F401
import smartcustoms.nii.tables  # noqa: F401
import smartcustoms.passengers.tables  # noqa: F401
import smartcustoms.risk.repository  # noqa: F401
import smartcustoms.risk.tables  # noqa: F401
import smartcustoms.targeting.tables  # noqa: F401
from smartcustoms.store.db import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
