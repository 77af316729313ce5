"""Migration 0012 creates exactly what passengers/tables.py defines (both databases)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import smartcustoms.passengers.tables  # noqa: F401 - registers the pax_ tables
from smartcustoms.store.db import metadata


def test_migration_matches_the_tables(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in differences if "pax_" in repr(d)]
    assert ours == []
    with engine.connect() as conn:
        names = set(engine.dialect.get_table_names(conn))
    assert {"pax_flights", "pax_passengers", "pax_documents", "pax_bags", "pax_watchlist", "pax_matches",
            "pax_assessments", "pax_dispositions", "pax_rule_versions"} <= names
