# ruff: noqa: F811 - the fixtures imported from officer_support are the tests' parameters
"""The control API: the case queue's lock, optimistic locking, outcomes with their field-level errors, releases,
outcomes and lane overrides, each scoped to the caller's offices."""

from datetime import timedelta

from conftest import as_user
from officer_support import (  # noqa: F401
    OFFICE_A,
    OFFICE_B,
    OVERDUE,
    app,
    counts,
    lock_to,
    lodge,
    open_tasks,
    set_lane,
    settings,
    staff,
    task_row,
    world,
)
from sqlalchemy import select

from smartcustoms.accounts import service as accounts
from smartcustoms.control import service as control_service
from smartcustoms.control.tables import clearance, outcomes
from smartcustoms.risk import repository as audit
from smartcustoms.risk.assess import RiskEngine
from smartcustoms.store.db import moment


def api(client, person, method: str, path: str, **kwargs):
    return as_user(client, None).request(method, f"/api/v1{path}", headers=person.bearer, **kwargs)


def test_take_next_locks_a_different_task_to_each_officer(client, world, engine):
    people = world["people"]
    first = api(client, people["oscar"], "POST", "/tasks/next")
    second = api(client, people["otto"], "POST", "/tasks/next")
    assert first.status_code == second.status_code == 200
    mine, theirs = first.json(), second.json()
    assert mine["task_id"] != theirs["task_id"]
    assert (mine["officer_id"], mine["state"]) == ("oscar", "assigned")
    assert (theirs["officer_id"], theirs["state"]) == ("otto", "assigned")
    assert {mine["declaration_id"], theirs["declaration_id"]} == {"A-DOC1", "A-DOC2"}  # the most urgent first
    # taking again gives each their own task back; nobody gets the other's
    assert api(client, people["oscar"], "POST", "/tasks/next").json()["task_id"] == mine["task_id"]
    assert api(client, people["otto"], "POST", "/tasks/next").json()["task_id"] == theirs["task_id"]
    listed = api(client, people["oscar"], "GET", "/tasks", params={"mine": "true"}).json()
    assert [t["task_id"] for t in listed["items"]] == [mine["task_id"]]


def test_take_next_answers_204_when_the_office_has_nothing_left(client, world, engine):
    olga = world["people"]["olga"]
    taken = api(client, olga, "POST", "/tasks/next").json()
    control_service.transition(engine, taken["task_id"], "in_progress", actor="olga",
                               expected_version=taken["version"])
    answer = api(client, olga, "POST", "/tasks/next")
    assert answer.status_code == 204 and answer.content == b""


def test_an_officer_of_several_offices_names_the_office(client, world, engine, app):
    accounts.create_user(engine, "uma", "correct horse battery", "officer", hasher=app.state.hasher,
                         offices=[OFFICE_A, OFFICE_B])
    _, token = accounts.create_token(engine, "uma", "tests")
    headers = {"Authorization": f"Bearer {token}"}
    answer = as_user(client, None).post("/api/v1/tasks/next", headers=headers)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "office"]
    assert as_user(client, None).post("/api/v1/tasks/next", headers=headers,
                                      json={"office": "XXPAR9"}).status_code == 422
    taken = as_user(client, None).post("/api/v1/tasks/next", headers=headers, json={"office": OFFICE_B}).json()
    assert (taken["declaration_id"], taken["officer_id"]) == ("B-DOC", f"uma@{OFFICE_B}")  # one record per office


