"""API tokens a server has checked, so that a system lodging many declarations costs one primary-key read per
request (the accounts' change counter) instead of a token lookup. The counter is raised by database triggers in
the transaction of every change of a user, a scope or a token (migration 0009), so a revoked token, or a disabled
account, is refused by every server process at once: the cache trusts an entry only while the counter it was
checked under is the current one. `seconds` still bounds how long an entry is kept."""

import asyncio
import time
from collections.abc import Callable

from smartcustoms.accounts.service import User


class TokenCache:
    """token hash -> (the user it belonged to when checked, the change counter then), kept for `seconds` (0: not
    at all)."""

    def __init__(self, seconds: float, *, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._users: dict[str, tuple[User, float, int]] = {}

    def get(self, token_hash: str, counter: int = 0) -> User | None:
        found = self._users.get(token_hash)
        if found is None:
            return None
        if self.clock() >= found[1] or found[2] != counter:
            del self._users[token_hash]
            return None
        return found[0]

    def put(self, token_hash: str, user: User, counter: int = 0) -> None:
        if self.seconds <= 0:
            return
        if len(self._users) >= self.size:  # rare (that many systems at once): start over
            self._users.clear()
        self._users[token_hash] = (user, self.clock() + self.seconds, counter)


class SharedRead:
    """`read()` (the accounts' change counter) run off the event loop, one read at a time, shared by the requests
    that wait for it: a request arriving while a read is under way waits for the next one (a read begun before
    it came could miss a revocation committed just before), which every request arrived meanwhile shares. On
    PostgreSQL a read is a network round trip: made on the event loop for each request, it held every other
    request back for ~1 ms a time, tens of ms on a busy machine (issue 14: PostgreSQL's tail)."""

    def __init__(self, read: Callable[[], int]):
        self.read = read
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: asyncio.Future | None = None  # served by the next read, one not begun yet
        self._task: asyncio.Task | None = None

    async def current(self) -> int:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # another event loop (tests start several): start over
            self._loop, self._waiting, self._task = loop, None, None
        if self._waiting is None:
            self._waiting = loop.create_future()
        waiting = self._waiting
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._reads())
        return await asyncio.shield(waiting)

    async def _reads(self) -> None:
        while self._waiting is not None:
            served, self._waiting = self._waiting, None
            try:
                served.set_result(await asyncio.to_thread(self.read))
            except Exception as exc:  # noqa: BLE001 - each waiter gets it (the database away: a 503)
                served.set_exception(exc)
