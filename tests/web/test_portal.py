"""The trader portal's pages: lists, the form with inline errors, file upload, a declaration's page, the
compliance record; in English and French."""

import re
from datetime import timedelta

import pandas as pd
from conftest import as_user, declaration
from sqlalchemy import delete, insert

from smartcustoms.control.tables import clearance, task_events, tasks
from smartcustoms.outcomes.service import store_outcomes
from smartcustoms.store.db import utc_now
from support import csv_bytes, item_row

FORM = {
    "declaration_id": "W1", "declaration_type": "IM", "office_id": "FRPAR1",
    "acceptance_datetime": "2025-03-04T09:30", "declarant_id": "BRK001", "importer_id": "IMP001",
    "transport_mode": "1", "incoterm": "FOB", "invoice_currency": "USD", "exchange_rate": "0.92",
    "dispatch_country": "CN", "items-0-commodity_code": "6403990000", "items-0-goods_description": "shoes",
    "items-0-origin_country": "CN", "items-0-quantity": "120", "items-0-quantity_unit": "NAR",
    "items-0-net_mass": "60", "items-0-item_price": "2400", "items-0-customs_value": "2208",
    "items-0-duty_rate": "8",
}


def post_form(client, person, **changes):
    data = {**FORM, "csrf_token": person.csrf, "action": "lodge", **changes}
    return as_user(client, person).post("/portal/submit", data={k: v for k, v in data.items() if v is not None},
                                        follow_redirects=False)


def test_the_form_lodges_a_declaration_and_shows_its_page(client, people):
    answer = post_form(client, people["alice"])
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/declarations/W1?lodged=new"
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    assert "Your declaration was lodged and assessed." in page.text
    assert re.search(r'class="lane lane-(green|blue|yellow|red)">[A-Z]', page.text)  # the lane in words
    assert "web form" in page.text and "shoes" in page.text
    again = post_form(client, people["alice"])
    assert again.headers["location"] == "/portal/declarations/W1?lodged=again"


