"""Error handlers: the API answers ``{"detail": [{"loc", "msg", "type"}]}``; pages answer an HTML page in the
user's language, or send a stranger to the login form."""

import contextlib
import errno
import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartcustoms.refusals import Refusal
from smartcustoms.web import words
from smartcustoms.web.deps import principal
from smartcustoms.web.errors import NotAuthenticated, WebError
from smartcustoms.web.i18n import gettext
from smartcustoms.web.render import render

log = logging.getLogger(__name__)
FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # no space left, quota, file size limit
FULL_MESSAGE = "The server's storage is full: nothing was stored. Try again later."
AWAY_MESSAGE = "The database is not answering (restarting?): nothing was stored. Try again in a few seconds."


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _clean(error: dict) -> dict:
    return {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")).removeprefix("Value error, "),
            "type": error.get("type", "invalid")}


async def _page_user(request: Request) -> None:
    """Who is signed in, for the navigation of an error page (never raises)."""
    if request.method in ("GET", "HEAD") and not hasattr(request.state, "principal"):
        with contextlib.suppress(WebError):
            await principal(request, session_only=True)


def _error_page(request: Request, status: int, message: str, kind: str = ""):
    return render(request, "error.html", {"status": status, "message": message, "kind": kind}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError):
        if is_api(request):
            return JSONResponse({"detail": exc.errors()}, exc.status_code, headers=exc.headers)
        if isinstance(exc, NotAuthenticated):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target = target if request.method == "GET" else "/"  # back to a form's page, never to its POST
            login = request.app.url_path_for("login_form")
            return RedirectResponse(f"{login}?next={quote(target, safe='/')}", 303)
        await _page_user(request)
        return _error_page(request, exc.status_code, exc.message, exc.type)

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal):
        """A service's refusal that no route turned into a form's error: its status by its kind, its field as the
        ``loc``, its code as the ``type``, its words from the catalogues (the one place that decides these)."""
        field, _ = words.refusal(exc, "")
        message = words.say(exc, lambda text: gettext(request, text))
        if is_api(request):
            return JSONResponse({"detail": [{"loc": ["body", field] if field else [], "msg": message,
                                             "type": exc.code}]}, words.status_of(exc))
        await _page_user(request)
        return _error_page(request, words.status_of(exc), message, exc.code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        if is_api(request):
            return JSONResponse({"detail": [_clean(e) for e in exc.errors()]}, 422)
        await _page_user(request)
        return _error_page(request, 422, "; ".join(_clean(e)["msg"] for e in exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if is_api(request):
            return JSONResponse({"detail": [{"loc": [], "msg": str(exc.detail), "type": "http_error"}]},
                                exc.status_code, headers=getattr(exc, "headers", None))
        await _page_user(request)
        return _error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(OSError)
    async def os_error(request: Request, exc: OSError):
        """Storage full (a disk, a quota, a size limit; issue 14): a clean refusal, 507, nothing was stored (the
        evidence store writes to a temporary file it removes, the database rolls the transaction back). Any
        other OSError is the server's error, as before."""
        if exc.errno not in FULL:
            log.error("unexpected error", exc_info=exc)
            return PlainTextResponse("Internal Server Error", 500)
        log.error("storage full: %s", exc)
        message = gettext(request, FULL_MESSAGE)
        if is_api(request):
            return JSONResponse({"detail": [{"loc": [], "msg": message, "type": "storage_full"}]}, 507)
        await _page_user(request)
        return _error_page(request, 507, message, "storage_full")

    @app.exception_handler(OperationalError)
    async def database_away(request: Request, exc: OperationalError):
        """The database went away (PostgreSQL restarting, a network cut; issue 14): 503 with Retry-After, nothing
        was stored (the transaction did not commit), and the connection to the client stays open; the pool
        connects again once the database is back (store.db.ping_when_idle)."""
        log.error("database unavailable: %s", exc.orig or exc)
        message = gettext(request, AWAY_MESSAGE)
        headers = {"Retry-After": "2"}
        if is_api(request):
            return JSONResponse({"detail": [{"loc": [], "msg": message, "type": "database_unavailable"}]}, 503,
                                headers=headers)
        await _page_user(request)
        response = _error_page(request, 503, message, "database_unavailable")
        response.headers.update(headers)
        return response
