"""GET /api/v1/trail: the state of the tamper-evident audit trail's chains (supervisors and administrators), and
the server's sealing loop."""

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel

from smartcustoms.accounts.service import User
from smartcustoms.trail import service
from smartcustoms.web.deps import require

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["trail"])
Supervisor = Annotated[User, require("supervisor", "admin")]


class ChainState(BaseModel):
    table: str
    sealed: int
    unsealed: int
    intact: bool
    problems: list[str]


@router.get("/trail", response_model=list[ChainState])
async def trail_state(request: Request, user: Supervisor):
    """Each chain (decisions, overrides, task events, outcomes): rows sealed, rows not sealed yet, and every row
    edited, inserted or deleted since it was sealed."""
    states = await asyncio.to_thread(service.verify, request.app.state.db)
    return [ChainState(table=s.table, sealed=s.sealed, unsealed=s.unsealed, intact=s.intact,
                       problems=[str(f) for f in s.findings]) for s in states]


async def seal_every(db, seconds: float) -> None:
    """The server's sealing loop (and `seal_now` at shutdown)."""
    while True:
        await asyncio.sleep(seconds)
        await seal_now(db)


async def seal_now(db) -> None:
    try:
        await asyncio.to_thread(service.seal, db)
    except Exception:  # noqa: BLE001 - another process sealed meanwhile, or the database is away: next round
        log.warning("sealing the audit trail failed; the next round tries again", exc_info=True)


