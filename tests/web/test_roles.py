"""Every route checks the role: each route, called by each kind of caller, answers as this table says.

Callers: alice (trader, importer IMP001, owns D1 lodged at FRPAR1), bob (trader of other IDs), oscar (officer at
FRPAR1), anna (analyst), sam (supervisor), root (admin), and nobody. The API is called with API tokens, the
pages with session cookies (and their CSRF token on POST).
"""

import pytest
from conftest import as_user, declaration

from support import csv_bytes, item_row

CALLERS = ["alice", "bob", "oscar", "anna", "sam", "root", None]


def row(alice, bob, oscar, anna, sam, root, nobody):
    return dict(zip(CALLERS, (alice, bob, oscar, anna, sam, root, nobody)))


def _file(who):
    return {"files": {"file": ("f.csv", csv_bytes([item_row(f"F-{who}", importer_id="IMP001")]), "text/csv")}}


API = [  # method, path, request arguments (given the caller's name), expected status by caller
    ("GET", "/api/v1/health", None, row(200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/me", None, row(200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/declarations", None, row(200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/declarations/D1", None, row(200, 404, 200, 200, 200, 200, 401)),
    ("POST", "/api/v1/declarations", lambda who: {"json": declaration(f"R-{who}")},
     row(201, 403, 403, 403, 403, 201, 401)),
    ("POST", "/api/v1/declarations/file", _file, row(200, 200, 403, 403, 403, 200, 401)),
    ("GET", "/api/v1/admin/risk-engine", None, row(403, 403, 403, 403, 403, 200, 401)),
    ("POST", "/api/v1/admin/risk-engine/refit", None, row(403, 403, 403, 403, 403, 200, 401)),
]

PAGES = [
    ("GET", "/login", None, row(303, 303, 303, 303, 303, 303, 200)),
    ("GET", "/", None, row(200, 200, 200, 200, 200, 200, 303)),
    ("GET", "/portal/declarations", None, row(200, 200, 403, 403, 403, 403, 303)),
    ("GET", "/portal/declarations/D1", None, row(200, 404, 403, 403, 403, 403, 303)),
    ("GET", "/portal/submit", None, row(200, 200, 403, 403, 403, 403, 303)),
    ("POST", "/portal/submit", lambda who: {"data": {"action": "add_item"}}, row(200, 200, 403, 403, 403, 403, 303)),
    ("POST", "/portal/submit/file", _file, row(200, 200, 403, 403, 403, 403, 303)),
    ("GET", "/portal/compliance", None, row(200, 200, 403, 403, 403, 403, 303)),
    ("POST", "/admin/refit", None, row(403, 403, 403, 403, 403, 303, 303)),
    ("POST", "/logout", None, row(303, 303, 303, 303, 303, 303, 303)),
]


@pytest.fixture
def with_d1(client, people):
    answer = as_user(client, None).post("/api/v1/declarations", json=declaration("D1"),
                                        headers=people["alice"].bearer)
    assert answer.status_code == 201
    return people


@pytest.mark.parametrize(("method", "path", "arguments", "expected"), API, ids=[f"{m} {p}" for m, p, *_ in API])
def test_api_route_by_caller(client, with_d1, method, path, arguments, expected):
    got = {}
    for who in CALLERS:
        headers = with_d1[who].bearer if who else {}
        answer = as_user(client, None).request(method, path, headers=headers,
                                               **(arguments(who) if arguments else {}))
        got[who] = answer.status_code
    assert got == expected


@pytest.mark.parametrize(("method", "path", "arguments", "expected"), PAGES,
                         ids=[f"{m} {p}" for m, p, *_ in PAGES])
def test_page_by_caller(client, with_d1, method, path, arguments, expected):
    got = {}
    for who in CALLERS:
        person = with_d1[who] if who else None
        kwargs = arguments(who) if arguments else {}
        if method == "POST" and person is not None:
            kwargs.setdefault("data", {})["csrf_token"] = person.csrf
        answer = as_user(client, person).request(method, path, follow_redirects=False, **kwargs)
        got[who] = answer.status_code
        if who is None and answer.status_code == 303 and path not in ("/logout",):
            assert answer.headers["location"].startswith("/login")
    assert got == expected


def test_pages_ignore_api_tokens_and_the_api_accepts_sessions(client, people):
    alice = people["alice"]
    assert as_user(client, None).get("/portal/declarations", headers=alice.bearer,
                                     follow_redirects=False).status_code == 303
    assert as_user(client, alice).get("/api/v1/me").json()["username"] == "alice"
    lodged = client.post("/api/v1/declarations", json=declaration("S1"), headers={"X-CSRF-Token": alice.csrf})
    assert lodged.status_code == 201
