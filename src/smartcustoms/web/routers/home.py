"""The home page of every role: the account, the latest declarations it may see; for admins, the risk engine."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.control import service as control_service
from smartcustoms.web.deps import Db, SessionUser, require_page
from smartcustoms.web.render import render

router = APIRouter(include_in_schema=False)
LATEST = 10


@router.get("/", name="home")
def home(request: Request, user: SessionUser, db: Db):
    latest, total = control_service.declaration_page(db, user, LATEST, 0)
    risk = request.app.state.risk.info() if user.role == "admin" else None
    return render(request, "home.html", {"latest": latest, "total": total, "risk": risk,
                                         "refitted": request.query_params.get("refitted") == "1"})


@router.post("/admin/refit", name="admin_refit")
async def admin_refit(request: Request, user: Annotated[User, require_page("admin")]):
    await run_in_threadpool(request.app.state.risk.refit)
    return RedirectResponse(request.app.url_path_for("home") + "?refitted=1", 303)
