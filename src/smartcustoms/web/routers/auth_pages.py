"""Signing in and out (pages): a login form protected by a double-submit CSRF cookie, throttled logins, and a
session cookie (HttpOnly, SameSite=Lax, Secure when configured)."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts import service as accounts
from smartcustoms.accounts.service import User
from smartcustoms.web.auth import LoginFailed, LoginThrottled, Throttle, login, new_token, same_token, secure_cookies
from smartcustoms.web.deps import SESSION_COOKIE, principal, require_page
from smartcustoms.web.errors import CsrfFailed, WebError
from smartcustoms.web.i18n import N_, gettext
from smartcustoms.web.render import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "sc_login_csrf"


def safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(request: Request, next_path: str, error: str | None = None, status_code: int = 200,
                username: str = ""):
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token()
    response = render(request, "login.html", {"next": next_path, "error": error, "login_csrf": token,
                                              "username": username}, status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure_cookies(request), path="/login")
    return response


@router.get("/login", name="login_form")
async def login_form(request: Request, next: str | None = None):
    try:
        signed_in = await principal(request, session_only=True)
    except WebError:
        signed_in = None
    if signed_in is not None:
        return RedirectResponse(safe_next(next), 303)
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login_submit(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                       password: Annotated[str, Form(max_length=2000)] = "",
                       csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        raise CsrfFailed()
    app = request.app
    settings = app.state.settings
    throttle = Throttle(settings.login_limit, timedelta(minutes=settings.login_window_minutes))
    address = request.client.host if request.client else "unknown"
    try:
        user = await run_in_threadpool(login, app.state.db, username, password, address, throttle=throttle,
                                       hasher=app.state.hasher)
    except LoginThrottled as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        message = gettext(request, N_("Too many failed sign-ins. Try again in %(minutes)d min.")) % {
            "minutes": minutes}
        response = _login_page(request, safe_next(next), message, 429, username)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LoginFailed:
        return _login_page(request, safe_next(next), gettext(request, N_("Wrong username or password.")), 401,
                           username)
    cookie, _ = await run_in_threadpool(accounts.create_session, app.state.db, user.user_id, settings.session_hours)
    response = RedirectResponse(safe_next(next), 303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(settings.session_hours * 3600), httponly=True,
                        samesite="lax", secure=secure_cookies(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, user: Annotated[User, require_page()]):
    await run_in_threadpool(accounts.end_session, request.app.state.db, request.state.principal.cookie)
    response = RedirectResponse(request.app.url_path_for("login_form"), 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
