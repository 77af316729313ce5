"""Accounts' use cases: create users and set their passwords, roles and scopes; API tokens and sessions (secrets
kept as their SHA-256, so a copy of the database opens no door); login attempts. Every function takes the Engine
(its own transaction) or a Connection (the caller's)."""

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from smartcustoms.accounts.passwords import (  # noqa: F401 - the web's and CLI's way to them
    DEFAULT_HASHER,
    PasswordError,
    check_policy,
    hash_password,
    make_hasher,
    needs_rehash,
    verify_password,
    waste_time,
)
from smartcustoms.accounts.schemas import CHANNELS, ROLES, SCOPE_KINDS, Token, User  # noqa: F401
from smartcustoms.accounts.tables import (  # noqa: F401
    api_tokens,
    auth_changes,
    login_attempts,
    submissions,
    user_scopes,
    user_sessions,
    users,
)
from smartcustoms.refusals import Kind, Refusal
from smartcustoms.store.db import transaction, utc_now

Bind = Engine | Connection
TOKEN_PREFIX = "sct_"


class AccountError(Refusal):
    """A request about accounts that cannot be done (unknown user, bad role or scope, ...)."""

    def __init__(self, code: str, message: str, *, field: str | None = None, kind: Kind = Kind.INVALID, **params):
        super().__init__(code, message, field=field, kind=kind, **params)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_SCOPE_VALUE = re.compile(r"^[A-Za-z0-9._/-]{1,35}$")


def normal_username(username: str) -> str:
    """Usernames are compared in lower case."""
    return (username or "").strip().lower()


def _check_username(username: str) -> str:
    name = normal_username(username)
    if not _USERNAME.match(name):
        raise AccountError("username_invalid",
                           f"username {username!r} must be 2 to 64 characters: letters, digits, . _ @ -",
                           field="username")
    return name


def _check_scopes(role: str, importers: Iterable[str], declarants: Iterable[str],
                  offices: Iterable[str]) -> list[tuple[str, str]]:
    if role not in ROLES:
        raise AccountError("role_unknown", f"unknown role {role!r}: use one of {', '.join(ROLES)}", field="role",
                           role=role)
    scopes = [("importer", v) for v in importers] + [("declarant", v) for v in declarants] + [
        ("office", v) for v in offices]
    for kind, value in scopes:
        if not _SCOPE_VALUE.match(value or ""):
            raise AccountError("scope_invalid", f"{kind} ID {value!r} is not a valid identifier", kind_of=kind,
                                   value=value)
    kinds = {kind for kind, _ in scopes}
    if role == "trader" and not kinds & {"importer", "declarant"}:
        raise AccountError("trader_needs_scope", "a trader must be bound to at least one importer or declarant ID")
    if role == "trader" and "office" in kinds:
        raise AccountError("trader_no_offices", "a trader is bound to importer and declarant IDs, not to offices")
    if role == "officer" and kinds != {"office"}:
        raise AccountError("officer_needs_office",
                           "an officer must be bound to at least one office, and only to offices")
    if role not in ("trader", "officer") and scopes:
        raise AccountError("role_sees_all", f"a {role} sees every declaration: give no importer, declarant or office",
                           role=role)
    return sorted(set(scopes))


_USER_COLUMNS = (users.c.user_id, users.c.username, users.c.role, users.c.active, users.c.created_at,
                 user_scopes.c.kind, user_scopes.c.value)
_WITH_SCOPES = users.outerjoin(user_scopes, user_scopes.c.user_id == users.c.user_id)
_ORDER = (users.c.username, user_scopes.c.kind, user_scopes.c.value)
# the two lookups of every request, built once: building a statement costs more than running it
_BY_TOKEN = select(*_USER_COLUMNS).select_from(_WITH_SCOPES).where(
    users.c.active.is_(True),
    users.c.user_id == select(api_tokens.c.user_id).where(
        api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None)).scalar_subquery(),
).order_by(*_ORDER)
_BY_SESSION = select(*_USER_COLUMNS, user_sessions.c.csrf_token).select_from(
    _WITH_SCOPES.join(user_sessions, user_sessions.c.user_id == users.c.user_id)
).where(
    users.c.active.is_(True), user_sessions.c.session_hash == bindparam("session_hash"),
    user_sessions.c.expires_at > bindparam("now"),
).order_by(*_ORDER)


