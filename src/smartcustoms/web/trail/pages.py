"""GET /trail: the audit trail's chains for supervisors and administrators (the page of GET /api/v1/trail)."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Request

from smartcustoms.accounts.service import User
from smartcustoms.trail import service
from smartcustoms.web.deps import require_page
from smartcustoms.web.i18n import N_
from smartcustoms.web.render import render

router = APIRouter(include_in_schema=False)
Supervisor = Annotated[User, require_page("supervisor", "admin")]
TABLES = {"decisions": N_("Lane decisions"), "decision_overrides": N_("Lane changes by officers"),
          "task_events": N_("Control task events"), "outcomes": N_("Control results")}


@router.get("/trail", name="trail_state")
async def trail_page(request: Request, user: Supervisor):
    states = await asyncio.to_thread(service.verify, request.app.state.db)
    return render(request, "trail/state.html", {"states": states, "tables": TABLES})
