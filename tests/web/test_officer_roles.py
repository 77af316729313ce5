# ruff: noqa: F811 - the fixtures imported from officer_support are the tests' parameters
"""Every route of the officer console and of the control API checks the role, the office and the task's officer:
each route, called by each kind of caller, answers as these tables say.

Callers: alice and bob (traders), oscar and otto (officers at office A; the task is locked to oscar), olga (officer
at office B), anna (analyst), sam (supervisor), root (admin), and nobody. A changing request sends a stale version
(or an invalid form), so that every caller meets the same task: 409 or 422 means the caller got past every check.
"""

import pytest
from conftest import as_user
from officer_support import CALLERS, app, lock_to, settings, staff, world  # noqa: F401

from smartcustoms.control.service import store_evidence
from smartcustoms.risk import repository as audit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def row(alice, bob, oscar, otto, olga, anna, sam, root, nobody):
    return dict(zip(CALLERS, (alice, bob, oscar, otto, olga, anna, sam, root, nobody)))


STALE = {"expected_version": 999}
OUTCOME = {**STALE, "result": "no_discrepancy", "duty_before": 10, "duty_after": 10}
WORKS = row(403, 403, 409, 403, 404, 403, 409, 409, 401)  # the task's officer, the supervisor, the admin
API = [  # method, path (given the scene), JSON body, expected status by caller
    ("GET", "/api/v1/tasks", None, row(403, 403, 200, 200, 200, 403, 200, 200, 401)),
    ("GET", "/api/v1/tasks/{task}", None, row(403, 403, 200, 200, 404, 403, 200, 200, 401)),
    ("POST", "/api/v1/tasks/next", None, row(403, 403, 200, 200, 200, 403, 403, 403, 401)),
    ("POST", "/api/v1/tasks/{task}/start", STALE, WORKS),
    ("POST", "/api/v1/tasks/{task}/complete", OUTCOME, WORKS),
    ("POST", "/api/v1/tasks/{task}/release", STALE, WORKS),
    ("GET", "/api/v1/outcomes", None, row(403, 403, 200, 200, 200, 200, 200, 200, 401)),
    ("POST", "/api/v1/decisions/{decision}/override", {"lane": "yellow", "reason": "the same lane again"},
     row(403, 403, 409, 409, 404, 403, 409, 409, 401)),
]

FORM_WORKS = row(403, 403, 409, 403, 404, 403, 409, 409, 303)
FORM_INVALID = row(403, 403, 422, 403, 404, 403, 422, 422, 303)
READS = row(403, 403, 200, 200, 404, 403, 200, 200, 303)
PAGES = [
    ("GET", "/officer/queue", None, row(403, 403, 200, 200, 200, 403, 200, 200, 303)),
    ("POST", "/officer/queue/next", {}, row(403, 403, 303, 303, 303, 403, 403, 403, 303)),
    ("GET", "/officer/tasks/{task}", None, READS),
    ("POST", "/officer/tasks/{task}/start", STALE, FORM_WORKS),
    ("POST", "/officer/tasks/{task}/complete", OUTCOME, FORM_WORKS),
    ("POST", "/officer/tasks/{task}/release", STALE, FORM_WORKS),
    ("POST", "/officer/tasks/{task}/documents", {"due_days": "5"}, FORM_INVALID),
    ("POST", "/officer/tasks/{task}/valuation-query", {"reasons_to_doubt": "too low"}, FORM_INVALID),
    ("POST", "/officer/tasks/{task}/valuation-query/decide", {"query_id": "1", "expected_version": "1"},
     FORM_INVALID),
    ("POST", "/officer/tasks/{task}/override", {"lane": "yellow", "reason": "the same lane again"},
     row(403, 403, 422, 422, 404, 403, 422, 422, 303)),
    ("GET", "/officer/tasks/{task}/contributions.svg", None, READS),
    ("GET", "/officer/tasks/{task}/items/1/unit-price.svg", None, READS),
    ("GET", "/officer/evidence/{evidence}", None, READS),
]


@pytest.fixture
def scene(world, engine, settings):
    """Task A-DOC1 (office A) locked to oscar, a photo of it, and its latest decision."""
    task_id = world["tasks"]["A-DOC1"]
    lock_to(engine, "oscar", task_id)
    evidence_id = store_evidence(engine, settings.var_dir / "evidence", declaration_id="A-DOC1", task_id=task_id,
                                 filename="photo.png", data=PNG, content_type="image/png", uploaded_by="alice")
    latest = audit.latest_decisions(engine)
    decision = int(latest.loc[latest["declaration_id"] == "A-DOC1", "decision_id"].iloc[0])
    return {"people": world["people"], "task": task_id, "evidence": evidence_id, "decision": decision}


@pytest.mark.parametrize(("method", "path", "body", "expected"), API, ids=[f"{m} {p}" for m, p, *_ in API])
def test_api_route_by_caller(client, scene, method, path, body, expected):
    url = path.format(**scene)
    got = {}
    for who in CALLERS:
        headers = scene["people"][who].bearer if who else {}
        answer = as_user(client, None).request(method, url, headers=headers, json=body)
        got[who] = answer.status_code
        assert answer.headers["content-type"].startswith("application/json") or answer.status_code == 204
    assert got == expected


@pytest.mark.parametrize(("method", "path", "data", "expected"), PAGES, ids=[f"{m} {p}" for m, p, *_ in PAGES])
def test_page_by_caller(client, scene, method, path, data, expected):
    url = path.format(**scene)
    got = {}
    for who in CALLERS:
        person = scene["people"][who] if who else None
        kwargs = {}
        if method == "POST":
            kwargs["data"] = {**(data or {}), **({"csrf_token": person.csrf} if person else {})}
        answer = as_user(client, person).request(method, url, follow_redirects=False, **kwargs)
        got[who] = answer.status_code
        if who is None:
            assert answer.headers["location"].startswith("/login")
    assert got == expected


def test_pages_refuse_a_post_without_the_csrf_token(client, scene):
    oscar = scene["people"]["oscar"]
    answer = as_user(client, oscar).post(f"/officer/tasks/{scene['task']}/start", data=STALE)
    assert answer.status_code == 403 and "The form has expired" in answer.text


def test_the_api_under_a_session_needs_the_csrf_header(client, scene):
    oscar = scene["people"]["oscar"]
    url = f"/api/v1/tasks/{scene['task']}/start"
    assert as_user(client, oscar).post(url, json=STALE).status_code == 403
    assert client.post(url, json=STALE, headers={"X-CSRF-Token": oscar.csrf}).status_code == 409
