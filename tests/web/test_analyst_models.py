"""The model registry through the analyst console: champion and challengers, promotion and rollback (by
supervisors), the drift report; and the same through the API."""

import pytest
from analyst_support import CUT, row_of, table, tiny_model
from conftest import as_user, csrf_of

from smartcustoms.declarations.service import import_file
from smartcustoms.targeting import service as registry
from smartcustoms.world import write_world


@pytest.fixture(scope="module")
def fitted():
    return tiny_model()


@pytest.fixture
def two_models(engine, fitted, tmp_path):
    train, model, _ = fitted
    first = registry.register(engine, model, train, {"auc": 0.81, "rows": 797, "rank_by": "fraud"}, tmp_path, "anna",
                              label="spring", window=(train["declaration_date"].min(), CUT))
    second = registry.register(engine, model, train, {"auc": 0.84}, tmp_path, "anna", label="summer",
                               window=(train["declaration_date"].min(), CUT))
    return first, second


def statuses(client, person) -> dict[str, str]:
    rows = table(as_user(client, person).get("/analyst/models").text, "Registered models")
    return {row[0].split()[0]: row[1] for row in rows[1:]}


def test_promote_and_roll_back_through_the_pages(client, people, two_models):
    first, second = two_models
    anna, sam = people["anna"], people["sam"]
    page = as_user(client, anna).get("/analyst/models").text
    assert statuses(client, anna) == {"summer": "challenger", "spring": "champion"}
    spring = row_of(table(page, "Registered models"), f"spring {first}")
    assert "area under the ROC curve 0.8100" in spring[5] and "declarations 797" in spring[5] \
        and "ranked by fraud" in spring[5]  # the metrics in words (feature_words), not raw keys
    assert "Promote" not in page.split("<table")[1]  # an analyst reads, a supervisor acts

    html = as_user(client, sam).get("/analyst/models").text
    assert "Roll back to the previous champion" not in html  # no earlier champion yet: not offered
    promoted = client.post(f"/analyst/models/{second}/promote", data={"csrf_token": csrf_of(html)},
                           follow_redirects=False)
    assert promoted.status_code == 303 and promoted.headers["location"] == "/analyst/models?done=promoted"
    assert "Promoted: the model is the champion." in client.get(promoted.headers["location"]).text
    assert statuses(client, sam) == {"summer": "champion", "spring": "retired"}
    offered = client.get("/analyst/models").text
    assert "Roll back to the previous champion" in offered and f"({first})" in offered  # now it is
    again = client.post(f"/analyst/models/{first}/promote", data={"csrf_token": sam.csrf}, follow_redirects=False)
    assert again.status_code == 409 and "use rollback to bring back a former champion" in again.text

    back = client.post("/analyst/models/rollback", data={"csrf_token": sam.csrf, "note": "summer misfires"},
                       follow_redirects=False)
    assert back.status_code == 303
    assert statuses(client, sam) == {"summer": "retired", "spring": "champion"}
    log = table(client.get("/analyst/models").text, "Who did what")
    assert [r[2:] for r in log[1:3]] == [["rolled back", "sam", "summer misfires"],
                                         ["demoted", "sam", f"rolled back to {first}"]]
    assert "Roll back to the previous champion" not in client.get("/analyst/models").text
    none_left = client.post("/analyst/models/rollback", data={"csrf_token": sam.csrf}, follow_redirects=False)
    assert none_left.status_code == 409 and "no earlier champion" in none_left.text
    unknown = client.post("/analyst/models/M0/promote", data={"csrf_token": sam.csrf}, follow_redirects=False)
    assert unknown.status_code == 404


def test_promote_and_roll_back_through_the_api(client, people, two_models):
    first, second = two_models
    api, anna, root = as_user(client, None), people["anna"].bearer, people["root"].bearer
    listed = api.get("/api/v1/models", headers=anna).json()
    assert [(m["model_id"], m["status"], m["label"]) for m in listed] == [(second, "challenger", "summer"),
                                                                        (first, "champion", "spring")]
    assert listed[1]["metrics"] == {"auc": 0.81, "rank_by": "fraud", "rows": 797} and listed[1]["features"]
    assert api.post(f"/api/v1/models/{second}/promote", headers=anna).status_code == 403
    promoted = api.post(f"/api/v1/models/{second}/promote", json={"note": "better auc"}, headers=root)
    assert promoted.status_code == 200 and promoted.json() == {"champion": second, "replaced": first}
    assert api.post("/api/v1/models/rollback", headers=root).json() == {"champion": first, "replaced": None}
    refused = api.post("/api/v1/models/rollback", headers=root)
    assert refused.status_code == 409 and "no earlier champion" in refused.json()["detail"][0]["msg"]
    assert api.post("/api/v1/models/M0/promote", headers=root).status_code == 404
    retired = api.post(f"/api/v1/models/{second}/promote", headers=root)
    assert retired.status_code == 409


def test_an_empty_registry(client, people):
    page = as_user(client, people["anna"]).get("/analyst/models")
    assert page.status_code == 200 and "No model is registered yet" in page.text
    drift = client.get("/analyst/models/drift")
    assert drift.status_code == 200 and "there is no champion model" in drift.text
    assert as_user(client, None).get("/api/v1/models", headers=people["anna"].bearer).json() == []


def test_drift_report_of_the_champion(client, people, engine, fitted, tmp_path):
    train, model, world = fitted
    write_world(world, tmp_path / "world")
    import_file(engine, tmp_path / "world" / "declarations.csv")
    registry.register(engine, model, train, {}, tmp_path, "anna", label="spring",
                      window=(train["declaration_date"].min(), CUT))
    page = as_user(client, people["anna"]).get("/analyst/models/drift")
    assert page.status_code == 200
    rows = table(page.text, "Population stability index")
    assert rows[1][0] == "model score score" and len(rows) > 5  # words, then the raw key
    assert any(r[0].startswith(("past discrepancy rate of", "earlier declarations of", "past controls of")) for r in rows)
    assert all(float(r[1]) >= 0 for r in rows[1:])
    assert "training declarations against" in page.text