def test_the_whole_path_from_created_to_released_through_the_api(client, world, engine):
    people = world["people"]
    oscar = people["oscar"]
    task = api(client, oscar, "POST", "/tasks/next").json()
    assert task["declaration_id"] == "A-DOC1" and task["mode"] == "documentary"
    started = api(client, oscar, "POST", f"/tasks/{task['task_id']}/start",
                  json={"expected_version": task["version"], "note": "desk check"})
    assert started.status_code == 200 and started.json()["state"] == "in_progress"
    done = api(client, oscar, "POST", f"/tasks/{task['task_id']}/complete", json={
        "expected_version": started.json()["version"], "result": "discrepancy", "infringements": ["valuation"],
        "duty_before": 176.64, "duty_after": 250.0, "penalty": 50, "offence_code": "V-12",
        "note": "invoice shows a higher price"})
    assert done.status_code == 200, done.text
    completed = done.json()
    assert completed["task"]["state"] == "completed" and completed["outcome_id"] > 0
    released = api(client, oscar, "POST", f"/tasks/{task['task_id']}/release",
                   json={"expected_version": completed["task"]["version"]})
    assert released.status_code == 200 and released.json()["state"] == "released"

    detail = api(client, oscar, "GET", f"/tasks/{task['task_id']}").json()
    assert [e["to_state"] for e in detail["history"]] == ["created", "assigned", "in_progress", "completed",
                                                          "released"]
    assert {e["actor"] for e in detail["history"][1:]} == {"oscar"}
    outcome, = detail["outcomes"]
    assert (outcome["result"], outcome["infringements"], outcome["duty_recovered"], outcome["officer"]) == (
        "discrepancy", ["valuation"], 73.36, "oscar")
    with engine.connect() as conn:
        status = conn.execute(select(clearance.c.status, clearance.c.released_at)
                              .where(clearance.c.declaration_id == "A-DOC1")).one()
    assert status.status == "released" and status.released_at is not None
    # the trader sees it on the declaration
    seen = api(client, people["alice"], "GET", "/declarations/A-DOC1").json()
    assert seen["status"] == "released"
    assert [e["event"] for e in seen["timeline"]][-1] == "released"
    assert "desk check" not in str(seen) and "higher price" not in str(seen)  # officers' notes stay inside customs


def test_a_stale_version_is_refused_with_409_and_nothing_is_written(client, world, engine):
    oscar = world["people"]["oscar"]
    task_id = world["tasks"]["A-DOC1"]
    version = lock_to(engine, "oscar", task_id)
    version = control_service.transition(engine, task_id, "in_progress", actor="oscar", expected_version=version)
    before = task_row(engine, task_id), counts(engine, task_id)
    answer = api(client, oscar, "POST", f"/tasks/{task_id}/complete", json={
        "expected_version": version - 1, "result": "no_discrepancy", "duty_before": 10, "duty_after": 10})
    assert answer.status_code == 409
    assert "changed by someone else" in answer.json()["detail"][0]["msg"]
    assert (task_row(engine, task_id), counts(engine, task_id)) == before
    # the same with the right version goes through
    again = api(client, oscar, "POST", f"/tasks/{task_id}/complete", json={
        "expected_version": version, "result": "no_discrepancy", "duty_before": 10, "duty_after": 10})
    assert again.status_code == 200


def test_an_outcome_that_contradicts_itself_is_refused_field_by_field(client, world, engine):
    oscar = world["people"]["oscar"]
    task_id = world["tasks"]["A-DOC1"]
    version = control_service.transition(engine, task_id, "in_progress", actor="oscar",
                                         expected_version=lock_to(engine, "oscar", task_id))
    path = f"/tasks/{task_id}/complete"
    base = {"expected_version": version, "duty_before": 10, "duty_after": 10}
    cases = [  # body, the field blamed
        ({**base, "result": "discrepancy"}, ["body", "infringements"]),
        ({**base, "result": "no_discrepancy", "duty_after": 20}, ["body", "duty_after"]),
        ({**base, "result": "no_discrepancy", "seized": True}, ["body", "seized"]),
        ({**base, "result": "maybe"}, ["body", "result"]),
        ({**base, "result": "discrepancy", "infringements": ["smuggling"]}, ["body", "infringements", 0]),
        ({**base, "result": "no_discrepancy", "duty_before": -1}, ["body", "duty_before"]),
        ({"result": "no_discrepancy", "duty_before": 1, "duty_after": 1}, ["body", "expected_version"]),
    ]
    before = counts(engine, task_id)
    for body, loc in cases:
        answer = api(client, oscar, "POST", path, json=body)
        assert answer.status_code == 422, body
        assert answer.json()["detail"][0]["loc"] == loc, (body, answer.json())
    assert counts(engine, task_id) == before


