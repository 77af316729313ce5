"""schemathesis against the OpenAPI document: no operation answers a server error (5xx), whatever the input.

Every operation of /api/v1/openapi.json is called with generated data (valid and invalid), as an admin and as a
trader (API tokens), on SQLite holding a few lodged declarations; a bounded number of examples per operation
keeps the run short. Only the `not_a_server_error` check runs: status codes and bodies are the other tests' job.
"""

import pytest
import schemathesis
from conftest import PASSWORD, declaration
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from smartcustoms.accounts import service as accounts
from smartcustoms.risk.assess import RiskEngine
from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings

EXAMPLES = 12  # per operation and caller


@pytest.fixture(scope="module")
def served(tmp_path_factory, risk_engine):
    """The app on a SQLite file with an admin and a trader (their tokens) and a few lodged declarations."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'api.db'}")
    migrate.upgrade(engine)
    settings = WebSettings(password_time_cost=1, password_memory_kib=64, batch_wait_ms=0,
                           lodging_process=False)
    app = create_app(settings, engine, risk_engine=risk_engine)
    from fastapi.testclient import TestClient

    tokens = {}
    for name, role, scopes in (("root", "admin", {}), ("alice", "trader", {"importers": ["IMP001"]})):
        accounts.create_user(engine, name, PASSWORD, role, hasher=app.state.hasher, **scopes)
        tokens[role] = accounts.create_token(engine, name, "schemathesis")[1]

    with TestClient(app) as client:
        for n in range(1, 4):
            answer = client.post("/api/v1/declarations", json=declaration(f"D{n}"),
                                 headers={"Authorization": f"Bearer {tokens['admin']}"})
            assert answer.status_code == 201, answer.text
        yield app, tokens
    engine.dispose()


@pytest.fixture(scope="module")
def api_schema(served):
    app, _ = served
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation of the document (read from an app that is never started)."""
    app = create_app(WebSettings(), make_engine("sqlite://"), risk_engine=RiskEngine())
    return [(method.upper(), path) for path, methods in app.openapi()["paths"].items() for method in methods]


@pytest.mark.parametrize("role", ["admin", "trader"])
@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_operation_answers_a_server_error(api_schema, served, method, path, role):
    _, tokens = served
    operation = api_schema[path][method]
    # valid inputs, and inputs that break the schema (they must get a 4xx, never a 5xx)
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case):
        response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
        case.validate_response(response, checks=[not_a_server_error])

    call()
