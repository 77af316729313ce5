"""Lodging checks the reference data: a declaration at an office that is not in the offices list (or by a mode of
transport the office does not clear) is refused on its field, through the API, a file and the portal's form."""

from conftest import as_user, declaration
from sqlalchemy import func, select
from test_portal import post_form

from smartcustoms.declarations.tables import declarations
from support import csv_bytes, item_row


def stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(declarations)).scalar_one()


def test_the_api_refuses_an_unknown_office_on_its_field_and_stores_nothing(client, people, engine):
    api = as_user(client, None)
    answer = api.post("/api/v1/declarations", json=declaration("N1", office_id="NOWHERE"),
                      headers=people["alice"].bearer)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == [{"loc": ["body", "office_id"], "type": "office_unknown",
                                        "msg": "unknown customs office 'NOWHERE': lodge at one of the offices in "
                                               "the reference list"}]
    by_air = api.post("/api/v1/declarations", json=declaration("N2", office_id="PORT-NORTH", transport_mode="4"),
                      headers=people["alice"].bearer)
    assert by_air.status_code == 422 and by_air.json()["detail"][0]["loc"] == ["body", "transport_mode"]
    assert stored(engine) == 0
    good = api.post("/api/v1/declarations", json=declaration("N3", office_id="PORT-NORTH", transport_mode="1"),
                    headers=people["alice"].bearer)
    assert good.status_code == 201 and stored(engine) == 1


def test_a_file_lodges_the_good_declarations_and_rejects_the_unknown_office(client, people):
    rows = [item_row("F1"), item_row("F2", office_id="NOWHERE")]
    answer = as_user(client, None).post("/api/v1/declarations/file", headers=people["alice"].bearer,
                                        files={"file": ("batch.csv", csv_bytes(rows), "text/csv")})
    body = answer.json()
    assert answer.status_code == 200 and body["accepted"] == 1 and body["rejected"] == 1
    assert [(r["declaration_id"], r["field"], r["value"]) for r in body["rejects"]] == [("F2", "office_id", "NOWHERE")]


def test_the_form_shows_the_refusal_at_the_office_field_in_english_and_french(client, people):
    page = post_form(client, people["alice"], office_id="NOWHERE")
    assert page.status_code == 422
    assert "This customs office is not in the reference list" in page.text
    alice = people["alice"]
    as_user(client, alice).cookies.set("sc_lang", "fr")
    french = client.post("/portal/submit", data={**{k: v for k, v in page_form().items()}, "office_id": "NOWHERE",
                                                 "csrf_token": alice.csrf, "action": "lodge"})
    assert french.status_code == 422
    assert "Ce bureau de douane ne figure pas dans la liste de référence" in french.text


def page_form() -> dict:
    from test_portal import FORM

    return dict(FORM)
