"""Error handlers: the API answers ``{"detail": [{"loc", "msg", "type"}]}``; pages answer an HTML page in the
user's language, or send a stranger to the login form."""

import contextlib
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartcustoms.refusals import Refusal
from smartcustoms.web import words
from smartcustoms.web.deps import principal
from smartcustoms.web.errors import NotAuthenticated, WebError
from smartcustoms.web.i18n import gettext
from smartcustoms.web.render import render


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
