"""`smartcustoms serve`: the web server (API and portal) on the configured database."""

import os
from pathlib import Path
from typing import Annotated

import typer

from smartcustoms.cli.common import console, engine, fail
from smartcustoms.risk.service import RiskConfigError, load_config
from smartcustoms.store import migrate
from smartcustoms.web.config import get_web_settings


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    settings: Annotated[Path | None, typer.Option("--settings", exists=True, dir_okay=False,
                                                  help="Risk settings YAML (selectivity, origin, AEO).")] = None,
    refit_every: Annotated[float | None, typer.Option(help="Fit the risk engine again every this many minutes "
                                                      "(default: only at startup and on an admin's request).")]
    = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes: one per CPU core for throughput; each "
                                         "fits its own risk engine at startup.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")]
    = "info",
) -> None:
    """Run the web server: the REST API under /api/v1 (OpenAPI document at /api/v1/openapi.json) and the
    trader portal. The risk engine is fitted at startup on the declarations and outcomes stored so far. Create
    accounts first with `smartcustoms users add`. Behind TLS, set SMARTCUSTOMS_COOKIE_SECURE=true."""
    import uvicorn

    from smartcustoms.web.app import create_app

    db = engine()
    if migrate.current(db) != migrate.head(db):
        fail("the database schema is not up to date: run `smartcustoms db upgrade` first", 2)
    if refit_every is not None and refit_every <= 0:
        fail("--refit-every must be a positive number of minutes", 2)
    web = get_web_settings()
    try:
        config = load_config(settings or web.risk_settings)
    except RiskConfigError as exc:
        fail(str(exc), 2)
    console.print(f"fitting the risk engine on {db.url.render_as_string(hide_password=True)}, then serving on "
                  f"http://{host}:{port}", highlight=False)
    if workers == 1:
        app = create_app(web, db, risk_config=config, refit_every=refit_every * 60 if refit_every else None)
        uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)  # see TrustedProxies
        return
    # worker processes build their own app from the environment (the settings object reads SMARTCUSTOMS_*)
    if settings is not None:
        os.environ["SMARTCUSTOMS_RISK_SETTINGS"] = str(settings.resolve())
    if refit_every is not None:
        os.environ["SMARTCUSTOMS_REFIT_MINUTES"] = str(refit_every)
    from smartcustoms.web.runtime import processes

    if not processes.available():  # no SO_REUSEPORT (Windows): uvicorn's processes on one shared socket
        uvicorn.run("smartcustoms.web.app:create_app", factory=True, host=host, port=port, log_level=log_level,
                    workers=workers, proxy_headers=False)
        return
    try:
        code = processes.serve_processes("smartcustoms.web.app:create_app", host=host, port=port,
                                         processes=workers, log_level=log_level)
    except OSError as exc:
        fail(str(exc), 1)
    raise typer.Exit(code)
