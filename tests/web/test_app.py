"""The application as a whole: startup fitting of the risk engine, refits, headers, offline assets."""

import re
from pathlib import Path

from conftest import FAST, TestClient, as_user

from smartcustoms.accounts import service as accounts
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings

WEB = Path(__file__).resolve().parents[2] / "src" / "smartcustoms" / "web"


def test_the_risk_engine_is_fitted_at_startup_and_refitted_by_an_admin(engine):
    app = create_app(WebSettings(**FAST), engine)
    assert app.state.risk.engine is None
    with TestClient(app) as client:
        first = app.state.risk.info()
        assert first["fitted_at"] is not None and first["screens"] == ["valuation", "classification", "origin",
                                                                        "trader", "model"]  # the model: on by default
        accounts.create_user(engine, "root", "correct horse battery", "admin", hasher=app.state.hasher)
        _, token = accounts.create_token(engine, "root", "t")
        refitted = as_user(client, None).post("/api/v1/admin/risk-engine/refit",
                                              headers={"Authorization": f"Bearer {token}"}).json()
        assert refitted["as_of"] > first["as_of"].isoformat()


def test_every_response_carries_the_security_headers(client, people):
    for answer in (client.get("/login"), client.get("/api/v1/health"), client.get("/static/style.css")):
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert as_user(client, people["alice"]).get("/").headers["cache-control"] == "no-store"


def test_pages_load_nothing_from_elsewhere_and_have_no_inline_script():
    for path in [*WEB.glob("templates/**/*.html"), WEB / "static" / "style.css"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "@import" not in text and "<script" not in text, path


def test_the_base_layout_is_accessible(client, people):
    html = as_user(client, people["alice"]).get("/portal/declarations").text
    assert html.index('class="skip-link" href="#main"') < html.index('<main id="main"')
    assert html.count("<h1>") == 1 and '<nav class="main-nav" aria-label="Main">' in html
    assert 'aria-current="page"' in html and 'name="viewport"' in html
    assert 'hreflang="fr"' in html


def test_the_routers_routes_are_served_as_include_router_would_serve_them(tmp_path, monkeypatch):
    """create_app adds the routers' own routes (built once, at import) rather than per-app copies: the same table of
    routes and the same OpenAPI document as FastAPI's include_router gives, and two apps share the route objects."""
    from fastapi.routing import iter_route_contexts

    from smartcustoms.risk.assess import RiskEngine
    from smartcustoms.store.db import make_engine
    from smartcustoms.web import app as app_module

    def table(app) -> list[tuple]:
        return [(r.path, sorted(r.methods or []), r.name, getattr(r, "include_in_schema", None),
                 getattr(r, "unique_id", None), getattr(getattr(r, "response_class", None), "value",
                                                        getattr(r, "response_class", None)),
                 getattr(r, "tags", None), sorted(map(str, getattr(r, "responses", {}) or {})),
                 getattr(r, "status_code", None), [d.dependency for d in getattr(r, "dependencies", None) or []])
                for r in iter_route_contexts(app.routes)]

    def build():
        return create_app(WebSettings(**FAST), make_engine(f"sqlite:///{tmp_path / 'web.db'}"),
                          risk_engine=RiskEngine(screens=[]))

    ours, again = build(), build()
    monkeypatch.setattr(app_module, "_add_routes", lambda app, router: app.include_router(router))
    included = build()
    assert len(table(ours)) > 100 and table(ours) == table(included)
    assert ours.openapi() == included.openapi()
    shared = {id(r) for r in ours.routes} & {id(r) for r in again.routes}
    assert len(shared) > 100  # every area's routes, in both apps
