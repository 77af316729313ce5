# ruff: noqa: F811 - the fixtures imported from officer_support are the tests' parameters
"""The server opens the control chain of what it lodges: a red-lane declaration lodged through the API gets its
clearance row (held) and its inspection task, and shows in the officer's queue, without `control open`."""

import time

import pytest
from conftest import as_user
from officer_support import app, lodge, red_item, staff  # noqa: F401
from sqlalchemy import select

from smartcustoms.control import inspections
from smartcustoms.control.tables import clearance
from smartcustoms.web.config import WebSettings


@pytest.fixture
def settings(tmp_path):
    return WebSettings(password_time_cost=1, password_memory_kib=64, batch_wait_ms=1, control_open_seconds=0.05,
                       lodging_process=False,
                       var_dir=tmp_path / "var")


def wait_for(check, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("not within the time allowed")


def statuses(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(clearance.c.declaration_id, clearance.c.status)).all())


def test_a_red_declaration_lodged_through_the_api_reaches_the_officers_queue(client, staff, engine):
    red = lodge(client, staff, "W-RED", items=[red_item()])
    plain = lodge(client, staff, "W-PLAIN")
    assert red["lane"] == "red" and red["status"] == "assessed"  # the answer comes before the control chain
    assert plain["lane"] in ("green", "blue")

    wait_for(lambda: {"W-RED", "W-PLAIN"} <= statuses(engine).keys())
    found = statuses(engine)
    assert found["W-RED"] == "held" and found["W-PLAIN"] == "released"
    tasks = inspections.task_frame(engine)
    assert tasks["declaration_id"].tolist() == ["W-RED"] and tasks["state"].tolist() == ["created"]

    queue = as_user(client, None).get("/api/v1/tasks", headers=staff["oscar"].bearer)
    assert queue.status_code == 200 and [t["declaration_id"] for t in queue.json()["items"]] == ["W-RED"]
    seen = as_user(client, None).get("/api/v1/declarations/W-RED", headers=staff["alice"].bearer).json()
    assert seen["status"] == "held"
    assert client.app.state.opener.pending() == 0
    assert client.app.state.opener._pool is not None  # opened in a process of its own (a file or server database)


def test_declarations_still_pending_at_shutdown_are_opened_on_the_way_out(app, staff, engine):
    from conftest import TestClient

    app.state.settings.control_open_seconds = 3600  # the periodic run never comes
    with TestClient(app) as client:
        lodge(client, staff, "W-LAST", items=[red_item()])
        assert app.state.opener.pending() == 1 and "W-LAST" not in statuses(engine)
    assert statuses(engine)["W-LAST"] == "held"
    assert inspections.task_frame(engine)["declaration_id"].tolist() == ["W-LAST"]


def test_a_failed_run_keeps_its_declarations_for_the_next(app, engine, monkeypatch):
    opener = app.state.opener
    opener.add(["NOT-STORED"])
    assert opener.run_once() == {"tasks": 0, "clearance": 0, "released": 0, "held": 0, "skipped": 0}
    assert opener.pending() == 0 and opener.run_once() is None

    class Gone:
        def submit(self, *args):
            raise OSError("the opener's process is gone")

    monkeypatch.setattr(opener, "_process", lambda: Gone())
    opener.add(["X1", "X2"])
    with pytest.raises(OSError, match="gone"):
        opener.run_once()
    assert opener.pending() == 2
    opener.close()
