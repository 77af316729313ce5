"""Micro-batching: concurrent submissions are handled together, each waiter gets its own answer."""

import asyncio
import threading

import httpx
import pytest
from conftest import declaration

from smartcustoms.web.runtime.batcher import MicroBatcher


def run(coroutine):
    return asyncio.run(coroutine)


def test_concurrent_items_are_handled_in_one_batch_and_answered_one_by_one():
    calls = []

    def handle(items):
        calls.append(list(items))
        return [item * 10 for item in items]

    async def main():
        batcher = MicroBatcher(handle, max_wait=0.05)
        results = await asyncio.gather(*[batcher.submit(n) for n in range(20)])
        await batcher.close()
        return results

    assert run(main()) == [n * 10 for n in range(20)]
    assert calls == [list(range(20))]


def test_a_coroutine_handler_is_awaited_in_the_event_loop_and_a_plain_one_runs_in_a_worker_thread():
    threads = {}

    async def handle_async(items):
        threads["async"] = threading.current_thread()
        await asyncio.sleep(0)
        return [item + 1 for item in items]

    def handle_plain(items):
        threads["plain"] = threading.current_thread()
        return [item + 2 for item in items]

    async def main():
        answers = []
        for handle in (handle_async, handle_plain):
            batcher = MicroBatcher(handle, max_wait=0.01)
            answers.append(await asyncio.gather(*[batcher.submit(n) for n in range(3)]))
            await batcher.close()
        return answers

    assert run(main()) == [[1, 2, 3], [2, 3, 4]]
    assert threads["async"] is threading.main_thread() and threads["plain"] is not threading.main_thread()


def test_with_a_concurrency_of_two_a_batch_arriving_meanwhile_is_handled_beside_the_first():
    """The server lodges in two processes: a batch that forms while one is being handled does not wait for it;
    with a concurrency of one it does."""

    async def main(concurrency):
        running, most = 0, 0

        async def handle(items):
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.05)
            running -= 1
            return [item * 2 for item in items]

        batcher = MicroBatcher(handle, max_wait=0, settle=0, concurrency=concurrency)
        first = asyncio.ensure_future(batcher.submit_many([1, 2]))
        await asyncio.sleep(0.01)  # the first batch is being handled
        second = await batcher.submit_many([3])
        results = (await first, second)
        await batcher.close()
        return results, most

    assert run(main(2)) == (([2, 4], [6]), 2)
    assert run(main(1)) == (([2, 4], [6]), 1)
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, concurrency=0)


def test_batches_never_exceed_max_size_and_keep_order():
    calls = []

    def handle(items):
        calls.append(len(items))
        return [f"done {item}" for item in items]

    async def main():
        batcher = MicroBatcher(handle, max_wait=0.02, max_size=8)
        results = await batcher.submit_many(list(range(30)))
        await batcher.close()
        return results

    assert run(main()) == [f"done {n}" for n in range(30)]
    assert max(calls) <= 8 and sum(calls) == 30


def test_an_items_error_goes_to_its_waiter_only():
    def handle(items):
        return [ValueError(f"bad {item}") if item % 2 else item for item in items]

    async def main():
        batcher = MicroBatcher(handle, max_wait=0.02)
        outcomes = await asyncio.gather(*[batcher.submit(n) for n in range(4)], return_exceptions=True)
        await batcher.close()
        return outcomes

    outcomes = run(main())
    assert outcomes[0] == 0 and outcomes[2] == 2
    assert isinstance(outcomes[1], ValueError) and str(outcomes[3]) == "bad 3"


def test_a_failing_batch_fails_only_the_item_that_fails_alone_and_the_next_batch_still_runs():
    def handle(items):
        if "boom" in items:
            raise RuntimeError("database down")
        return items

    async def main():
        batcher = MicroBatcher(handle, max_wait=0.02)
        first = await asyncio.gather(batcher.submit("a"), batcher.submit("boom"), return_exceptions=True)
        second = await batcher.submit("b")
        await batcher.close()
        return first, second

    first, second = run(main())
    assert first[0] == "a" and isinstance(first[1], RuntimeError) and second == "b"  # issue 14: "a" is not failed


def test_the_handler_runs_outside_the_event_loop_thread():
    threads = []

    def handle(items):
        threads.append(threading.get_ident())
        return items

    async def main():
        batcher = MicroBatcher(handle, max_wait=0)
        await batcher.submit(1)
        await batcher.close()
        return threading.get_ident()

    loop_thread = run(main())
    assert threads and threads[0] != loop_thread


def test_a_batch_takes_what_keeps_arriving_and_closes_when_a_settle_window_brings_nothing():
    calls = []

    def handle(items):
        calls.append(list(items))
        return items

    async def trickle(batcher, items, gap):
        waiters = []
        for item in items:
            waiters.append(asyncio.create_task(batcher.submit(item)))
            await asyncio.sleep(gap)
        return await asyncio.gather(*waiters)

    async def main():
        batcher = MicroBatcher(handle, max_wait=1.0, settle=0.05)
        steady = await trickle(batcher, range(5), 0.005)  # closer together than `settle`: one batch
        started = asyncio.get_running_loop().time()
        alone = await batcher.submit("alone")  # nobody follows: it waits one settle window, not max_wait
        waited = asyncio.get_running_loop().time() - started
        await batcher.close()
        return steady, alone, waited

    steady, alone, waited = run(main())
    assert steady == list(range(5)) and alone == "alone"
    assert calls == [list(range(5)), ["alone"]]
    assert waited < 0.5


def test_max_size_must_be_positive():
    with pytest.raises(ValueError, match="max_size"):
        MicroBatcher(lambda items: items, max_size=0)


def test_concurrent_http_submissions_share_batches_and_each_gets_its_own_lane(app, people):
    app.state.batcher.max_wait = 0.05

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*[
                client.post("/api/v1/declarations", json=declaration(f"P{n}"), headers=people["alice"].bearer)
                for n in range(12)])
        await app.state.batcher.close()
        return answers

    answers = run(main())
    assert [a.status_code for a in answers] == [201] * 12
    assert [a.json()["declaration_id"] for a in answers] == [f"P{n}" for n in range(12)]
    assert app.state.batcher.batches < 12  # they were assessed together, not one by one
