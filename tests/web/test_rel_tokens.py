"""Issue 14 (8): a revoked API token (or a disabled account) is refused at once, by every server process, cache or
not; X-Forwarded-For is believed only from configured proxies; cookies are Secure by default outside localhost."""

import pytest
from conftest import FAST, PASSWORD, TestClient

from smartcustoms.accounts import service as accounts
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings


def test_a_revoked_token_is_refused_at_once_by_two_servers_with_caches(engine, risk_engine, people):
    settings = WebSettings(**{**FAST, "token_cache_seconds": 3600})
    first, second = (create_app(settings, engine, risk_engine=risk_engine) for _ in range(2))
    with TestClient(first) as one, TestClient(second) as two:
        for client in (one, two):
            assert client.get("/api/v1/declarations", headers=people["alice"].bearer).status_code == 200
        token_id = next(t.token_id for t in accounts.list_tokens(engine, "alice"))
        accounts.revoke_token(engine, token_id)
        for client in (one, two):
            assert client.get("/api/v1/declarations", headers=people["alice"].bearer).status_code == 401
        assert two.get("/api/v1/declarations", headers=people["bob"].bearer).status_code == 200
        accounts.set_active(engine, "bob", False)
        assert one.get("/api/v1/declarations", headers=people["bob"].bearer).status_code == 401


def _failed_logins(client, forwarded: str, times: int, name: str = "nobody") -> list[int]:
    """Failed logins, each under another username (the throttle per username stays out of it)."""
    codes = []
    for n in range(times):
        page = client.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        data = {"username": f"{name}{n}", "password": "wrong", "csrf_token": csrf}
        codes.append(client.post("/login", data=data,
                                 headers={"X-Forwarded-For": forwarded}).status_code)
    return codes


@pytest.mark.parametrize("trusted", [[], ["10.0.0.0/8"]])
def test_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttle(engine, risk_engine, trusted):
    """Each attempt claims another address; the peer (127.0.0.1, a local client) is not a trusted proxy: its own
    address is counted, and the sixth attempt is throttled."""
    settings = WebSettings(**{**FAST, "login_limit": 5, "trusted_proxies": trusted})
    app = create_app(settings, engine, risk_engine=risk_engine)
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        codes = [_failed_logins(client, f"203.0.113.{n}", 1, f"user{n}-")[0] for n in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(engine, risk_engine):
    settings = WebSettings(**{**FAST, "login_limit": 5, "trusted_proxies": ["10.0.0.0/8"]})
    app = create_app(settings, engine, risk_engine=risk_engine)
    with TestClient(app, client=("10.0.0.5", 40000)) as client:
        codes = [_failed_logins(client, f"198.51.100.7, 203.0.113.{n}", 1, f"user{n}-")[0] for n in range(6)]
        assert codes == [401] * 6  # six clients, one failure each
        assert _failed_logins(client, "203.0.113.1", 5, "more")[-1] == 429  # one client, five more failures


@pytest.mark.parametrize("base, secure", [("https://customs.example", True), ("http://customs.example", True),
                                          ("http://localhost:8000", False), ("http://127.0.0.1:8000", False)])
def test_cookies_are_secure_by_default_outside_localhost(engine, risk_engine, base, secure):
    """Outside localhost even the login form's cookie is Secure: over plain HTTP no one can sign in there."""
    accounts.create_user(engine, "carl", PASSWORD, "analyst")
    with TestClient(create_app(WebSettings(**FAST), engine, risk_engine=risk_engine), base_url=base) as client:
        page = client.get("/login")
        cookies = page.headers.get_list("set-cookie")
        assert cookies and all(("; secure" in c.lower()) == secure for c in cookies)
        if base.startswith("https") or not secure:
            csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            answer = client.post("/login", data={"username": "carl", "password": PASSWORD, "csrf_token": csrf},
                                 follow_redirects=False)
            session = [h for h in answer.headers.get_list("set-cookie") if h.startswith("sc_session=")]
            assert session and ("; secure" in session[0].lower()) == secure
