"""The accounts' change counter on a database server: read off the event loop and shared by the requests that
wait for it, never older than a request (issue 14: a revocation is seen at once; PostgreSQL's tail)."""

import asyncio
import threading

from smartcustoms.web.token_cache import SharedRead


def test_requests_waiting_together_share_one_read_and_none_gets_a_read_begun_before_it():
    state = {"value": 0, "reads": 0}
    started, release = threading.Event(), threading.Event()

    def read() -> int:
        state["reads"] += 1
        seen = state["value"]
        started.set()
        release.wait(5)
        return seen

    async def scenario() -> tuple[list[int], list[int]]:
        shared = SharedRead(read)
        first = [asyncio.create_task(shared.current()) for _ in range(20)]
        await asyncio.to_thread(started.wait, 5)  # the first read is under way
        state["value"] = 1  # a revocation commits now
        started.clear()
        later = [asyncio.create_task(shared.current()) for _ in range(20)]
        release.set()
        return await asyncio.gather(*first), await asyncio.gather(*later)

    first, later = asyncio.run(scenario())
    assert first == [0] * 20  # one read for the twenty
    assert later == [1] * 20  # arrived during it: the next read, which sees the revocation
    assert state["reads"] == 2


def test_a_failed_read_fails_its_waiters_and_the_next_read_works():
    calls = []

    def read() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        return 7

    async def scenario():
        shared = SharedRead(read)
        failed = await asyncio.gather(shared.current(), shared.current(), return_exceptions=True)
        return failed, await shared.current()

    failed, value = asyncio.run(scenario())
    assert all(isinstance(f, ConnectionError) for f in failed) and value == 7
