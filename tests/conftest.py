"""Shared fixtures: a migrated database on SQLite and, when one answers (always on CI), on PostgreSQL."""

import os
import socket
import uuid

import pytest

from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine

POSTGRES_URL = os.environ.get("SMARTCUSTOMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A fresh, migrated database: a SQLite file, or a schema of its own in PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
        return
    if not _postgres_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL does not answer at 127.0.0.1:5432, and CI must test it")
        pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = make_engine(POSTGRES_URL + f"?options=-csearch_path%3D{schema}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()
