"""API tokens a server has checked, so that a system lodging many declarations costs one primary-key read per
request (the accounts' change counter) instead of a token lookup. The counter is raised by database triggers in
the transaction of every change of a user, a scope or a token (migration 0009), so a revoked token, or a disabled
account, is refused by every server process at once: the cache trusts an entry only while the counter it was
checked under is the current one. `seconds` still bounds how long an entry is kept."""

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
