"""Passenger pages: the flights arriving on a day, a flight's risk list (reasons, watchlist matches to confirm or
dismiss, dispositions recorded as outcomes), and the arrival-hall planning page with its chart."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcustoms.accounts.service import User
from smartcustoms.passengers import service
from smartcustoms.web.deps import Db, require_page
from smartcustoms.web.i18n import gettext
from smartcustoms.web.passengers import presenters
from smartcustoms.web.render import render

router = APIRouter(prefix="/passengers", include_in_schema=False)
Reader = Annotated[User, require_page(*presenters.ROLES)]
Decider = Annotated[User, require_page(*presenters.DECIDERS)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Passengers = Annotated[int, Query(ge=1, le=1000)]
Staff = Annotated[int, Query(ge=1, le=30)]
Rate = Annotated[float, Query(ge=0, le=1)]


@router.get("/", name="passengers_flights")
def flights(request: Request, user: Reader, db: Db, day: Annotated[date | None, Query()] = None):
    day = day or date.today()
    return render(request, "passengers/flights.html", {"day": day, "flights": service.flights_arriving(db, day)})


@router.get("/flights/{flight_id}", name="passengers_flight")
def flight(request: Request, flight_id: PathId, user: Reader, db: Db):
    view = service.flight_view(db, flight_id)
    return render(request, "passengers/flight.html", {
        "view": view, **presenters.flight_rows(view), "results": presenters.RESULTS,
        "can_decide": user.role in presenters.DECIDERS, "done": request.query_params.get("done")})


def _back(request: Request, flight_id: int, done: str) -> RedirectResponse:
    target = request.app.url_path_for("passengers_flight", flight_id=str(flight_id))
    return RedirectResponse(f"{target}?done={done}", 303)


def _text(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/flights/{flight_id}/screen", name="passengers_screen")
async def screen(request: Request, flight_id: PathId, user: Decider, db: Db):
    await run_in_threadpool(service.screen_flight, db, flight_id)
    return _back(request, flight_id, "screened")


@router.post("/matches/{match_id}", name="passengers_match_decide")
async def decide(request: Request, match_id: PathId, user: Decider, db: Db):
    form = await request.form()
    flight_id = await run_in_threadpool(service.decide_match, db, match_id, _text(form, "status"), user.username)
    return _back(request, flight_id, _text(form, "status"))


@router.post("/people/{passenger_id}/disposition", name="passengers_disposition")
async def disposition(request: Request, passenger_id: PathId, user: Decider, db: Db):
    form = await request.form()
    flight_id = await run_in_threadpool(service.record_disposition, db, passenger_id, _text(form, "result"),
                                        _text(form, "note"), user.username)
    return _back(request, flight_id, "recorded")


@router.get("/planning", name="passengers_planning")
def planning(request: Request, user: Reader, passengers: Passengers = 300, officers: Staff = 3, lanes: Staff = 4,
             selection_rate: Rate = 0.03):
    params = {"passengers": passengers, "officers": officers, "lanes": lanes, "selection_rate": selection_rate}
    result = service.simulate_hall(**params)
    return render(request, "passengers/planning.html", {"params": params, "result": result})


@router.get("/planning/distribution.svg", name="passengers_planning_chart")
def planning_chart(request: Request, user: Reader, passengers: Passengers = 300, officers: Staff = 3,
                   lanes: Staff = 4, selection_rate: Rate = 0.03):
    result = service.simulate_hall(passengers, selection_rate, officers, lanes)

    def say(text: str) -> str:
        return gettext(request, text)

    data = presenters.distribution_chart(
        result, say("Time from taking one's bags to leaving the hall"), say("minutes"), say("share of passengers"),
        say("with pre-screening"), say("without pre-screening"))
    return Response(data, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