def test_the_form_shows_each_problem_next_to_its_field(client, people):
    answer = post_form(client, people["alice"], office_id="", dispatch_country="XX", **{
        "items-0-quantity": "many", "items-0-commodity_code": "12"})
    assert answer.status_code == 422
    html = answer.text
    assert 'role="alert"' in html and "The declaration was not lodged" in html
    for key, message in (("office_id", "Enter a value."), ("dispatch_country", "unknown ISO 3166 country code"),
                         ("items-0-quantity", "Enter a number."), ("items-0-commodity_code", "6 to 10 digits")):
        field = re.search(rf'<input id="f-{key}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field and f"error-{key}" in field, key
        error = re.search(rf'<p class="field-error" id="error-{key}">(.*?)</p>', html, re.S).group(1)
        assert message in error, (key, error)
        assert f'href="#f-{key}"' in html  # the summary links to the field
    assert 'value="many"' in html  # what was typed stays
    assert 'aria-describedby="hint-declaration_id"' in html  # hints are tied to their field too


def test_a_goods_item_can_be_added_without_javascript(client, people):
    answer = post_form(client, people["alice"], action="add_item")
    assert answer.status_code == 200
    assert "Goods item 2" in answer.text and 'name="items-1-commodity_code"' in answer.text
    assert 'value="6403990000"' in answer.text  # the first item is kept
    two = {f"items-1-{k.removeprefix('items-0-')}": v for k, v in FORM.items() if k.startswith("items-0-")}
    lodged = post_form(client, people["alice"], declaration_id="W2", **two)
    assert lodged.status_code == 303
    assert "2 goods items" in client.get(lodged.headers["location"]).text


def test_the_form_refuses_another_traders_importer_and_a_conflict(client, people):
    foreign = post_form(client, people["alice"], importer_id="IMP002", declarant_id="BRK002")
    assert foreign.status_code == 403 and 'id="error-importer_id"' in foreign.text
    assert "You may not lodge declarations for this importer" in foreign.text
    post_form(client, people["alice"])
    conflict = post_form(client, people["alice"], exchange_rate="0.5")
    assert conflict.status_code == 409 and 'id="error-declaration_id"' in conflict.text
    assert "give the declaration a new ID" in conflict.text


def test_a_file_uploaded_in_the_portal_gets_lanes_and_rejects(client, people):
    alice = people["alice"]
    rows = [item_row("U1", importer_id="IMP001"), item_row("U2", importer_id="IMP001", quantity="0")]
    answer = as_user(client, alice).post("/portal/submit/file", data={"csrf_token": alice.csrf, "mapping": "own"},
                                         files={"file": ("mine.csv", csv_bytes(rows), "text/csv")})
    assert answer.status_code == 200
    assert "1 declaration lodged and assessed." in answer.text and "1 declaration refused." in answer.text
    assert "/portal/declarations/U1" in answer.text and "quantity" in answer.text
    empty = client.post("/portal/submit/file", data={"csrf_token": alice.csrf},
                        files={"file": ("x.txt", b"nothing", "text/plain")})
    assert empty.status_code == 422 and 'id="upload-error"' in empty.text


def test_my_declarations_lists_mine_only(client, people):
    client.post("/api/v1/declarations", json=declaration("A1"), headers=people["alice"].bearer)
    client.post("/api/v1/declarations", json=declaration("B1", importer_id="IMP002"), headers=people["bob"].bearer)
    page = as_user(client, people["alice"]).get("/portal/declarations").text
    assert "/portal/declarations/A1" in page and "/portal/declarations/B1" not in page
    assert as_user(client, people["alice"]).get("/portal/declarations/B1").status_code == 404
    home = as_user(client, people["oscar"]).get("/").text  # an officer's home lists his office's declarations
    assert "A1" in home and "B1" in home and "My declarations" not in home


def test_the_declaration_page_shows_the_timeline_of_the_control_chain(client, people, engine):
    client.post("/api/v1/declarations", json=declaration("T1"), headers=people["alice"].bearer)
    now = utc_now()
    hour = timedelta(hours=1)
    with engine.begin() as conn:
        task_id = conn.execute(insert(tasks).values(
            declaration_id="T1", office_id="FRPAR1", lane="red", mode="physical", state="completed", source="random",
            reasons="[]", checklist="[]", created_at=now, due_at=now, updated_at=now, version=1,
        ).returning(tasks.c.task_id)).scalar_one()
        conn.execute(insert(task_events), [
            {"task_id": task_id, "from_state": None, "to_state": "created", "actor": "system", "at": now + hour,
             "note": None},
            {"task_id": task_id, "from_state": "created", "to_state": "in_progress", "actor": "officer 7",
             "at": now + 2 * hour, "note": "tip from intelligence"}])
        conn.execute(delete(clearance).where(clearance.c.declaration_id == "T1"))  # lodging opened it: as if red
        conn.execute(insert(clearance).values(declaration_id="T1", office_id="FRPAR1", lane="red",
                                              lodged_at=now - timedelta(minutes=1), lane_at=now,
                                              released_at=now + 5 * hour, status="released"))
    store_outcomes(engine, pd.DataFrame([{
        "declaration_id": "T1", "inspection_date": pd.Timestamp(now + 3 * hour), "control_type": "physical",
        "selection_reason": "random", "result": "discrepancy", "infringement": "valuation",
        "duty_recovered": 150.0}]))
    page = as_user(client, people["alice"]).get("/portal/declarations/T1").text
    events = [e.strip() for e in re.findall(r"<span>([^<:]+)", page)]
    assert events == ["Declaration lodged", "Lane given", "Control task", "Control task", "Control result",
                      "Goods released"]
    assert "in progress" in page and "discrepancy found" in page
    assert "tip from intelligence" not in page  # officers' notes stay inside customs
    detail = client.get("/api/v1/declarations/T1", headers=people["anna"].bearer).json()
    assert detail["status"] == "released"
    assert [e["event"] for e in detail["timeline"]] == ["lodged", "lane", "task", "task", "outcome", "released"]
    assert "tip from intelligence" in [e["note"] for e in detail["timeline"]]


def test_the_compliance_record_counts_controls_and_discrepancies(client, people, engine):
    for n in range(3):
        client.post("/api/v1/declarations", json=declaration(f"C{n}"), headers=people["alice"].bearer)
    client.post("/api/v1/declarations", json=declaration("X1", importer_id="IMP002"), headers=people["bob"].bearer)
    store_outcomes(engine, pd.DataFrame([
        {"declaration_id": key, "inspection_date": pd.Timestamp("2025-03-05"), "control_type": "documentary",
         "selection_reason": "risk", "result": result, "infringement": "", "duty_recovered": duty}
        for key, result, duty in (("C0", "discrepancy", 120.0), ("C1", "no_discrepancy", 0.0),
                                  ("X1", "discrepancy", 999.0))]))
    page = as_user(client, people["alice"]).get("/portal/compliance").text
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert facts["Declarations"] == "3" and facts["Controls"] == "2" and facts["Discrepancies found"] == "1"
    assert facts["Discrepancy rate"] == "50.0%" and facts["Duty recovered"] == "120.00"
    assert "/portal/declarations/X1" not in page and ">X1<" not in page  # another trader's declaration
    assert "999.00" not in page and '<svg role="img"' in page


def test_pages_render_in_french(client, people):
    client.post("/api/v1/declarations", json=declaration("F1"), headers=people["alice"].bearer)
    as_user(client, people["alice"])
    page = client.get("/portal/declarations/F1?lang=fr")
    assert '<html lang="fr">' in page.text and "Déclaration F1" in page.text and "Chronologie" in page.text
    assert "sc_lang=fr" in page.headers["set-cookie"]
    assert "Mes déclarations" in client.get("/portal/declarations").text  # the cookie keeps the choice
    form = client.get("/portal/submit").text
    assert "Déposer une déclaration" in form and "Code marchandise" in form
    invalid = client.post("/portal/submit", data={**FORM, "office_id": "", "csrf_token": people["alice"].csrf})
    assert invalid.status_code == 422 and "Saisissez une valeur." in invalid.text
    client.cookies.delete("sc_lang")
    assert '<html lang="fr">' in client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"}).text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "de, en;q=0.5"}).text
