"""Logging in: passwords checked against argon2 hashes, with throttling of repeated failures; CSRF tokens."""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from smartcustoms.accounts import service as accounts
from smartcustoms.accounts.service import Bind, User, needs_rehash, verify_password, waste_time
from smartcustoms.store.db import utc_now


class LoginFailed(ValueError):
    """Wrong username or password (the message never says which)."""


class LoginThrottled(ValueError):
    """Too many failed logins for this username or from this address; try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins: try again in {retry_after} seconds")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    limit: int = 5  # failed logins per username, or per address, within the window
    window: timedelta = timedelta(minutes=15)


def login(bind: Bind, username: str, password: str, address: str, *, throttle: Throttle = Throttle(),
          hasher: PasswordHasher | None = None, at: datetime | None = None) -> User:
    """The user, when the password is right and no throttle applies; every attempt is recorded.

    While `throttle.limit` failures of this username (since its last success) or from this address lie within
    the window, logins are refused without looking at the password, until the oldest of them leaves it."""
    now = at or utc_now()
    by_name, by_address = accounts.recent_failures(bind, username, address, now - throttle.window)
    blocking = [times for times in (by_name, by_address) if len(times) >= throttle.limit]
    if blocking:
        until = max(times[-throttle.limit] for times in blocking) + throttle.window
        raise LoginThrottled(max(1, math.ceil((until - now).total_seconds())))
    found = accounts.password_hash_of(bind, username)
    if found is None:
        waste_time(password, hasher)
        ok = False
    else:
        user, stored = found
        ok = verify_password(stored, password, hasher) and user.active
    accounts.record_attempt(bind, username, address, ok, at=now)
    if not ok:
        raise LoginFailed("wrong username or password")
    if needs_rehash(stored, hasher):  # the cost settings changed since the hash was made
        accounts.set_password(bind, user.username, password, hasher, end_sessions=False)
    return user


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return bool(expected) and bool(given) and secrets.compare_digest(expected.encode(), given.encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "testserver"})  # testserver: Starlette's test client


def secure_cookies(request) -> bool:
    """Whether cookies carry the Secure flag: the setting when given, else on for every site but one reached as
    localhost (a developer's machine, the tests): outside it, sessions travel over HTTPS only."""
    setting = request.app.state.settings.cookie_secure
    if setting is not None:
        return setting
    host = (request.url.hostname or "").lower()
    return not (host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127."))
