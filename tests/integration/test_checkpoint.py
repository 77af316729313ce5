"""The web's long-running SQLite writers leave checkpoints to a background thread (store.db.checkpoint_in_background):
their commits copy nothing back into the database, and the write-ahead log still stays short."""

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from smartcustoms.store.db import checkpoint_in_background, make_engine, writing

ROW = b"x" * 100_000  # about 25 pages of the log per commit


def _write(url: str, every: float, synchronous: str = "full") -> tuple[int, int, int]:
    """60 commits with the background checkpoint every `every` seconds: (automatic checkpoint setting of the
    engine's connections, the log's largest size in bytes, rows read back)."""
    engine = make_engine(url)
    assert checkpoint_in_background(engine, every=every, synchronous=synchronous) is not None
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == {"normal": 1, "full": 2}[synchronous]
    with writing(engine) as conn:
        conn.execute(text("CREATE TABLE blobs (n INTEGER, data BLOB)"))
    wal, largest = Path(f"{engine.url.database}-wal"), 0
    for n in range(60):
        with writing(engine) as conn:
            conn.execute(text("INSERT INTO blobs VALUES (:n, :data)"), {"n": n, "data": ROW})
        largest = max(largest, wal.stat().st_size)
        time.sleep(0.01)
    with engine.connect() as conn:
        automatic = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        rows = conn.execute(text("SELECT count(*) FROM blobs")).scalar()
    engine.dispose()
    return automatic, largest, rows


def test_the_background_thread_checkpoints_what_the_commits_no_longer_do(tmp_path):
    automatic, largest, rows = _write(f"sqlite:///{tmp_path / 'background.db'}", every=0.02)
    assert automatic == 0 and rows == 60
    assert largest < 3_000_000  # checkpointed as it goes: the log starts over
    automatic, unchecked, rows = _write(f"sqlite:///{tmp_path / 'never.db'}", every=3600,  # the thread never runs
                                        synchronous="normal")
    assert automatic == 0 and rows == 60
    assert unchecked > 5_500_000  # 60 commits of 100 kB, nothing copied back: the log holds them all


def test_other_databases_keep_their_own_checkpoints(tmp_path):
    with pytest.raises(ValueError, match="synchronous must be 'full' or 'normal'"):
        checkpoint_in_background(make_engine(f"sqlite:///{tmp_path / 'x.db'}"), synchronous="off")
    assert checkpoint_in_background(make_engine("sqlite:///:memory:")) is None
    assert checkpoint_in_background(make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")) is None
