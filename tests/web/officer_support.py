"""Fixtures and builders of the officer console's tests: more officers, declarations lodged at two offices, their
inspection tasks opened by the control chain, a risk engine with a risk profile (and one with a targeting model).

Offices: FRPAR1 ("office A": oscar and otto work there) and FRLYS1 ("office B": olga). Declarations:

- ``A-RED``: office A, importer IMP001, a valuation doubt (unit price far below the reference band) and gross
  mass far above net mass (the profile P-TEST-MASS): a red lane, a physical task;
- ``A-DOC1``, ``A-DOC2``: office A, importer IMP001, put in the yellow lane by an officer: documentary tasks;
- ``B-DOC``: office B, importer IMP002: a documentary task.
"""

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import PASSWORD, Person, as_user, declaration
from sqlalchemy import delete, func, select

import fitted
from smartcustoms.accounts import service as accounts
from smartcustoms.control import service as control_service
from smartcustoms.control.repository import inspections as task_sql
from smartcustoms.control.tables import clearance, outcomes, task_events, tasks
from smartcustoms.risk import repository as audit
from smartcustoms.risk.assess import RiskEngine
from smartcustoms.risk.profiles import parse_profiles
from smartcustoms.store.db import moment
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings
from smartcustoms.web.officer.presenters import officer_records

OFFICE_A, OFFICE_B = "FRPAR1", "FRLYS1"
MORE_PEOPLE = {"otto": ("officer", {"offices": [OFFICE_A]}), "olga": ("officer", {"offices": [OFFICE_B]})}
CALLERS = ["alice", "bob", "oscar", "otto", "olga", "anna", "sam", "root", None]
PROFILE = """
- profile_id: P-TEST-MASS
  title: Gross mass far above net mass
  purpose: >-
    A declared gross mass far above the net mass hides goods: scan or open the packages.
  owner: Enforcement
  lane: red
  weight: 80
  valid_from: 2025-01-01
  criteria:
    - field: mass_ratio
      min: 1.25
"""


def red_item(**changes) -> dict:
    """Car rims from China at 7 EUR each, where comparable imports cost 50 to 95: a valuation doubt; gross mass
    twice the net mass: the test profile hits."""
    item = {"item_number": 1, "commodity_code": "87087050", "goods_description": "car rims", "origin_country": "CN",
            "quantity": 500, "quantity_unit": "NAR", "net_mass": 5000, "gross_mass": 10000, "item_price": 3800,
            "customs_value": 3500, "duty_rate": 26.5, "tax_type": "A00"}
    return {**item, **changes}


@pytest.fixture
def settings(tmp_path):
    """The web settings, with the evidence folder (var_dir) in the test's own folder."""
    return WebSettings(password_time_cost=1, password_memory_kib=64, batch_wait_ms=1,
                       lodging_process=False,
                       var_dir=tmp_path / "var")


@pytest.fixture
def app(engine, risk_engine, settings):
    """The app with the conftest's screens and the test profile."""
    return create_app(settings, engine, risk_engine=replace(risk_engine, profiles=parse_profiles(PROFILE)))


@pytest.fixture
def staff(engine, app, people) -> dict[str, Person]:
    """The conftest's people, and otto (officer at office A) and olga (officer at office B)."""
    out = dict(people)
    for name, (role, scopes) in MORE_PEOPLE.items():
        user = accounts.create_user(engine, name, PASSWORD, role, hasher=app.state.hasher, **scopes)
        _, token = accounts.create_token(engine, name, "tests")
        cookie, csrf = accounts.create_session(engine, user.user_id, 1)
        out[name] = Person(name, role, token, cookie, csrf)
    return out


def lodge(client, staff, declaration_id: str, *, office: str = OFFICE_A, importer: str = "IMP001",
          items: list[dict] | None = None, **changes) -> dict:
    """Lodge a declaration through the API as the admin (who lodges for anyone)."""
    body = declaration(declaration_id, importer_id=importer, office_id=office, **changes)
    if items is not None:
        body["items"] = items
    answer = as_user(client, None).post("/api/v1/declarations", json=body, headers=staff["root"].bearer)
    assert answer.status_code == 201, answer.text
    return answer.json()