def _to_users(rows) -> list[User]:
    """Rows of a user joined with its scopes, as User objects."""
    found: dict[int, dict] = {}
    for row in rows:
        user = found.setdefault(row.user_id, {
            "user_id": row.user_id, "username": row.username, "role": row.role, "active": row.active,
            "created_at": row.created_at, "importer": [], "declarant": [], "office": []})
        if row.kind is not None:
            user[row.kind].append(row.value)
    return [User(user_id=u["user_id"], username=u["username"], role=u["role"], active=u["active"],
                 importer_ids=tuple(u["importer"]), declarant_ids=tuple(u["declarant"]),
                 office_ids=tuple(u["office"]), created_at=u["created_at"]) for u in found.values()]


def _users(conn: Connection, *where) -> list[User]:
    return _to_users(conn.execute(select(*_USER_COLUMNS).select_from(_WITH_SCOPES).where(*where).order_by(*_ORDER)))


def _user_id(conn: Connection, username: str) -> int:
    user_id = conn.execute(select(users.c.user_id).where(users.c.username == normal_username(username))
                           ).scalar_one_or_none()
    if user_id is None:
        raise AccountError("user_unknown", f"no user {username!r}", kind=Kind.NOT_FOUND, username=username)
    return user_id


# --- users ------------------------------------------------------------------------------------------------------


def create_user(bind: Bind, username: str, password: str, role: str, *, importers: Iterable[str] = (),
                declarants: Iterable[str] = (), offices: Iterable[str] = (), hasher: PasswordHasher | None = None,
                at: datetime | None = None) -> User:
    """A new account; traders are bound to importer/declarant IDs, officers to offices."""
    name = _check_username(username)
    scopes = _check_scopes(role, importers, declarants, offices)
    password_hash = hash_password(password, hasher)
    with transaction(bind) as conn:
        if conn.execute(select(users.c.user_id).where(users.c.username == name)).first() is not None:
            raise AccountError("user_exists", f"user {name!r} exists already", field="username", kind=Kind.CONFLICT,
                               username=name)
        user_id = conn.execute(insert(users).values(
            username=name, password_hash=password_hash, role=role, active=True, created_at=at or utc_now(),
        ).returning(users.c.user_id)).scalar_one()
        if scopes:
            conn.execute(insert(user_scopes), [{"user_id": user_id, "kind": k, "value": v} for k, v in scopes])
        return _users(conn, users.c.user_id == user_id)[0]


def get_user(bind: Bind, username: str) -> User | None:
    with transaction(bind) as conn:
        found = _users(conn, users.c.username == normal_username(username))
    return found[0] if found else None


def list_users(bind: Bind) -> list[User]:
    with transaction(bind) as conn:
        return _users(conn)


def password_hash_of(bind: Bind, username: str) -> tuple[User, str] | None:
    """The user and the stored hash, for a login (None for an unknown username)."""
    with transaction(bind) as conn:
        found = _users(conn, users.c.username == normal_username(username))
        if not found:
            return None
        stored = conn.execute(select(users.c.password_hash).where(users.c.user_id == found[0].user_id)).scalar_one()
    return found[0], stored


def set_password(bind: Bind, username: str, password: str, hasher: PasswordHasher | None = None, *,
                 end_sessions: bool = True) -> None:
    """A new password; the user's open sessions end (API tokens stay: revoke them on their own)."""
    password_hash = hash_password(password, hasher)
    with transaction(bind) as conn:
        user_id = _user_id(conn, username)
        conn.execute(update(users).where(users.c.user_id == user_id).values(password_hash=password_hash))
        if end_sessions:
            conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id))


def set_active(bind: Bind, username: str, active: bool) -> None:
    """Disable an account (its sessions end and its tokens stop working) or enable it again."""
    with transaction(bind) as conn:
        user_id = _user_id(conn, username)
        conn.execute(update(users).where(users.c.user_id == user_id).values(active=active))
        if not active:
            conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id))


# --- API tokens -------------------------------------------------------------------------------------------------


