# ruff: noqa: F811 - the fixtures imported from officer_support are the tests' parameters
"""On a file or server database the server lodges in a process of its own: its answers are the decisions the
risk engine gives in the server's process, a newly published profile reaches it, and a lodging process that
dies is replaced."""

import json
import os
import signal

import pytest
from conftest import as_user, declaration
from officer_support import PROFILE, lodge, red_item, staff  # noqa: F401

from smartcustoms.declarations.repository import load_declarations
from smartcustoms.risk import repository as audit
from smartcustoms.risk import repository as profile_store
from smartcustoms.risk.assess import assess, explain
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings


@pytest.fixture
def settings(tmp_path):
    return WebSettings(password_time_cost=1, password_memory_kib=64, batch_wait_ms=1, lodging_processes=2,
                       var_dir=tmp_path / "var")  # lodging_process: True, the default


@pytest.fixture
def app(engine, risk_engine, settings):
    return create_app(settings, engine, risk_engine=risk_engine)


def test_the_lodging_process_gives_the_decisions_of_the_server_s_own_engine(client, staff, engine, risk_engine):
    bodies = [declaration(f"P-{n}", items=2) for n in range(6)]
    bodies += [declaration("P-RIMS", items=1) | {"items": [red_item()]},
               declaration("P-GB", dispatch_country="GB") | {"items": [red_item(origin_country="GB")]}]
    for body in bodies:
        answer = as_user(client, None).post("/api/v1/declarations", json=body, headers=staff["root"].bearer)
        assert answer.status_code == 201, answer.text
    lodging = client.app.state.lodging_process
    assert lodging.processes == 2 and all(slot.pool is not None for slot in lodging._slots)  # processes of its own
    # its commits leave the wait for the disk to its checkpoints (the default)
    assert client.app.state.lodging_process.synchronous == "normal"

    ids = [body["declaration_id"] for body in bodies]
    stored = audit.latest_decisions(engine, ids=ids).set_index("declaration_id")
    here = explain(assess(load_declarations(engine, ids=ids), risk_engine), list(risk_engine.screens))
    here = here.set_index("declaration_id")
    assert sorted(stored.index) == sorted(ids)
    for key in ids:
        assert stored.at[key, "lane"] == here.at[key, "lane"]
        assert stored.at[key, "risk_score"] == pytest.approx(here.at[key, "risk_score"])
        assert json.loads(stored.at[key, "explanation"]) == json.loads(here.at[key, "explanation"])
    assert json.loads(stored.at["P-RIMS", "explanation"])["scores"]["valuation"]["score"] > 0


def test_a_profile_published_after_the_first_batch_reaches_the_lodging_process(client, staff, engine):
    assert lodge(client, staff, "BEFORE", items=[red_item()])["source"] != "profile"  # no profile yet
    for profile_id, version in profile_store.commit_sources(engine, [(PROFILE, "test.yaml")], author="anna"):
        profile_store.approve(engine, profile_id, version, approver="sam")
        profile_store.publish(engine, profile_id, version, actor="sam")
    client.app.state.risk.reload_profiles()

    after = lodge(client, staff, "AFTER", items=[red_item()])
    assert after["lane"] == "red" and after["source"] == "profile"
    assert "P-TEST-MASS" in json.dumps(after["reasons"])


def test_a_lodging_process_that_dies_is_replaced(client, staff):
    lodge(client, staff, "FIRST")
    lodging = client.app.state.lodging_process
    pids = [pid for slot in lodging._slots for pid in slot.pool._processes]
    assert len(pids) == 2
    for pid in pids:
        os.kill(pid, signal.SIGKILL)

    second = lodge(client, staff, "SECOND")  # the dead process is found out and another one lodges it
    assert second["declaration_id"] == "SECOND" and second["lane"] in ("green", "blue", "yellow", "red")
    lodge(client, staff, "THIRD")  # the other process, found out in turn
    assert not {pid for slot in lodging._slots if slot.pool for pid in slot.pool._processes} & set(pids)
    again = as_user(client, None).get("/api/v1/declarations/SECOND", headers=staff["root"].bearer)
    assert again.status_code == 200 and again.json()["lane"] == second["lane"]
