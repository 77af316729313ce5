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
