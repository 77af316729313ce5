"""The web application: ``create_app`` wires the database, the risk engine, the micro-batcher, the routers and
the error handlers together."""

import asyncio
import logging
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from smartcustoms import __version__
from smartcustoms.accounts.service import change_counter, make_hasher
from smartcustoms.control.service import catch_up
from smartcustoms.risk.service import RiskConfig, RiskEngine, load_config
from smartcustoms.store.db import make_engine, shared_database
from smartcustoms.web.analyst import api as analyst_api
from smartcustoms.web.analyst import pages as analyst_pages
from smartcustoms.web.config import WebSettings, get_web_settings
from smartcustoms.web.handlers import install_error_handlers
from smartcustoms.web.middleware import BodyLimit, SecurityHeaders, TrustedProxies
from smartcustoms.web.officer import api as officer_api
from smartcustoms.web.officer import pages as officer_pages
from smartcustoms.web.portal import api as portal_api
from smartcustoms.web.portal import pages as portal_pages
from smartcustoms.web.render import make_templates
from smartcustoms.web.risk_state import RiskState
from smartcustoms.web.routers import api_admin, auth_pages, home
from smartcustoms.web.runtime.batcher import MicroBatcher, quiet_collector
from smartcustoms.web.runtime.lodging_process import LodgingProcess
from smartcustoms.web.submissions import lodge
from smartcustoms.web.token_cache import SharedRead, TokenCache
from smartcustoms.web.trail import api as trail_api
from smartcustoms.web.trail import pages as trail_pages

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


async def _refit_every(state: RiskState, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(state.refit)
            log.info("risk engine refitted on the history before %s", state.as_of)
        except Exception:  # noqa: BLE001 - keep serving with the engine we have
            log.exception("refitting the risk engine failed; the previous engine stays in use")


def _favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=308)


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes, as they are, into the app. `include_router` would copy each route for the app and build
    the copy's parameter validators and response models on its first request (0.3 s of CPU for our 116 routes, in
    each app); the routers' own routes, built once when their modules were imported, carry their prefix, tags and
    responses and nothing of an app, so that every app of the process serves the same ones. What an app would lose:
    its `dependency_overrides` (none of ours sets any). A router of other routes (an included one) is included."""
    if all(isinstance(route, APIRoute) for route in router.routes) and not (router.on_startup or router.on_shutdown):
        app.router.routes.extend(router.routes)
    else:
        app.include_router(router)


def create_app(settings: WebSettings | None = None, engine: Engine | None = None, *,
               risk_engine: RiskEngine | None = None, risk_config: RiskConfig | None = None,
               refit_every: float | None = None) -> FastAPI:
    """The application. `engine` defaults to the settings' database; `risk_engine` (a fitted RiskEngine) to one
    fitted at startup on the stored history with `risk_config` (default: the settings' risk YAML, or the
    built-in settings); `refit_every` (seconds; default the settings' refit_minutes) refits it periodically."""
    settings = settings or get_web_settings()
    if refit_every is None and settings.refit_minutes:
        refit_every = settings.refit_minutes * 60
    db = engine if engine is not None else make_engine(settings.database_url)
    risk = RiskState(db, risk_config or load_config(settings.risk_settings), engine=risk_engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # a decision opens its control chain in its own transaction; a restart finishes any chain left unopened
        # (decisions recorded by an older version, or by a process stopped between the two)
        try:
            await asyncio.to_thread(catch_up, db, remote_offices=settings.remote_offices)
        except Exception:  # noqa: BLE001 - serving comes first; `smartcustoms control open` catches up too
            log.exception("opening the control chains left unopened failed")
        if risk.engine is None:
            await asyncio.to_thread(risk.refit)
        if lodging is not None:
            await lodging.start(risk.engine)
        background = [asyncio.create_task(_refit_every(risk, refit_every))] if refit_every else []
        if settings.trail_seal_seconds:  # the audit trail's chains (smartcustoms.trail)
            background.append(asyncio.create_task(trail_api.seal_every(db, settings.trail_seal_seconds)))
        with quiet_collector():
            yield
        for task in background:
            task.cancel()
        await app.state.batcher.close()
        if lodging is not None:
            await asyncio.to_thread(lodging.close)
        if settings.trail_seal_seconds:
            await trail_api.seal_now(db)

    app = FastAPI(title="smartcustoms", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="Lodge customs declarations, get their lane and reasons, follow their status.")
    app.state.settings = settings
    app.state.db = db
    app.state.risk = risk
    app.state.templates = make_templates()
    app.state.hasher = make_hasher(settings.password_time_cost, settings.password_memory_kib,
                                   settings.password_parallelism)
    app.state.tokens = TokenCache(settings.token_cache_seconds)
    app.state.auth_counter = SharedRead(partial(change_counter, db))  # on a database server (web.deps)
    lodging = (LodgingProcess(db, synchronous=settings.sqlite_synchronous, remote_offices=settings.remote_offices,
                              processes=settings.lodging_processes)
               if settings.lodging_process and shared_database(db) else None)

    async def lodge_batch(batch: list) -> list:
        engine = risk.engine or await asyncio.to_thread(risk.current)
        return await (lodging.lodge(engine, batch) if lodging
                      else asyncio.to_thread(lodge, db, engine, batch, remote_offices=settings.remote_offices))

    app.state.lodging_process = lodging
    app.state.batcher = MicroBatcher(lodge_batch, max_wait=settings.batch_wait_ms / 1000,
                                     max_size=settings.batch_max, concurrency=lodging.processes if lodging else 1)
    app.add_middleware(BodyLimit, max_bytes=settings.upload_max_bytes + 64 * 1024)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)  # for clients that ask there
    for router in (portal_api.router, officer_api.router, analyst_api.router, portal_api.control_router,
                   api_admin.router, auth_pages.router, home.router, portal_pages.router, officer_pages.router,
                   analyst_pages.router):  # an area each: its API, then its pages
        _add_routes(app, router)
    from smartcustoms.web.passengers import api as passengers_api
    from smartcustoms.web.passengers import pages as passengers_pages

    for module in (passengers_api, passengers_pages):  # the passenger area (flights, planning)
        _add_routes(app, module.router)
    from smartcustoms.web.nii import api as nii_api
    from smartcustoms.web.nii import pages as nii_pages

    for module in (nii_api, nii_pages):  # the NII area (scans, their analyses on the task page)
        _add_routes(app, module.router)
    nii_pages.install(app)
    from smartcustoms.web.staff import api as staff_api
    from smartcustoms.web.staff import pages as staff_pages

    for module in (staff_api, staff_pages):  # staff: the search box, every declaration's page
        _add_routes(app, module.router)
    _add_routes(app, trail_api.router)  # the audit trail's state, for supervisors
    _add_routes(app, trail_pages.router)
    install_error_handlers(app)
    return app
