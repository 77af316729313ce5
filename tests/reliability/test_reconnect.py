"""Issue 14 (7): a PostgreSQL connection the server closed (a restart of PostgreSQL, a network cut) is replaced
without a restart of ours: one left idle is tried before it is handed out; one closed while busy fails its
statement once, and the pool connects again."""

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from smartcustoms.store.db import make_engine


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(engine, pid: int) -> None:
    """End a backend from another engine (as a restart of PostgreSQL ends them all)."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            conn.commit()
    finally:
        other.dispose()


@pytest.fixture
def pg(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: SQLite has no server to lose")
    engine.pool.dispose()
    return engine


def test_an_idle_connection_closed_by_the_server_is_replaced_before_use(pg):
    first = _pid(pg)
    assert _pid(pg) == first  # one pooled connection, used again
    _terminate(pg, first)
    time.sleep(1.2)  # idle for more than a second: tried at checkout
    with pg.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first


def test_a_busy_connection_closed_by_the_server_fails_once_then_the_pool_connects_again(pg):
    with pg.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        _terminate(pg, pid)
        time.sleep(0.2)
        with pytest.raises(DBAPIError) as failed:
            conn.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
    with pg.connect() as conn:  # at once, not idle: the failure renewed the pool
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
