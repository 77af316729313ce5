"""Accounts in the database: validation, scopes, hashed secrets, tokens, sessions, passwords."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from smartcustoms.accounts import service as accounts
from smartcustoms.accounts.passwords import PasswordError, make_hasher
from smartcustoms.accounts.service import AccountError, api_tokens, user_sessions, users
from smartcustoms.store.db import utc_now
from smartcustoms.web.auth import LoginFailed, login

HASHER = make_hasher(1, 64)
PASSWORD = "correct horse battery"


def user_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(users)).scalar_one()


@pytest.mark.parametrize(("username", "password", "role", "scopes", "error"), [
    ("a", PASSWORD, "trader", {"importers": ["IMP1"]}, "username"),
    ("has space", PASSWORD, "trader", {"importers": ["IMP1"]}, "username"),
    ("carol", PASSWORD, "boss", {}, "unknown role"),
    ("carol", PASSWORD, "trader", {}, "at least one importer or declarant"),
    ("carol", PASSWORD, "trader", {"importers": ["IMP1"], "offices": ["X"]}, "not to offices"),
    ("carol", PASSWORD, "officer", {}, "at least one office"),
    ("carol", PASSWORD, "analyst", {"offices": ["X"]}, "sees every declaration"),
    ("carol", PASSWORD, "trader", {"importers": ["bad id!"]}, "not a valid identifier"),
    ("carol", "short", "trader", {"importers": ["IMP1"]}, "at least 10 characters"),
])
def test_bad_accounts_are_refused_and_nothing_is_written(engine, username, password, role, scopes, error):
    with pytest.raises((AccountError, PasswordError), match=error):
        accounts.create_user(engine, username, password, role, hasher=HASHER, **scopes)
    assert user_count(engine) == 0


def test_an_account_keeps_its_scopes_and_a_hashed_password(engine):
    created = accounts.create_user(engine, "Carol", PASSWORD, "trader", importers=["IMP2", "IMP1"],
                                   declarants=["BRK1"], hasher=HASHER)
    assert created.username == "carol" and created.importer_ids == ("IMP1", "IMP2")
    assert accounts.get_user(engine, "CAROL") == created
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(AccountError, match="exists already"):
        accounts.create_user(engine, "carol", PASSWORD, "analyst", hasher=HASHER)
    officer = accounts.create_user(engine, "oscar", PASSWORD, "officer", offices=["FRPAR1"], hasher=HASHER)
    assert [u.username for u in accounts.list_users(engine)] == ["carol", "oscar"]
    assert officer.office_ids == ("FRPAR1",) and officer.importer_ids == ()


def test_tokens_are_shown_once_stored_hashed_and_revocable(engine):
    accounts.create_user(engine, "system", PASSWORD, "admin", hasher=HASHER)
    token_id, token = accounts.create_token(engine, "system", "ASYCUDA bridge")
    assert token.startswith("sct_") and len(token) > 40
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_tokens WHERE token_hash = :t"), {"t": token}
                            ).scalar_one() == 0
        assert conn.execute(select(api_tokens.c.token_hash)).scalar_one() == accounts.digest(token)
    assert accounts.user_for_token(engine, token).username == "system"
    [listed] = accounts.list_tokens(engine, "system")
    assert listed.prefix == token[:12] and listed.name == "ASYCUDA bridge" and listed.revoked_at is None
    accounts.revoke_token(engine, token_id)
    assert accounts.user_for_token(engine, token) is None
    with pytest.raises(AccountError, match="revoked already"):
        accounts.revoke_token(engine, token_id)
    with pytest.raises(AccountError, match="no API token 999"):
        accounts.revoke_token(engine, 999)
    with pytest.raises(AccountError, match="no user"):
        accounts.create_token(engine, "nobody", "x")
    with pytest.raises(AccountError, match="a name"):
        accounts.create_token(engine, "system", " ")


def test_sessions_expire_end_and_are_stored_hashed(engine):
    user = accounts.create_user(engine, "carol", PASSWORD, "analyst", hasher=HASHER)
    now = utc_now()
    cookie, csrf = accounts.create_session(engine, user.user_id, 1, at=now)
    assert accounts.session_user(engine, cookie, at=now + timedelta(minutes=59)) == (user, csrf)
    assert accounts.session_user(engine, cookie, at=now + timedelta(minutes=61)) is None
    with engine.connect() as conn:
        assert conn.execute(select(user_sessions.c.session_hash)).scalar_one() == accounts.digest(cookie)
    accounts.end_session(engine, cookie)
    assert accounts.session_user(engine, cookie, at=now) is None
    old, _ = accounts.create_session(engine, user.user_id, 1, at=now - timedelta(hours=5))
    accounts.create_session(engine, user.user_id, 1, at=now)  # sweeps the expired one
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(user_sessions)).scalar_one() == 1


def test_a_new_password_ends_sessions_and_the_old_one_stops_working(engine):
    user = accounts.create_user(engine, "carol", PASSWORD, "analyst", hasher=HASHER)
    cookie, _ = accounts.create_session(engine, user.user_id, 1)
    accounts.set_password(engine, "carol", "a brand new passphrase", HASHER)
    assert accounts.session_user(engine, cookie) is None
    with pytest.raises(LoginFailed):
        login(engine, "carol", PASSWORD, "10.0.0.1", hasher=HASHER)
    assert login(engine, "carol", "a brand new passphrase", "10.0.0.1", hasher=HASHER).username == "carol"


def test_a_disabled_account_cannot_sign_in_or_use_its_session(engine):
    user = accounts.create_user(engine, "carol", PASSWORD, "analyst", hasher=HASHER)
    cookie, _ = accounts.create_session(engine, user.user_id, 1)
    accounts.set_active(engine, "carol", False)
    assert accounts.session_user(engine, cookie) is None
    with pytest.raises(LoginFailed):
        login(engine, "carol", PASSWORD, "10.0.0.1", hasher=HASHER)
    accounts.set_active(engine, "carol", True)
    assert login(engine, "carol", PASSWORD, "10.0.0.1", hasher=HASHER).active


def test_a_login_rehashes_a_password_made_with_older_cost_settings(engine):
    accounts.create_user(engine, "carol", PASSWORD, "analyst", hasher=HASHER)
    stronger = make_hasher(2, 128)
    login(engine, "carol", PASSWORD, "10.0.0.1", hasher=stronger)
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert "m=128,t=2" in stored
    assert login(engine, "carol", PASSWORD, "10.0.0.1", hasher=stronger).username == "carol"


def test_the_password_hash_takes_its_lanes_from_the_settings(engine, risk_engine):
    from smartcustoms.web.app import create_app
    from smartcustoms.web.config import WebSettings

    for lanes in (1, 2):
        settings = WebSettings(password_time_cost=1, password_memory_kib=64, password_parallelism=lanes)
        app = create_app(settings, engine, risk_engine=risk_engine)
        accounts.create_user(engine, f"lanes{lanes}", PASSWORD, "analyst", hasher=app.state.hasher)
        with engine.connect() as conn:
            stored = conn.execute(select(users.c.password_hash).where(users.c.username == f"lanes{lanes}")).scalar_one()
        assert stored.split("$")[3] == f"m=64,t=1,p={lanes}"
        assert login(engine, f"lanes{lanes}", PASSWORD, "10.0.0.1", hasher=app.state.hasher).username == f"lanes{lanes}"
