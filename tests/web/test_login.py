"""Signing in and out: cookies, wrong passwords, throttling, CSRF, redirects."""

from datetime import timedelta

import pytest
from conftest import PASSWORD, TestClient, as_user, csrf_of

from smartcustoms.accounts import service as accounts
from smartcustoms.store.db import utc_now
from smartcustoms.web.auth import LoginFailed, LoginThrottled, Throttle, login


def sign_in(client, username, password=PASSWORD, next_path="/", address=None):
    form = client.get("/login")
    assert form.status_code == 200
    data = {"username": username, "password": password, "csrf_token": csrf_of(form.text), "next": next_path}
    return client.post("/login", data=data, follow_redirects=False)


def test_signing_in_sets_a_safe_session_cookie_and_opens_the_pages(client, people):
    as_user(client, None)
    answer = sign_in(client, "Alice", next_path="/portal/declarations")  # usernames ignore case
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/declarations"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("sc_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.get("/portal/declarations").status_code == 200


def test_secure_cookies_when_configured(people, app):
    app.state.settings = app.state.settings.model_copy(update={"cookie_secure": True})
    with TestClient(app, base_url="https://testserver") as client:
        answer = sign_in(client, "alice")
    assert "Secure" in next(h for h in answer.headers.get_list("set-cookie") if h.startswith("sc_session="))


def test_a_wrong_password_or_unknown_user_is_refused_alike(client, people):
    as_user(client, None)
    wrong = sign_in(client, "alice", "not the password")
    unknown = sign_in(client, "mallory", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password." in wrong.text and "Wrong username or password." in unknown.text
    assert "sc_session" not in client.cookies
    assert client.get("/portal/declarations", follow_redirects=False).status_code == 303


def test_pages_send_strangers_to_the_login_form_and_back(client, people):
    as_user(client, None)
    answer = client.get("/portal/compliance", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/portal/compliance"
    assert sign_in(client, "alice", next_path="/portal/compliance").headers["location"] == "/portal/compliance"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_no_open_redirect_after_sign_in(client, people, target):
    as_user(client, None)
    assert sign_in(client, "alice", next_path=target).headers["location"] == "/"


def test_five_failures_throttle_the_username_with_429_even_for_the_right_password(client, people):
    as_user(client, None)
    for _ in range(5):
        assert sign_in(client, "alice", "guess guess guess").status_code == 401
    refused = sign_in(client, "alice")  # the right password no longer helps
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "sc_session" not in client.cookies
    assert sign_in(client, "bob").status_code == 429  # the same address, five failures: throttled too


def test_throttling_counts_per_address_and_lifts_after_the_window(engine, people, app):
    hasher, throttle, start = app.state.hasher, Throttle(5, timedelta(minutes=15)), utc_now()
    for n, name in enumerate(["u1", "u2", "u3", "u4", "u5"]):  # five usernames tried from one address
        with pytest.raises(LoginFailed):
            login(engine, name, "guess", "10.0.0.9", throttle=throttle, hasher=hasher, at=start + timedelta(seconds=n))
    with pytest.raises(LoginThrottled) as refused:
        login(engine, "alice", PASSWORD, "10.0.0.9", throttle=throttle, hasher=hasher,
              at=start + timedelta(minutes=1))
    assert 13 * 60 < refused.value.retry_after <= 14 * 60
    assert login(engine, "alice", PASSWORD, "10.0.0.8", throttle=throttle, hasher=hasher,
                 at=start + timedelta(minutes=1)).username == "alice"  # another address is not throttled
    later = start + timedelta(minutes=15, seconds=1)  # the first failure left the window
    assert login(engine, "alice", PASSWORD, "10.0.0.9", throttle=throttle, hasher=hasher, at=later).role == "trader"


def test_a_success_resets_the_username_count(engine, people, app):
    hasher, start = app.state.hasher, utc_now()
    for n in range(4):
        with pytest.raises(LoginFailed):
            login(engine, "alice", "guess", f"10.0.1.{n}", hasher=hasher, at=start + timedelta(seconds=n))
    login(engine, "alice", PASSWORD, "10.0.2.1", hasher=hasher, at=start + timedelta(seconds=10))
    with pytest.raises(LoginFailed):  # a fifth failure after the success: not throttled yet
        login(engine, "alice", "guess", "10.0.3.1", hasher=hasher, at=start + timedelta(seconds=20))
    assert login(engine, "alice", PASSWORD, "10.0.4.1", hasher=hasher, at=start + timedelta(seconds=30))


def test_signing_out_ends_the_session(client, people):
    alice = people["alice"]
    as_user(client, alice)
    assert client.post("/logout", data={"csrf_token": alice.csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("sc_session", alice.cookie)  # the old cookie, replayed
    assert client.get("/portal/declarations", follow_redirects=False).status_code == 303


def test_posts_without_the_csrf_token_are_refused_with_403(client, people):
    alice = people["alice"]
    as_user(client, alice)
    for path, data in (("/logout", {}), ("/logout", {"csrf_token": "forged"}),
                       ("/portal/submit", {"declaration_id": "D1"})):
        answer = client.post(path, data=data, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "The form has expired" in answer.text
    files = {"file": ("a.csv", b"declaration_id\nD1\n", "text/csv")}
    assert client.post("/portal/submit/file", files=files).status_code == 403
    # the API under a session cookie needs the token in a header
    assert client.post("/api/v1/declarations", json={}).status_code == 403
    assert client.get("/portal/declarations").status_code == 200  # the session itself is intact


def test_the_login_form_is_protected_by_its_own_csrf_cookie(client, people):
    as_user(client, None)
    client.get("/login")
    answer = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "forged"})
    assert answer.status_code == 403
    assert "sc_session" not in client.cookies


def test_an_expired_session_opens_nothing(client, engine, people):
    user = accounts.get_user(engine, "alice")
    cookie, _ = accounts.create_session(engine, user.user_id, 1, at=utc_now() - timedelta(hours=2))
    client.cookies.clear()
    client.cookies.set("sc_session", cookie)
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me").status_code == 401
