"""Every operation of the API document (but the health check) refuses a caller without credentials, or with a
token that is unknown, with 401 and the one error shape; and a trader's token on an admin operation with 403."""

import pytest
from conftest import as_user

from smartcustoms.risk.assess import RiskEngine
from smartcustoms.store.db import make_engine
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings

PUBLIC = {("GET", "/api/v1/health")}


def _operations() -> list[tuple[str, str, dict]]:
    """(method, path with its parameters filled in, operation) of the document (an app that is never started)."""
    app = create_app(WebSettings(), make_engine("sqlite://"), risk_engine=RiskEngine())
    out = []
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            filled = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    is_int = parameter["schema"].get("type") == "integer"
                    filled = filled.replace("{" + parameter["name"] + "}", "1" if is_int else "X1")
            if (method.upper(), path) not in PUBLIC:
                out.append((method.upper(), filled, operation))
    return out


OPERATIONS = _operations()


def assert_error_shape(answer, status: int) -> None:
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, list) and detail and {"loc", "msg", "type"} <= set(detail[0])


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_an_operation_refuses_a_caller_without_credentials(client, method, path, operation):
    assert_error_shape(as_user(client, None).request(method, path), 401)
    answer = as_user(client, None).request(method, path, headers={"Authorization": "Bearer sct_unknown"})
    assert_error_shape(answer, 401)


ADMIN = [(m, p, o) for m, p, o in OPERATIONS if p.startswith("/api/v1/admin/")]


@pytest.mark.parametrize(("method", "path", "operation"), ADMIN, ids=[f"{m} {p}" for m, p, _ in ADMIN])
def test_an_admin_operation_refuses_a_trader(client, people, method, path, operation):
    assert_error_shape(as_user(client, None).request(method, path, headers=people["alice"].bearer), 403)