def test_steps_out_of_order_are_conflicts(client, world, engine):
    oscar = world["people"]["oscar"]
    task_id = world["tasks"]["A-RED"]
    version = lock_to(engine, "oscar", task_id)
    started = api(client, oscar, "POST", f"/tasks/{task_id}/start", json={"expected_version": version})
    assert started.status_code == 409 and "book a slot first" in started.json()["detail"][0]["msg"]
    release = api(client, oscar, "POST", f"/tasks/{task_id}/release", json={"expected_version": version})
    assert release.status_code == 409 and "cannot go to released" in release.json()["detail"][0]["msg"]


def test_officers_work_only_their_own_tasks_and_offices(client, world, engine):
    people = world["people"]
    task_id = world["tasks"]["A-DOC1"]
    version = lock_to(engine, "oscar", task_id)
    body = {"expected_version": version}
    refused = api(client, people["otto"], "POST", f"/tasks/{task_id}/start", json=body)
    assert refused.status_code == 403 and "locked to officer oscar" in refused.json()["detail"][0]["msg"]
    assert api(client, people["olga"], "GET", f"/tasks/{task_id}").status_code == 404
    assert api(client, people["olga"], "POST", f"/tasks/{task_id}/start", json=body).status_code == 404
    assert api(client, people["olga"], "GET", "/tasks/999999").status_code == 404
    # a supervisor steps in, as themself
    assert api(client, people["sam"], "POST", f"/tasks/{task_id}/start", json=body).status_code == 200
    assert control_service.task_history(engine, task_id)["actor"].iloc[-1] == "sam"
    # officers list their offices' tasks only; supervisors every office's
    olga_sees = api(client, people["olga"], "GET", "/tasks").json()
    assert {t["office_id"] for t in olga_sees["items"]} == {OFFICE_B} and olga_sees["total"] == 1
    assert api(client, people["sam"], "GET", "/tasks").json()["total"] == 4
    assert api(client, people["olga"], "GET", "/tasks", params={"office": OFFICE_A}).json()["total"] == 0


def test_the_task_list_filters_and_flags_overdue_tasks(client, world, engine):
    people = world["people"]
    late = open_tasks(engine, due=OVERDUE)  # nothing new: the existing tasks keep their due times
    assert late == world["tasks"]
    oscar = people["oscar"]
    listed = api(client, oscar, "GET", "/tasks", params={"lane": "red"}).json()
    assert [t["declaration_id"] for t in listed["items"]] == ["A-RED"]
    assert listed["items"][0]["overdue"] is False
    assert api(client, oscar, "GET", "/tasks", params={"state": "released"}).json()["total"] == 0
    assert api(client, oscar, "GET", "/tasks", params={"state": "sleeping"}).status_code == 422
    # a task past its due time is flagged
    control_service.open_controls(engine)  # idempotent
    lodge(client, people, "A-LATE")
    set_lane(engine, "A-LATE", "yellow")
    open_tasks(engine, due=OVERDUE)
    items = api(client, oscar, "GET", "/tasks").json()["items"]
    assert items[0]["declaration_id"] == "A-LATE" and items[0]["overdue"] is True  # the most urgent first
    assert [t["overdue"] for t in items[1:]] == [False] * (len(items) - 1)


def test_outcomes_are_listed_by_office_declaration_and_date(client, world, engine):
    people = world["people"]
    for name, declaration_id in (("oscar", "A-DOC1"), ("olga", "B-DOC")):
        task_id = world["tasks"][declaration_id]
        version = control_service.transition(engine, task_id, "in_progress", actor=name,
                                             expected_version=lock_to(engine, name, task_id))
        control_service.complete(engine, task_id, actor=name, expected_version=version, result="no_discrepancy",
                                 duty_before=5, duty_after=5)
    mine = api(client, people["oscar"], "GET", "/outcomes").json()
    assert [o["declaration_id"] for o in mine["items"]] == ["A-DOC1"] and mine["total"] == 1
    assert api(client, people["anna"], "GET", "/outcomes").json()["total"] == 2
    one = api(client, people["sam"], "GET", "/outcomes", params={"declaration_id": "B-DOC"}).json()
    assert [o["officer"] for o in one["items"]] == ["olga"]
    today = moment(None).date()
    assert api(client, people["sam"], "GET", "/outcomes",
               params={"since": str(today + timedelta(days=1))}).json()["total"] == 0
    assert api(client, people["sam"], "GET", "/outcomes", params={"since": str(today)}).json()["total"] == 2
    assert api(client, people["sam"], "GET", "/outcomes", params={"since": "yesterday"}).status_code == 422
    assert api(client, people["olga"], "GET", "/outcomes",
               params={"declaration_id": "A-DOC1"}).json()["total"] == 0


