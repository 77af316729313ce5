"""Every route of the analyst console checks the role: each route, called by each kind of caller, answers as this
table says.

Callers (tests/web/conftest.py): alice and bob (traders), oscar (officer at FRPAR1), anna (analyst), sam
(supervisor), root (admin), and nobody. Profiles and models: analysts, supervisors and admins read; analysts,
supervisors and admins write and replay drafts; supervisors and admins approve, publish, retire, suppress,
promote and roll back. KPIs: officers (their own offices), analysts, supervisors and admins. Traders: 403.

Each caller acts on an object of its own (``{who}`` in a path), staged by others before, so every allowed call
succeeds whatever the order: P-A-<WHO> awaits approval, P-P-<WHO> awaits publication, P-T-<WHO> is published,
and model "<who>" is a challenger; the champion history allows a rollback by each caller.
"""

import pytest
from analyst_support import CUT, shoes, stage_profile, tiny_model
from conftest import as_user, declaration

from smartcustoms.targeting import service as registry

CALLERS = ["alice", "bob", "oscar", "anna", "sam", "root", None]
PERIOD = {"since": "2025-03-01", "until": "2025-03-31"}


def row(alice, bob, oscar, anna, sam, root, nobody):
    return dict(zip(CALLERS, (alice, bob, oscar, anna, sam, root, nobody)))


def tag(who) -> str:
    return (who or "nobody").upper()


API = [  # method, path ({who} and {model} filled per caller), request arguments, expected status by caller
    ("GET", "/api/v1/profiles", None, row(403, 403, 403, 200, 200, 200, 401)),
    ("GET", "/api/v1/profiles/P-T-ANNA", None, row(403, 403, 403, 200, 200, 200, 401)),
    ("POST", "/api/v1/profiles", lambda who: {"json": {"yaml": shoes(f"P-NEW-{tag(who)}")}},
     row(403, 403, 403, 201, 201, 201, 401)),
    ("POST", "/api/v1/profiles/replay", lambda who: {"json": {"yaml": shoes(), **PERIOD}},
     row(403, 403, 403, 200, 200, 200, 401)),
    ("POST", "/api/v1/profiles/P-A-{who}/versions/1/approve", None, row(403, 403, 403, 403, 200, 200, 401)),
    ("POST", "/api/v1/profiles/P-P-{who}/versions/1/publish", None, row(403, 403, 403, 403, 200, 200, 401)),
    ("POST", "/api/v1/profiles/P-T-{who}/versions/1/retire", lambda who: {"json": {"reason": "no longer needed"}},
     row(403, 403, 403, 403, 200, 200, 401)),
    ("GET", "/api/v1/models", None, row(403, 403, 403, 200, 200, 200, 401)),
    ("POST", "/api/v1/models/{model}/promote", None, row(403, 403, 403, 403, 200, 200, 401)),
    ("POST", "/api/v1/models/rollback", None, row(403, 403, 403, 403, 200, 200, 401)),
    ("GET", "/api/v1/kpis", None, row(403, 403, 200, 200, 200, 200, 401)),
]

PAGES = [
    ("GET", "/analyst/profiles", None, row(403, 403, 403, 200, 200, 200, 303)),
    ("GET", "/analyst/profiles/new", None, row(403, 403, 403, 200, 200, 200, 303)),
    ("POST", "/analyst/profiles/new", lambda who: {"data": {"yaml": shoes(), "action": "preview", **PERIOD}},
     row(403, 403, 403, 200, 200, 200, 303)),
    ("GET", "/analyst/profiles/P-T-ANNA", None, row(403, 403, 403, 200, 200, 200, 303)),
    ("POST", "/analyst/profiles/P-A-{who}/versions/1/approve", None, row(403, 403, 403, 403, 303, 303, 303)),
    ("POST", "/analyst/profiles/P-P-{who}/versions/1/publish", None, row(403, 403, 403, 403, 303, 303, 303)),
    ("POST", "/analyst/profiles/P-T-{who}/versions/1/retire", lambda who: {"data": {"reason": "no longer needed"}},
     row(403, 403, 403, 403, 303, 303, 303)),
    ("POST", "/analyst/profiles/P-T-{who}/suppress",
     lambda who: {"data": {"importer": "IMP001", "until": "2099-12-31", "reason": "false alarms"}},
     row(403, 403, 403, 403, 303, 303, 303)),
    ("GET", "/analyst/models", None, row(403, 403, 403, 200, 200, 200, 303)),
    ("POST", "/analyst/models/{model}/promote", None, row(403, 403, 403, 403, 303, 303, 303)),
    ("POST", "/analyst/models/rollback", None, row(403, 403, 403, 403, 303, 303, 303)),
    ("GET", "/analyst/models/drift", None, row(403, 403, 403, 200, 200, 200, 303)),
    ("GET", "/analyst/kpis", None, row(403, 403, 200, 200, 200, 200, 303)),
    ("GET", "/analyst/kpis/charts/hit_rates.svg", None, row(403, 403, 200, 200, 200, 200, 303)),
]


