"""Lodging in a process of its own: the server's process reads requests and writes answers while another
process stores, assesses and records the batches, so that the two run on two cores instead of taking turns
on Python's lock. Used on a database that another process can reach (a file or a server); an in-memory
database is lodged in the server's process.

There are ``processes`` of them (SMARTCUSTOMS_LODGING_PROCESSES, one by default), each lodging a batch at a
time: with more than one, a batch that arrives while another is being lodged does not wait for it (the writes
still take turns on the database; two batches lodging the same declaration are resolved as two server processes'
are: submissions.lodge). On two cores it gained nothing (bench_web.py at 200 lodgings/s: the batches got smaller
and the cores were then busy with their fixed costs); it pays where the server has cores to spare.

The risk engine is sent to each process before its first batch and again only when the server swaps it (a refit,
a profile published): a process keeps the last one it was sent. The process builds its frames with NumPy object
strings rather than pandas' Arrow strings: on batches of a few declarations, converting to Arrow and back made
a batch take a third longer (benchmarks/bench_lodging.py; the decisions are the same:
tests/web/test_lodging_process.py)."""

import asyncio
import gc
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from sqlalchemy import Engine

from smartcustoms.risk.service import RiskEngine
from smartcustoms.web.runtime.batcher import QUIET
from smartcustoms.web.runtime.processes import die_with_parent


class _Slot:
    """One lodging process: its pool of one, and the engine it holds."""

    def __init__(self):
        self.pool: ProcessPoolExecutor | None = None
        self.sent: RiskEngine | None = None


class LodgingProcess:
    def __init__(self, db: Engine, *, synchronous: str = "full", remote_offices=(), processes: int = 1):
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.url = db.url.render_as_string(hide_password=False)
        self.synchronous = synchronous  # SQLite: see store.db.checkpoint_in_background
        self.remote_offices = tuple(remote_offices)  # where red-lane tasks may be remote (the chain it opens)
        self.processes = processes
        self._slots = [_Slot() for _ in range(processes)]
        self._free: asyncio.Queue | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, risk: RiskEngine) -> None:
        """Start the processes and give each the engine (at the server's startup: the first batches need not
        wait)."""
        await asyncio.gather(*(self.lodge(risk, None) for _ in self._slots))

    async def lodge(self, risk: RiskEngine, batch: list | None, at: datetime | None = None) -> list:
        """`submissions.lodge(db, risk, batch, at=at)`, run in a free lodging process (one batch at a time each).
        If that process dies (killed, out of memory), the batch goes once more to a new one: lodging again what was
        lodged is harmless."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # another event loop (tests start several): every process is free there
            self._loop, self._free = loop, asyncio.Queue()
            for slot in self._slots:
                self._free.put_nowait(slot)
        slot = await self._free.get()
        try:
            return await self._lodge_in(slot, risk, batch, at)
        finally:
            self._free.put_nowait(slot)

    async def _lodge_in(self, slot: _Slot, risk: RiskEngine, batch: list | None, at: datetime | None) -> list:
        for attempt in range(2):
            if slot.pool is None:
                slot.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_connect, initargs=(self.url, self.synchronous))
                slot.sent = None
            engine = None if risk is slot.sent else risk
            try:
                results = await asyncio.wrap_future(slot.pool.submit(_lodge, engine, batch, at, self.remote_offices))
            except BrokenProcessPool:
                slot.pool = None
                if attempt:
                    raise
                continue
            except BaseException:
                slot.sent = None  # whether the process took the engine is not known: it is sent again
                raise
            slot.sent = risk
            return results
        raise AssertionError("unreachable")

    def close(self) -> None:
        for slot in self._slots:
            if slot.pool is not None:
                slot.pool.shutdown()
                slot.pool = None


_db: Engine | None = None  # in the lodging process
_risk: RiskEngine | None = None


def _connect(url: str, synchronous: str) -> None:
    global _db
    die_with_parent()  # a kill -9 of the server ends this process too (it holds the database open)
    import warnings

    import pandas as pd

    from smartcustoms.store.db import checkpoint_in_background, make_engine

    with warnings.catch_warnings():  # an option that pandas 4 will drop: NumPy object strings (see above)
        warnings.simplefilter("ignore")
        pd.set_option("future.infer_string", False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the server stops this process
    gc.set_threshold(*QUIET)
    _db = make_engine(url)
    checkpoint_in_background(_db, synchronous=synchronous)  # not inside the write lock: see there


def _lodge(engine: RiskEngine | None, batch: list | None, at: datetime | None, remote_offices=()) -> list:
    """Lodge `batch` (None: only take the engine) with `engine`, or the last one given."""
    global _risk
    from smartcustoms.web.submissions import lodge

    if engine is not None:
        _risk = engine
        # as in the server (batcher.quiet_collector): what is alive now, the engine mostly, is left out of every
        # collection (a full one took 150 ms here, with the batch waiting); the previous engine is freed first
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    return [] if batch is None else lodge(_db, _risk, batch, at=at, remote_offices=remote_offices)