def test_a_lane_override_is_recorded_with_its_reason(client, world, engine):
    people = world["people"]
    latest = audit.latest_decisions(engine)
    decision = int(latest.loc[latest["declaration_id"] == "A-RED", "decision_id"].iloc[0])
    path = f"/decisions/{decision}/override"
    short = api(client, people["otto"], "POST", path, json={"lane": "yellow", "reason": "no"})
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "reason"]
    assert api(client, people["otto"], "POST", path, json={"lane": "purple", "reason": "a fine reason"}
               ).json()["detail"][0]["loc"] == ["body", "lane"]
    assert api(client, people["olga"], "POST", path, json={"lane": "yellow", "reason": "a fine reason"}
               ).status_code == 404
    answer = api(client, people["otto"], "POST", path, json={"lane": "yellow", "reason": "invoice checked by phone"})
    assert answer.status_code == 201
    assert answer.json()["lane"] == "yellow" and answer.json()["previous_lane"] == "red"
    latest = audit.latest_decisions(engine)
    row = latest[latest["declaration_id"] == "A-RED"].iloc[0]
    assert (row["final_lane"], row["override_reason"]) == ("yellow", "invoice checked by phone")
    assert api(client, people["sam"], "POST", "/decisions/999999/override",
               json={"lane": "red", "reason": "a fine reason"}).status_code == 404


def test_an_old_decision_cannot_be_overridden(client, world, engine):
    people = world["people"]
    lodge(client, people, "A-TWICE")
    # a second assessment of the same declaration (as a replay would write) makes the first one old
    latest = audit.latest_decisions(engine)
    row = latest[latest["declaration_id"] == "A-TWICE"].iloc[0]
    audit.record_assessment(engine, latest[latest["declaration_id"] == "A-TWICE"], RiskEngine().provenance(), "test")
    answer = api(client, people["sam"], "POST", f"/decisions/{int(row['decision_id'])}/override",
                 json={"lane": "red", "reason": "a fine reason"})
    assert answer.status_code == 409 and "override that one" in answer.json()["detail"][0]["msg"]


def test_nothing_is_written_for_an_outcome_of_another_office(client, world, engine):
    olga = world["people"]["olga"]
    task_id = world["tasks"]["A-DOC1"]
    before = counts(engine, task_id)
    answer = api(client, olga, "POST", f"/tasks/{task_id}/complete", json={
        "expected_version": 1, "result": "no_discrepancy", "duty_before": 1, "duty_after": 1})
    assert answer.status_code == 404
    assert counts(engine, task_id) == before
    with engine.connect() as conn:
        assert conn.execute(select(outcomes)).first() is None


def test_out_of_range_ids_and_bad_text_are_invalid_not_errors(client, world, engine):
    sam = world["people"]["sam"]
    task_id = world["tasks"]["A-DOC1"]
    assert api(client, sam, "GET", f"/tasks/{2**40}").status_code == 422
    assert api(client, sam, "GET", "/tasks", params={"office": "FR PAR"}).status_code == 422
    assert api(client, sam, "GET", "/outcomes", params={"offset": 2**40}).status_code == 422
    huge = api(client, sam, "POST", f"/tasks/{task_id}/start", json={"expected_version": 2**40})
    assert huge.status_code == 422 and huge.json()["detail"][0]["loc"] == ["body", "expected_version"]
    nul = api(client, sam, "POST", f"/tasks/{task_id}/release", json={"expected_version": 1, "note": "a\x00b"})
    assert nul.status_code == 422 and nul.json()["detail"][0]["loc"] == ["body", "note"]
    assert api(client, sam, "POST", f"/decisions/{2**40}/override",
               json={"lane": "red", "reason": "a fine reason"}).status_code == 422
