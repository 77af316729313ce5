"""The passenger API (JSON under /api/v1/passengers): flights arriving, a flight's risk list, match decisions and
dispositions."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.passengers import service
from smartcustoms.passengers.schemas import DispositionIn, FlightRow, FlightView, MatchDecisionIn
from smartcustoms.web.deps import Db, require
from smartcustoms.web.passengers import presenters

router = APIRouter(prefix="/api/v1/passengers", tags=["passengers"])
Reader = Annotated[User, require(*presenters.ROLES)]
Decider = Annotated[User, require(*presenters.DECIDERS)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/flights", response_model=list[FlightRow])
def flights(user: Reader, db: Db, day: Annotated[date | None, Query()] = None):
    """Flights arriving on a day (default today), with their passenger counts."""
    return service.flights_arriving(db, day or date.today())


@router.get("/flights/{flight_id}", response_model=FlightView)
def flight(flight_id: PathId, user: Reader, db: Db):
    """A flight's risk list: every passenger's score, selection and reasons; matches; bags; dispositions."""
    return service.flight_view(db, flight_id)


@router.post("/matches/{match_id}", status_code=204)
async def decide(match_id: PathId, body: MatchDecisionIn, user: Decider, db: Db):
    """Confirm or dismiss an open watchlist match."""
    await run_in_threadpool(service.decide_match, db, match_id, body.status, user.username)


@router.post("/people/{passenger_id}/dispositions", status_code=201)
async def disposition(passenger_id: PathId, body: DispositionIn, user: Decider, db: Db) -> dict:
    """Record the outcome of a passenger's control."""
    flight_id = await run_in_threadpool(service.record_disposition, db, passenger_id, body.result, body.note,
                                        user.username)
    return {"flight_id": flight_id}