def set_lane(engine, declaration_id: str, lane: str) -> None:
    """Put a declaration in `lane` (an officer's override of its latest decision) unless it is there already."""
    latest = audit.latest_decisions(engine)
    row = latest[latest["declaration_id"] == declaration_id].iloc[0]
    if row["final_lane"] != lane:
        audit.override(engine, int(row["decision_id"]), lane, "test setup: the lane this test needs", "setup")


def take_back_chains(engine, ids: list[str]) -> None:
    """Lodging gave each declaration its lane and opened its control chain (released at once in the green and
    blue lanes); a test that then sets the lane takes back the chains without a task, as if the declarations had
    been lodged into the lanes it sets (open_tasks opens them again)."""
    with engine.begin() as conn:
        conn.execute(delete(clearance).where(clearance.c.declaration_id.in_(ids),
                                             ~clearance.c.declaration_id.in_(select(tasks.c.declaration_id))))


def open_tasks(engine, due: dict | None = None) -> dict[str, int]:
    """Open the control chain's tasks (inspections.open_controls); declaration ID -> task ID."""
    control_service.open_controls(engine, due=due)
    frame = control_service.task_frame(engine)
    return dict(zip(frame["declaration_id"], frame["task_id"].astype(int)))


@pytest.fixture
def world(client, staff, engine, settings, staged_once) -> dict:
    """The four declarations and their tasks (see the module docstring): {"people", "tasks"}. Staged once per
    module and kind of database, then copied into each test's (conftest.staged_once): take the people from here."""
    def build():
        lodge(client, staff, "A-RED", items=[red_item()])
        for declaration_id, office, importer in (("A-DOC1", OFFICE_A, "IMP001"), ("A-DOC2", OFFICE_A, "IMP001"),
                                                 ("B-DOC", OFFICE_B, "IMP002")):
            lodge(client, staff, declaration_id, office=office, importer=importer)
            set_lane(engine, declaration_id, "yellow")
        set_lane(engine, "A-RED", "red")
        take_back_chains(engine, ["A-RED", "A-DOC1", "A-DOC2", "B-DOC"])
        for name in ("oscar", "otto", "olga"):  # their officer records, as their first visit of the console makes
            officer_records(engine, accounts.get_user(engine, name), create=True)
        return {"people": staff, "tasks": open_tasks(engine)}

    return staged_once("world", build, folder=settings.var_dir)


def task_row(engine, task_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(tasks).where(tasks.c.task_id == task_id)).mappings().one())


def counts(engine, task_id: int) -> tuple[int, int]:
    """(outcomes, events) of a task: what a refused change must leave as it was."""
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(outcomes).where(outcomes.c.task_id == task_id))
        events = conn.execute(select(func.count()).select_from(task_events).where(task_events.c.task_id == task_id))
        return found.scalar_one(), events.scalar_one()


def lock_to(engine, officer_id: str, task_id: int) -> int:
    """Lock a created task to an officer, as take_next does (the state machine's step, one event); its version."""
    with engine.begin() as conn:
        task = task_sql.load_task(conn, task_id)
        return task_sql.move(conn, task, "assigned", actor=officer_id, expected_version=task.version,
                             at=moment(None), officer_id=officer_id, note="test setup")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def version_in(html: str, form_action: str) -> str:
    """The expected_version of the form posting to `form_action` on a page."""
    form = re.search(rf'<form method="post" action="{re.escape(form_action)}(#[a-z-]+)?".*?</form>', html,
                     re.S).group(0)  # a form of the decision part lands back on it (#control-heading)
    return re.search(r'name="expected_version" value="(\d+)"', form).group(1)


@pytest.fixture(scope="session")
def model_engine() -> RiskEngine:
    """Screens and a targeting model fitted on a small generated history, once per test process."""
    screens = fitted.screens(model=True)
    return RiskEngine(screens=screens, model_version=screens["model"].version)


OVERDUE = {"documentary": timedelta(hours=-2)}  # tasks due two hours before their lane was given
