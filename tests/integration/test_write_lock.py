"""SQLite writers queue on the file lock of store.db.writing: two processes never write at the same time, and
each one's transaction commits whole."""

import multiprocessing
import time

import pytest
from sqlalchemy import text

from smartcustoms.store.db import make_engine, writing


def _writer(url: str, name: str, rounds: int, log: str) -> None:
    engine = make_engine(url)
    for n in range(rounds):
        with writing(engine) as conn:
            started = time.monotonic()
            conn.execute(text("INSERT INTO notes (who, n) VALUES (:who, :n)"), {"who": name, "n": n})
            time.sleep(0.03)  # a long write: the other process would be inside it too, without the lock
            with open(log, "a") as out:
                out.write(f"{name} {started} {time.monotonic()}\n")
    engine.dispose()


def test_two_processes_writing_one_sqlite_file_take_turns(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (who TEXT, n INTEGER)"))
    log = tmp_path / "log.txt"
    context = multiprocessing.get_context("spawn")  # a fork of a test process with threads running may hang
    writers = [context.Process(target=_writer, args=(url, name, 4, str(log))) for name in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)
    assert [writer.exitcode for writer in writers] == [0, 0]

    lines = [line.split() for line in log.read_text().splitlines()]
    spans = sorted((float(start), float(end)) for _, start, end in lines)
    assert len(spans) == 8
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:]))  # never two at once
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar() == 8
    assert (tmp_path / "turns.db.writer").exists()
    engine.dispose()


def test_a_failed_write_rolls_back_and_frees_the_lock(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'undo.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (n INTEGER)"))
    with pytest.raises(RuntimeError), writing(engine) as conn:
        conn.execute(text("INSERT INTO notes VALUES (1)"))
        raise RuntimeError("stop")
    with writing(engine) as conn:  # not left locked
        conn.execute(text("INSERT INTO notes VALUES (2)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM notes")).scalars().all() == [2]
    engine.dispose()
