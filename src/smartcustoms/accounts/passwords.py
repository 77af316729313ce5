"""Passwords: argon2id hashes (argon2-cffi), a minimum length, and a rehash when the cost settings change."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from smartcustoms.refusals import Refusal

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing megabytes of "password" is a denial of service, not a login

DEFAULT_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


class PasswordError(Refusal):
    """A password the policy refuses."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(code, message, field="password", **params)


def make_hasher(time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError("password_too_short", f"the password must have at least {MIN_LENGTH} characters",
                            min_length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordError("password_too_long", f"the password may have at most {MAX_LENGTH} characters",
                            max_length=MAX_LENGTH)
    if not password.strip():
        raise PasswordError("password_blank", "the password may not be only spaces")


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    check_policy(password)
    return (hasher or DEFAULT_HASHER).hash(password)


def verify_password(stored_hash: str, password: str, hasher: PasswordHasher | None = None) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return (hasher or DEFAULT_HASHER).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, hasher: PasswordHasher | None = None) -> bool:
    try:
        return (hasher or DEFAULT_HASHER).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism).hash("nobody")


def waste_time(password: str, hasher: PasswordHasher | None = None) -> None:
    """Verify against a dummy hash of the same cost: an unknown username takes as long as a wrong password."""
    hasher = hasher or DEFAULT_HASHER
    verify_password(_dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism), password, hasher)
