# ruff: noqa: F811 - the fixtures imported from officer_support are the tests' parameters
"""A decision opens its control chain in its own transaction: a red-lane declaration lodged through the API has
its clearance row (held) and its inspection task when the answer comes, and shows in the officer's queue; a
restart opens any chain left unopened."""

import pandas as pd
from conftest import TestClient, as_user, declaration
from officer_support import app, lodge, red_item, staff  # noqa: F401
from sqlalchemy import select

from smartcustoms.control import service as control_service
from smartcustoms.control.tables import clearance
from smartcustoms.declarations.models import Declaration
from smartcustoms.declarations.repository import finish_batch, start_batch, store
from smartcustoms.declarations.validate import REJECT_COLUMNS, VALID_COLUMNS, flatten
from smartcustoms.risk.repository import record_assessment


def statuses(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(clearance.c.declaration_id, clearance.c.status)).all())


def test_a_red_declaration_lodged_through_the_api_is_held_and_queued_when_the_answer_comes(client, staff, engine):
    red = lodge(client, staff, "W-RED", items=[red_item()])
    plain = lodge(client, staff, "W-PLAIN")
    assert red["lane"] == "red" and red["status"] == "held"
    assert plain["lane"] in ("green", "blue") and plain["status"] == "released"
    assert statuses(engine) == {"W-RED": "held", "W-PLAIN": "released"}
    tasks = control_service.task_frame(engine)
    assert tasks["declaration_id"].tolist() == ["W-RED"] and tasks["state"].tolist() == ["created"]

    queue = as_user(client, None).get("/api/v1/tasks", headers=staff["oscar"].bearer)
    assert queue.status_code == 200 and [t["declaration_id"] for t in queue.json()["items"]] == ["W-RED"]
    seen = as_user(client, None).get("/api/v1/declarations/W-RED", headers=staff["alice"].bearer).json()
    assert seen["status"] == "held"
    assert control_service.open_controls(engine) == {"tasks": 0, "clearance": 0, "released": 0, "held": 0,
                                                 "skipped": 0}  # nothing was left to catch up with


def test_a_restart_opens_the_chains_left_unopened(app, engine):
    row = flatten(Declaration.model_validate(declaration("OLD-1")), 1)
    with engine.begin() as conn:
        batch = start_batch(conn, "test", "json", None)
        finish_batch(conn, batch, store(conn, pd.DataFrame(row, columns=VALID_COLUMNS), batch),
                     pd.DataFrame(columns=REJECT_COLUMNS), 0)
    record_assessment(engine, pd.DataFrame([{  # as an older version recorded it: a decision, no chain
        "declaration_id": "OLD-1", "lane": "yellow", "source": "screen", "random": False, "risk_score": 0.8,
        "duty_at_risk": 10.0, "explanation": "{}"}]), {"settings_version": "t", "settings": {}, "profiles": {},
                                                       "model_version": None}, "test")
    assert control_service.unopened(engine) == ["OLD-1"]
    with TestClient(app):
        pass
    assert statuses(engine) == {"OLD-1": "held"}
    assert control_service.task_frame(engine)["declaration_id"].tolist() == ["OLD-1"]
    assert control_service.unopened(engine) == []
