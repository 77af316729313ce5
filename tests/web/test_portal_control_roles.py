"""Every route of the trader's control pages and their API checks the role and the owner: alice (trader of
IMP001) owns the declarations and gets on; bob (another trader) gets 404 as if they did not exist; officers,
analysts, supervisors and admins get 403; nobody gets 401 (API) or the login page (pages).

alice's declarations: D1 in the yellow lane (documents check open, an invoice requested, a valuation query
open), D2 in the red lane (a physical inspection, assigned, with slots to book), D3 in the red lane (switched to
remote and booked; its booking may be cancelled)."""

from datetime import timedelta

import pytest
from conftest import FAST, as_user
from portal_control_support import (
    PDF,
    PNG,
    REASONS,
    assigned,
    booked_remote,
    lodge,
    make_app,
    open_control,
    slots,
    staff,
    web_settings,
)

from smartcustoms.control.service import free_slots, raise_valuation_query, request_documents

CALLERS = ["alice", "bob", "oscar", "anna", "sam", "root", None]


def row(alice, bob, oscar, anna, sam, root, nobody):
    return dict(zip(CALLERS, (alice, bob, oscar, anna, sam, root, nobody)))


def owner_only(ok: int, nobody: int) -> dict:
    return row(ok, 404, 403, 403, 403, 403, nobody)


@pytest.fixture
def settings(tmp_path):
    return web_settings(tmp_path, FAST)


@pytest.fixture
def app(engine, risk_engine, settings):
    return make_app(settings, engine, risk_engine)


@pytest.fixture
def ids(client, people, engine, settings, staged_once) -> dict:
    """The declarations of the module docstring: {"people", "rid", "qid", "slot"}. Staged once per kind of
    database, then copied into each test's (conftest.staged_once): take the people from here."""
    def build():
        for key in ("D1", "D2", "D3"):
            lodge(client, people["alice"], key)
        tasks = open_control(engine, {"D1": "yellow", "D2": "red", "D3": "red"})
        staff(engine)
        for key in ("D2", "D3"):
            assigned(engine, tasks[key])
        booked_remote(engine, tasks["D3"])
        slots(engine, "on_site")
        (rid,) = request_documents(engine, "D1", ["invoice"], requested_by="oscar", task_id=tasks["D1"],
                                   due_in=timedelta(days=5))
        qid = raise_valuation_query(engine, "D1", reasons_to_doubt=REASONS, raised_by="oscar")
        slot = int(free_slots(engine, "FRPAR1", "on_site")["slot_id"].iloc[0])
        return {"people": people, "rid": rid, "qid": qid, "slot": slot}

    return staged_once("ids", build, folder=settings.var_dir)


def pdf(_ids):
    return {"files": {"file": ("invoice.pdf", PDF, "application/pdf")}}


def png(_ids):
    return {"files": {"file": ("photo.png", PNG, "image/png")}}


API = [  # method, path (formatted with ids), request arguments, expected status by caller
    ("GET", "/api/v1/declarations/D1/documents", None, owner_only(200, 401)),
    ("POST", "/api/v1/declarations/D1/documents/{rid}", pdf, owner_only(201, 401)),
    ("GET", "/api/v1/declarations/D1/queries", None, owner_only(200, 401)),
    ("POST", "/api/v1/declarations/D1/queries/{qid}/answer", lambda ids: {"json": {"answer": "list price"}},
     owner_only(200, 401)),
    ("GET", "/api/v1/declarations/D2/slots", None, owner_only(200, 401)),
    ("POST", "/api/v1/declarations/D2/inspection/remote", None, owner_only(200, 401)),
    ("POST", "/api/v1/declarations/D2/booking", lambda ids: {"json": {"slot_id": ids["slot"]}},
     owner_only(201, 401)),
    ("DELETE", "/api/v1/declarations/D3/booking", None, owner_only(200, 401)),
    ("POST", "/api/v1/declarations/D3/evidence", png, owner_only(201, 401)),
    ("GET", "/api/v1/declarations/D1/undertaking", None, owner_only(200, 401)),
    ("POST", "/api/v1/declarations/D1/undertaking", lambda ids: {"json": {"agree": True}}, owner_only(201, 401)),
    ("GET", "/api/v1/declarations/D1/services", None, owner_only(200, 401)),
]

PAGES = [
    ("GET", "/portal/todo", None, row(200, 200, 403, 403, 403, 403, 303)),
    ("GET", "/portal/declarations/D1", None, owner_only(200, 303)),
    ("GET", "/portal/declarations/D1/documents", None, owner_only(200, 303)),
    ("POST", "/portal/declarations/D1/documents/{rid}", pdf, owner_only(303, 303)),
    ("GET", "/portal/declarations/D1/queries/{qid}", None, owner_only(200, 303)),
    ("POST", "/portal/declarations/D1/queries/{qid}", lambda ids: {"data": {"answer": "list price"}},
     owner_only(303, 303)),
    ("GET", "/portal/declarations/D2/inspection", None, owner_only(200, 303)),
    ("POST", "/portal/declarations/D2/inspection/remote", None, owner_only(303, 303)),
    ("POST", "/portal/declarations/D2/inspection/booking", lambda ids: {"data": {"slot_id": str(ids["slot"])}},
     owner_only(303, 303)),
    ("POST", "/portal/declarations/D3/inspection/booking/cancel", None, owner_only(303, 303)),
    ("POST", "/portal/declarations/D3/inspection/evidence", png, owner_only(303, 303)),
    ("GET", "/portal/declarations/D1/undertaking", None, owner_only(200, 303)),
    ("POST", "/portal/declarations/D1/undertaking", lambda ids: {"data": {"agree": "yes"}}, owner_only(303, 303)),
]


@pytest.mark.parametrize(("method", "path", "arguments", "expected"), API, ids=[f"{m} {p}" for m, p, *_ in API])
def test_api_route_by_caller(client, ids, method, path, arguments, expected):
    people = ids["people"]
    got = {}
    for who in CALLERS:
        headers = people[who].bearer if who else {}
        answer = as_user(client, None).request(method, path.format(**ids), headers=headers,
                                               **(arguments(ids) if arguments else {}))
        got[who] = answer.status_code
        if answer.status_code >= 400:
            assert answer.json()["detail"][0]["msg"], (who, answer.text)
    assert got == expected


@pytest.mark.parametrize(("method", "path", "arguments", "expected"), PAGES,
                         ids=[f"{m} {p}" for m, p, *_ in PAGES])
def test_page_by_caller(client, ids, method, path, arguments, expected):
    people = ids["people"]
    got = {}
    for who in CALLERS:
        person = people[who] if who else None
        kwargs = arguments(ids) if arguments else {}
        if method == "POST" and person is not None:
            kwargs.setdefault("data", {})["csrf_token"] = person.csrf
        answer = as_user(client, person).request(method, path.format(**ids), follow_redirects=False, **kwargs)
        got[who] = answer.status_code
        if who is None:
            assert answer.headers["location"].startswith("/login")
        elif who == "alice" and answer.status_code == 303:
            assert answer.headers["location"].startswith("/portal/declarations/")
    assert got == expected


def test_a_page_post_without_the_csrf_token_is_refused(client, ids):
    people = ids["people"]
    answer = as_user(client, people["alice"]).post("/portal/declarations/D1/undertaking", data={"agree": "yes"})
    assert answer.status_code == 403
    assert "The form has expired" in answer.text
