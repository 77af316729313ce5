"""The control chain for what the web lodges: every few seconds, the declarations assessed since get their
clearance row (green and blue released, red and yellow held) and, in the red and yellow lanes, their
inspection task, as `smartcustoms control open` does after an import. Lodging stays as fast as it was, and an
officer sees a new red-lane declaration in the queue within `control_open_seconds`.

On a database that another process can reach (a file or a server), the opening runs in a process of its own:
in the server's process it held Python's lock for a tenth of a second every run, and the lodgings answered
meanwhile waited (the benchmark's p99 went from about 105 ms to 130-170 ms)."""

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Engine

from smartcustoms.control.inspections import open_controls
from smartcustoms.store.db import shared_database

log = logging.getLogger(__name__)
CHUNK = 200


class ControlOpener:
    def __init__(self, db: Engine, *, remote_offices: Iterable[str] = (), synchronous: str = "full"):
        self.db = db
        self.synchronous = synchronous  # SQLite: see store.db.checkpoint_in_background
        self.remote_offices = tuple(remote_offices)
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._shared = shared_database(db)

    def add(self, declaration_ids: Iterable[str]) -> None:
        with self._lock:
            self._pending.update(declaration_ids)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def run_once(self) -> dict[str, int] | None:
        """Open the controls of the declarations added since the last run (None when there are none). On an
        error they stay pending for the next run."""
        with self._lock:
            ids, self._pending = self._pending, set()
        if not ids:
            return None
        try:
            if not self._shared:
                return _open(sorted(ids), self.remote_offices, self.db)
            return self._process().submit(_open, sorted(ids), self.remote_offices).result()
        except Exception:
            self.add(ids)
            raise

    def _process(self) -> ProcessPoolExecutor:
        if self._pool is None:
            url = self.db.url.render_as_string(hide_password=False)
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_connect, initargs=(url, self.synchronous))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_engine: Engine | None = None  # in the opener's own process


def _connect(url: str, synchronous: str) -> None:
    global _engine
    from smartcustoms.store.db import checkpoint_in_background, make_engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the server stops this process
    os.nice(10)  # background work: lodging and answering go first when the cores are busy
    _engine = make_engine(url)
    checkpoint_in_background(_engine, synchronous=synchronous)  # not inside the write lock: see there


def _open(ids: list[str], remote_offices: tuple[str, ...], engine: Engine | None = None) -> dict[str, int]:
    """open_controls, CHUNK declarations per transaction: each holds the database's write lock for a few
    milliseconds, and lodging batches go in between (one transaction of 2,000 declarations held it for a
    tenth of a second, and every lodging waited)."""
    counts: dict[str, int] = {}
    for start in range(0, len(ids), CHUNK):
        done = open_controls(engine or _engine, declaration_ids=ids[start:start + CHUNK],
                             remote_offices=remote_offices)
        counts = {key: counts.get(key, 0) + value for key, value in done.items()}
    return counts


async def open_now(opener: ControlOpener) -> None:
    try:
        await asyncio.to_thread(opener.run_once)
    except Exception:  # noqa: BLE001 - they stay pending for the next run; `control open` also catches up
        log.exception("opening the controls of %s lodged declarations failed", opener.pending())


async def open_every(opener: ControlOpener, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        await open_now(opener)
