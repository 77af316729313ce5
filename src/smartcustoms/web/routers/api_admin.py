"""/api/v1: who am I, service health, and the risk engine (admin)."""

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.web.deps import ApiUser, require
from smartcustoms.web.schemas import ERRORS, Me, RiskEngineInfo

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Admin = Annotated[User, require("admin")]


@router.get("/health", tags=["service"])
def health() -> dict:
    """Answers while the server runs (no sign-in needed)."""
    return {"status": "ok"}


@router.get("/me", response_model=Me, tags=["accounts"])
def me(user: ApiUser):
    """The caller's account: role and the IDs it is bound to."""
    return {"username": user.username, "role": user.role, "importer_ids": list(user.importer_ids),
            "declarant_ids": list(user.declarant_ids), "office_ids": list(user.office_ids)}


@router.get("/admin/risk-engine", response_model=RiskEngineInfo, tags=["admin"])
def risk_engine(user: Admin, request: Request):
    """When the risk engine was fitted, on which history, with which profiles."""
    return request.app.state.risk.info()


@router.post("/admin/risk-engine/refit", response_model=RiskEngineInfo, tags=["admin"])
async def refit(user: Admin, request: Request):
    """Fit the risk engine again on the history stored now, and take the profiles published now."""
    state = request.app.state.risk
    await run_in_threadpool(state.refit)
    return state.info()
