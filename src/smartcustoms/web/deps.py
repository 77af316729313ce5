"""Request dependencies: the database, who is calling (API token or session cookie), role checks and CSRF.

Use them with ``Annotated``: ``user: Annotated[User, require("trader")]`` for the API (token or session),
``user: Annotated[User, require_page("trader")]`` for pages (session only).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from smartcustoms.accounts import service as accounts
from smartcustoms.accounts.service import User
from smartcustoms.web.auth import same_token
from smartcustoms.web.errors import CsrfFailed, Forbidden, NotAuthenticated

SESSION_COOKIE = "sc_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Principal:
    user: User
    via: str  # "token" or "session"
    csrf: str | None = None  # the session's CSRF token
    cookie: str | None = None  # the session cookie's value


def get_db(request: Request) -> Engine:
    return request.app.state.db


Db = Annotated[Engine, Depends(get_db)]


def get_session(request: Request) -> Iterator[Connection]:
    """The request's unit of work: one connection in one transaction, committed when the route has answered,
    rolled back when it raised. Routes that read take it (one consistent view of the database per request);
    a route that changes something calls a service use case, which owns its transaction (a refusal inside it
    leaves nothing behind, even when the route then answers with a page)."""
    with request.app.state.db.begin() as conn:
        yield conn


Session = Annotated[Connection, Depends(get_session)]


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with a request: the X-CSRF-Token header, or the form's csrf_token field."""
    if request.headers.get(CSRF_HEADER):
        return request.headers[CSRF_HEADER]
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def principal(request: Request, session_only: bool = False) -> Principal | None:
    """Who calls: a bearer token (never for pages), else a session cookie; None when neither is sent. A bad
    token is refused outright; an unsafe request under a session must carry the session's CSRF token.

    The lookups are one indexed query each (about 0.2 ms), run on the event loop: a hop to the thread pool
    would cost three times as much as the query itself. API tokens are looked up once per `token_cache_seconds`
    (a system lodging hundreds of declarations a second would otherwise spend a tenth of the server's time
    on it)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    db = request.app.state.db
    found = None
    header = request.headers.get("authorization")
    if header and not session_only:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("the Authorization header must read 'Bearer sct_...'")
        user = await _token_user(request, token.strip())
        if user is None:
            raise NotAuthenticated("the API token is unknown or revoked, or its account is disabled")
        found = Principal(user, "token")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        session = accounts.session_user(db, cookie)
        if session is not None:
            found = Principal(session[0], "session", session[1], cookie)
            if request.method not in SAFE_METHODS and not same_token(found.csrf, await submitted_csrf(request)):
                raise CsrfFailed()
    request.state.principal = found
    return found


async def _token_user(request: Request, token: str) -> User | None:
    """The token's user, from the server's token cache when it checked the token under the accounts' current
    change counter (read first: a revocation after it changes it for the next request). On SQLite the counter is
    read here, on the event loop (in-process, ~0.1 ms); on a database server, off it, one read shared by the
    requests waiting for it (token_cache.SharedRead)."""
    cache, key, db = request.app.state.tokens, accounts.digest(token), request.app.state.db
    counter = (accounts.change_counter(db) if db.dialect.name == "sqlite"
               else await request.app.state.auth_counter.current())
    user = cache.get(key, counter)
    if user is None:
        user = accounts.user_for_token(request.app.state.db, token)
        if user is not None:
            cache.put(key, user, counter)
    return user


def _check(found: Principal | None, roles: tuple[str, ...]) -> User:
    if found is None:
        raise NotAuthenticated()
    if roles and found.user.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}; {found.user.username} is {found.user.role}")
    return found.user


def require(*roles: str):
    """An API dependency: the caller (token or session), who must have one of `roles` (any role if none)."""

    async def dependency(request: Request) -> User:
        return _check(await principal(request), roles)

    return Depends(dependency)


def require_page(*roles: str):
    """A page dependency: the signed-in user (session cookie only), who must have one of `roles`."""

    async def dependency(request: Request) -> User:
        return _check(await principal(request, session_only=True), roles)

    return Depends(dependency)


ApiUser = Annotated[User, require()]
SessionUser = Annotated[User, require_page()]
