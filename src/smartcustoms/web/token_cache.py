"""API tokens a server has checked lately, so that a system lodging many declarations costs one token lookup
every few seconds instead of one per request. A revoked token, or a disabled account, is refused by every
server within `seconds`."""

import time
from collections.abc import Callable

from smartcustoms.accounts.service import User


class TokenCache:
    """token hash -> the user it belonged to when checked, trusted for `seconds` (0: not at all)."""

    def __init__(self, seconds: float, *, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._users: dict[str, tuple[User, float]] = {}

    def get(self, token_hash: str) -> User | None:
        found = self._users.get(token_hash)
        if found is None:
            return None
        if self.clock() >= found[1]:
            del self._users[token_hash]
            return None
        return found[0]

    def put(self, token_hash: str, user: User) -> None:
        if self.seconds <= 0:
            return
        if len(self._users) >= self.size:  # rare (that many systems at once): start over
            self._users.clear()
        self._users[token_hash] = (user, self.clock() + self.seconds)
