"""Micro-batching: submissions that arrive within a few milliseconds of each other are handled in one call.

Assessing one declaration costs about as much as assessing fifty, so the batcher gathers what is waiting and
what keeps arriving (until a ``settle`` window brings nothing new, or ``max_wait`` has passed), hands the batch
to ``handle`` (in a worker thread; a coroutine function is awaited), and gives each waiter its own result. Up
to ``concurrency`` batches run at a time (one by default; the server runs as many as it has lodging processes):
a batch that arrives while one is being handled need not wait for it.

A failure never spreads to batch neighbours: when ``handle`` raises for a batch of several items, each item is
handled again alone, so that only the items that fail alone get an error (the handler must be idempotent:
``submissions.lodge`` is, by declaration ID).
"""

import asyncio
import gc
import inspect
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


class MicroBatcher:
    """``handle(items) -> results`` (same length and order); a result that is an exception is raised to its
    waiter only. If ``handle`` itself raises for a batch of several items, each is handled again on its own
    (``isolated`` counts those batches): a waiter gets an error only when its own item fails alone."""

    def __init__(self, handle: Callable[[list], Sequence[Any]], max_wait: float = 0.02, max_size: int = 256,
                 settle: float = 0.001, concurrency: int = 1):
        if max_size < 1 or concurrency < 1:
            raise ValueError("max_size and concurrency must be at least 1")
        self.handle = handle
        self.concurrency = concurrency
        self.max_wait = max_wait
        self.max_size = max_size
        self.settle = settle
        self.batches = 0  # handled so far, with their items and the seconds spent in `handle` (metrics)
        self.items = 0
        self.busy = 0.0
        self.isolated = 0  # batches that failed whole and were handled again item by item
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _ensure_worker(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker is None or self._worker.done():
            self._loop = loop
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._run())

    async def submit(self, item) -> Any:
        """The item's result; its error is raised."""
        result = (await self.submit_many([item]))[0]
        if isinstance(result, BaseException):
            raise result
        return result

    async def submit_many(self, items: list) -> list:
        """Queue several items at once (they may be split over batches): results in their order, an item's
        error in its place (not raised)."""
        self._ensure_worker()
        futures = []
        for item in items:
            future = self._loop.create_future()
            self._queue.put_nowait((item, future))
            futures.append(future)
        return list(await asyncio.gather(*futures, return_exceptions=True))

    async def _gather(self) -> list:
        """The first waiting item, then everything that keeps arriving: the batch closes once a `settle` window
        brings nothing new, or `max_wait` after its first item, or at `max_size`."""
        loop = asyncio.get_running_loop()
        batch = [await self._queue.get()]
        deadline = loop.time() + self.max_wait
        while True:
            while len(batch) < self.max_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            remaining = deadline - loop.time()
            if len(batch) >= self.max_size or remaining <= 0:
                return batch
            await asyncio.sleep(min(self.settle, remaining))
            if self._queue.empty():
                return batch

    async def _run(self) -> None:
        free = asyncio.Semaphore(self.concurrency)
        running: set[asyncio.Task] = set()
        try:
            while True:
                await free.acquire()
                try:
                    batch = await self._gather()
                except BaseException:
                    free.release()
                    raise
                task = asyncio.create_task(self._serve(batch))
                running.add(task)
                task.add_done_callback(lambda done: (running.discard(done), free.release()))
        finally:
            for task in running:
                task.cancel()

    async def _serve(self, batch: list) -> None:
        """Handle one batch and give each waiter its result."""
        items = [item for item, _ in batch]
        started = time.perf_counter()
        try:
            results = await self._handle(items)
        except Exception as exc:  # noqa: BLE001 - the waiters get it, or each item is tried alone
            if len(items) == 1:
                results = [exc]
            else:
                self.isolated += 1
                results = [await self._handle_alone(item) for item in items]
        self.batches += 1
        self.items += len(items)
        self.busy += time.perf_counter() - started
        for (_, future), result in zip(batch, results):
            if future.done():  # its waiter gave up (client gone)
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _handle(self, items: list) -> Sequence[Any]:
        results = await (self.handle(items) if inspect.iscoroutinefunction(self.handle)
                         else asyncio.to_thread(self.handle, items))
        if len(results) != len(items):
            raise RuntimeError(f"the batch handler gave {len(results)} results for {len(items)} items")
        return results

    async def _handle_alone(self, item) -> Any:
        try:
            return (await self._handle([item]))[0]
        except Exception as exc:  # noqa: BLE001 - this item's waiter gets it
            return exc

    async def close(self) -> None:
        worker, loop = self._worker, self._loop
        self._worker = None
        if worker is None or worker.done():
            return
        if loop is not asyncio.get_running_loop():  # started by another event loop (a test client's): stop it there
            if not loop.is_closed():
                loop.call_soon_threadsafe(worker.cancel)
            return
        worker.cancel()
        try:
            await worker
        except asyncio.CancelledError:
            pass


QUIET = (50_000, 20, 20)  # the collector's thresholds while serving


@contextmanager
def quiet_collector(threshold: tuple[int, int, int] = QUIET) -> Iterator[None]:
    """While the server runs, keep Python's cyclic garbage collector out of the latencies: what is alive once
    the server has started (modules, the fitted risk engine: a few hundred thousand objects) is frozen out of
    every collection, and the young generation is collected after `threshold[0]` allocations instead of 700.
    Without it, collections took about 14 % of a loaded server's time, some of them over 100 ms each (all
    requests wait: the collector holds the GIL). Undone on leaving (tests start many servers in one process)."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