@pytest.fixture(scope="module")
def fitted():
    train, model, _ = tiny_model()
    return train, model


@pytest.fixture
def staged(client, people, engine, fitted, tmp_path, staged_once):
    """D1 lodged by alice (2025-03-04, at FRPAR1); per caller: profiles at each step, and a challenger model; a
    champion history of as many promotions as callers, so that each may roll back once. Staged once per kind of
    database, then copied into each test's (conftest.staged_once)."""
    def build():
        answer = as_user(client, None).post("/api/v1/declarations", json=declaration("D1"),
                                            headers=people["alice"].bearer)
        assert answer.status_code == 201
        for who in CALLERS:
            stage_profile(engine, f"P-A-{tag(who)}", "committed")
            stage_profile(engine, f"P-P-{tag(who)}", "approved")
            stage_profile(engine, f"P-T-{tag(who)}", "published")
        train, model = fitted
        champions = [registry.register(engine, model, train, {"auc": 0.7}, tmp_path, "trainer",
                                       window=(None, CUT))]
        for _ in CALLERS:
            champions.append(registry.register(engine, model, train, {}, tmp_path, "trainer"))
            registry.promote(engine, champions[-1], "boss")
        models = {who: registry.register(engine, model, train, {}, tmp_path, "trainer", label=f"for {who}")
                  for who in CALLERS}
        return people, models

    return staged_once("staged", build)


def _path(path: str, who, models: dict) -> str:
    return path.format(who=tag(who), model=models[who])


@pytest.mark.parametrize(("method", "path", "arguments", "expected"), API, ids=[f"{m} {p}" for m, p, *_ in API])
def test_api_route_by_caller(client, staged, method, path, arguments, expected):
    people, models = staged
    got = {}
    for who in CALLERS:
        headers = people[who].bearer if who else {}
        answer = as_user(client, None).request(method, _path(path, who, models), headers=headers,
                                               **(arguments(who) if arguments else {}))
        got[who] = answer.status_code
    assert got == expected


@pytest.mark.parametrize(("method", "path", "arguments", "expected"), PAGES,
                         ids=[f"{m} {p}" for m, p, *_ in PAGES])
def test_page_by_caller(client, staged, method, path, arguments, expected):
    people, models = staged
    got = {}
    for who in CALLERS:
        person = people[who] if who else None
        kwargs = arguments(who) if arguments else {}
        if method == "POST" and person is not None:
            kwargs.setdefault("data", {})["csrf_token"] = person.csrf
        answer = as_user(client, person).request(method, _path(path, who, models), follow_redirects=False,
                                                 **kwargs)
        got[who] = answer.status_code
        if answer.status_code == 303 and "/analyst/profiles/preview/" in answer.headers["location"]:
            got[who] = 200  # a preview taking longer runs in the background: accepted, its page follows it
        if who is None:
            assert answer.headers["location"].startswith("/login")
    assert got == expected


def test_the_navigation_shows_the_console_by_role(client, people):
    expected = {"alice": set(), "oscar": {"/analyst/kpis"},
                "anna": {"/analyst/profiles", "/analyst/models", "/analyst/kpis"},
                "sam": {"/analyst/profiles", "/analyst/models", "/analyst/kpis"},
                "root": {"/analyst/profiles", "/analyst/models", "/analyst/kpis"}}
    for who, links in expected.items():
        html = as_user(client, people[who]).get("/").text
        nav = html.split('aria-label="Main"')[1].split("</nav>")[0]
        shown = {path for path in ("/analyst/profiles", "/analyst/models", "/analyst/kpis")
                 if f'href="{path}"' in nav}
        assert shown == links, who
