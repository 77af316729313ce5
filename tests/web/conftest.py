"""A web app on each test database, with accounts of every role; the risk engine is fitted once per session."""

import re
import warnings
from dataclasses import dataclass

import pytest

import fitted
from smartcustoms.accounts import service as accounts
from smartcustoms.risk.assess import RiskEngine
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2 drive its TestClient
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
FAST = {"password_time_cost": 1, "password_memory_kib": 64, "batch_wait_ms": 1,
        "lodging_process": False}  # lodged in the test's process (test_lodging_process: in one of its own)
PEOPLE = {  # username: (role, scopes)
    "alice": ("trader", {"importers": ["IMP001"]}),
    "bob": ("trader", {"importers": ["IMP002"], "declarants": ["BRK002"]}),
    "oscar": ("officer", {"offices": ["FRPAR1"]}),
    "anna": ("analyst", {}),
    "sam": ("supervisor", {}),
    "root": ("admin", {}),
}


@dataclass
class Person:
    name: str
    role: str
    token: str
    cookie: str
    csrf: str

    @property
    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def risk_engine():
    """Screens fitted on a small generated history (what the database would give), once per test process."""
    return RiskEngine(screens=fitted.screens())


@pytest.fixture
def settings():
    return WebSettings(**FAST)


@pytest.fixture
def app(engine, risk_engine, settings):
    return create_app(settings, engine, risk_engine=risk_engine)


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def people(engine, app) -> dict[str, Person]:
    out = {}
    for name, (role, scopes) in PEOPLE.items():
        user = accounts.create_user(engine, name, PASSWORD, role, hasher=app.state.hasher, **scopes)
        _, token = accounts.create_token(engine, name, "tests")
        cookie, csrf = accounts.create_session(engine, user.user_id, 1)
        out[name] = Person(name, role, token, cookie, csrf)
    return out


def as_user(client: TestClient, person: Person | None) -> TestClient:
    """The client with this person's session cookie only (None: nobody signed in)."""
    client.cookies.clear()
    if person is not None:
        client.cookies.set("sc_session", person.cookie)
    return client


def declaration(declaration_id: str = "D0001", importer_id: str = "IMP001", declarant_id: str = "BRK001",
                items: int = 1, **changes) -> dict:
    """One valid declaration in the JSON layout of the API."""
    body = {
        "declaration_id": declaration_id, "declaration_type": "IM", "office_id": "FRPAR1",
        "acceptance_datetime": "2025-03-04T09:30:00", "declarant_id": declarant_id, "importer_id": importer_id,
        "seller_id": "SEL001", "transport_mode": "1", "incoterm": "FOB", "invoice_currency": "USD",
        "exchange_rate": 0.92, "dispatch_country": "CN",
        "items": [{"item_number": n, "commodity_code": "6403990000", "goods_description": "mens leather shoes",
                   "origin_country": "CN", "quantity": 120, "quantity_unit": "NAR", "net_mass": 60,
                   "gross_mass": 66, "item_price": 2400, "customs_value": 2208, "duty_rate": 8, "tax_type": "A00"}
                  for n in range(1, items + 1)],
    }
    body.update(changes)
    return body


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