def create_token(bind: Bind, username: str, name: str, *, at: datetime | None = None) -> tuple[int, str]:
    """A new API token for a user: returns (token ID, the token), the token being shown this once only."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise AccountError("token_name_invalid", "a token needs a name of 1 to 100 characters (what system uses it)",
                           field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(bind) as conn:
        user_id = _user_id(conn, username)
        token_id = conn.execute(insert(api_tokens).values(
            user_id=user_id, name=name, token_hash=digest(token), prefix=token[:12], created_at=at or utc_now(),
        ).returning(api_tokens.c.token_id)).scalar_one()
    return token_id, token


def revoke_token(bind: Bind, token_id: int, *, at: datetime | None = None) -> None:
    with transaction(bind) as conn:
        row = conn.execute(select(api_tokens.c.revoked_at).where(api_tokens.c.token_id == token_id)).first()
        if row is None:
            raise AccountError("token_unknown", f"no API token {token_id}", kind=Kind.NOT_FOUND, token_id=token_id)
        if row.revoked_at is not None:
            raise AccountError("token_revoked", f"API token {token_id} was revoked already, on "
                               f"{row.revoked_at:%Y-%m-%d %H:%M}", kind=Kind.CONFLICT, token_id=token_id,
                               revoked_at=row.revoked_at)
        conn.execute(update(api_tokens).where(api_tokens.c.token_id == token_id).values(revoked_at=at or utc_now()))


def list_tokens(bind: Bind, username: str | None = None) -> list[Token]:
    query = (select(api_tokens, users.c.username).join(users, users.c.user_id == api_tokens.c.user_id)
             .order_by(api_tokens.c.token_id))
    if username is not None:
        query = query.where(users.c.username == normal_username(username))
    with transaction(bind) as conn:
        return [Token(row.token_id, row.username, row.name, row.prefix, row.created_at, row.revoked_at)
                for row in conn.execute(query)]


def change_counter(bind: Bind) -> int:
    """A number that changes whenever a user, a scope or an API token changes (database triggers raise it, in
    the transaction of the change): one primary-key read, for the servers' token caches."""
    with transaction(bind) as conn:
        return conn.execute(select(auth_changes.c.counter).where(auth_changes.c.id == 1)).scalar() or 0


def user_for_token(bind: Bind, token: str) -> User | None:
    """The active user of a token that is not revoked."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with transaction(bind) as conn:
        found = _to_users(conn.execute(_BY_TOKEN, {"token_hash": digest(token)}))
    return found[0] if found else None


# --- sessions ---------------------------------------------------------------------------------------------------


def create_session(bind: Bind, user_id: int, hours: float, *, at: datetime | None = None) -> tuple[str, str]:
    """A new session: returns (cookie value, CSRF token). Expired sessions are swept on the way."""
    now = at or utc_now()
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with transaction(bind) as conn:
        conn.execute(delete(user_sessions).where(user_sessions.c.expires_at <= now))
        conn.execute(insert(user_sessions).values(session_hash=digest(cookie), user_id=user_id, csrf_token=csrf,
                                                  created_at=now, expires_at=now + timedelta(hours=hours)))
    return cookie, csrf


def session_user(bind: Bind, cookie: str, *, at: datetime | None = None) -> tuple[User, str] | None:
    """The active user of a session that has not expired, and the session's CSRF token."""
    with transaction(bind) as conn:
        rows = conn.execute(_BY_SESSION, {"session_hash": digest(cookie), "now": at or utc_now()}).all()
    return (_to_users(rows)[0], rows[0].csrf_token) if rows else None


def end_session(bind: Bind, cookie: str) -> None:
    with transaction(bind) as conn:
        conn.execute(delete(user_sessions).where(user_sessions.c.session_hash == digest(cookie)))


# --- login attempts ---------------------------------------------------------------------------------------------


def record_attempt(bind: Bind, username: str, address: str, success: bool, *, at: datetime | None = None) -> None:
    """One login attempt; attempts older than a day are swept on the way."""
    now = at or utc_now()
    with transaction(bind) as conn:
        conn.execute(delete(login_attempts).where(login_attempts.c.at < now - timedelta(days=1)))
        conn.execute(insert(login_attempts).values(username=normal_username(username)[:64], address=address[:64],
                                                   at=now, success=success))


def recent_failures(bind: Bind, username: str, address: str,
                    since: datetime) -> tuple[list[datetime], list[datetime]]:
    """Times of the failed attempts since `since` for this username (after its last success) or from this
    address, oldest first."""
    name = normal_username(username)[:64]
    with transaction(bind) as conn:
        last_success = conn.execute(select(func.max(login_attempts.c.at)).where(
            login_attempts.c.username == name, login_attempts.c.success.is_(True))).scalar_one()
        by_name_since = max(since, last_success) if last_success is not None else since
        by_name = conn.execute(select(login_attempts.c.at).where(
            login_attempts.c.username == name, login_attempts.c.success.is_(False),
            login_attempts.c.at > by_name_since)).scalars().all()
        by_address = conn.execute(select(login_attempts.c.at).where(
            login_attempts.c.address == address[:64], login_attempts.c.success.is_(False),
            login_attempts.c.at > since)).scalars().all()
    return sorted(by_name), sorted(by_address)
