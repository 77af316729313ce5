"""Staff find a declaration by what they hold (its ID or the beginning of it, importer, declarant, seller, carrier,
a transport document or container number) from one search box, and open a page of every declaration, with or
without a task, showing its full history in time order. Officers find only their offices' declarations;
traders have no such page."""

from conftest import as_user, declaration


def lodge(client, person, body):
    answer = as_user(client, None).post("/api/v1/declarations", json=body, headers=person.bearer)
    assert answer.status_code == 201, answer.text


def test_the_search_finds_by_id_importer_and_declarant_within_what_the_user_may_see(client, people):
    lodge(client, people["alice"], declaration("S-PAR-1"))
    lodge(client, people["alice"], declaration("S-PAR-2"))
    lodge(client, people["bob"], declaration("S-LYS-1", importer_id="IMP002", declarant_id="BRK002",
                                             office_id="FRLYS1"))
    api = as_user(client, None)
    found = api.get("/api/v1/search", params={"q": "imp001"}, headers=people["anna"].bearer).json()
    assert sorted(r["declaration_id"] for r in found) == ["S-PAR-1", "S-PAR-2"]
    assert {r["matched"] for r in found} == {"importer_id"}
    by_prefix = api.get("/api/v1/search", params={"q": "S-"}, headers=people["anna"].bearer).json()
    assert len(by_prefix) == 3 and {r["matched"] for r in by_prefix} == {"declaration_id"}
    assert [r["declaration_id"] for r in api.get("/api/v1/search", params={"q": "BRK002"},
                                                 headers=people["root"].bearer).json()] == ["S-LYS-1"]
    # the officer of FRPAR1 does not find Lyon's declaration, even by its ID
    officer = api.get("/api/v1/search", params={"q": "S-"}, headers=people["oscar"].bearer).json()
    assert sorted(r["declaration_id"] for r in officer) == ["S-PAR-1", "S-PAR-2"]
    assert api.get("/api/v1/search", params={"q": "S-"}, headers=people["alice"].bearer).status_code == 403
    assert api.get("/api/v1/search", params={"q": "100%_"}, headers=people["anna"].bearer).json() == []


def test_the_search_page_links_every_result_and_a_whole_id_opens_its_page(client, people):
    lodge(client, people["alice"], declaration("S-PAR-3"))
    lodge(client, people["alice"], declaration("S-PAR-4"))
    as_user(client, people["anna"])
    page = client.get("/staff/search", params={"q": "IMP001"})
    assert page.status_code == 200 and 'href="/staff/declarations/S-PAR-3"' in page.text
    assert 'role="search"' in page.text  # the box is on every staff page
    straight = client.get("/staff/search", params={"q": "s-par-4"}, follow_redirects=False)
    assert straight.status_code == 303 and straight.headers["location"] == "/staff/declarations/S-PAR-4"
    nothing = client.get("/staff/search", params={"q": "NOTHING-LIKE-IT"})
    assert "No declaration you may see matches" in nothing.text
    french = client.get("/staff/search", params={"q": "IMP001", "lang": "fr"})
    assert "Trouver une déclaration" in french.text


def test_every_staff_role_has_a_page_of_a_declaration_with_its_history(client, people):
    lodge(client, people["alice"], declaration("S-PAR-5"))
    for name in ("oscar", "anna", "sam", "root"):
        as_user(client, people[name])
        page = client.get("/staff/declarations/S-PAR-5")
        assert page.status_code == 200, name
        assert "Full history" in page.text and "Declaration lodged" in page.text and "Lane given" in page.text
        assert "Why this lane" in page.text  # staff see how the lane was chosen
        history = page.text.split("Full history")[1]
        assert history.index("Declaration lodged") < history.index("Lane given")  # in time order
    as_user(client, people["alice"])
    assert client.get("/staff/declarations/S-PAR-5").status_code == 403
    lodge(client, people["bob"], declaration("S-LYS-2", importer_id="IMP002", declarant_id="BRK002",
                                             office_id="FRLYS1"))
    as_user(client, people["oscar"])
    assert client.get("/staff/declarations/S-LYS-2").status_code == 404  # not his office: as if it did not exist


def test_the_latest_declarations_on_the_home_page_link_to_their_pages(client, people):
    lodge(client, people["alice"], declaration("S-PAR-6"))
    as_user(client, people["anna"])
    assert 'href="/staff/declarations/S-PAR-6"' in client.get("/").text
    as_user(client, people["alice"])
    assert 'href="/portal/declarations/S-PAR-6"' in client.get("/").text  # a trader's lead to the portal


def test_the_history_is_in_time_order_a_days_control_result_never_before_the_lodging(client, people, engine):
    import pandas as pd

    from smartcustoms.outcomes.service import store_outcomes
    from smartcustoms.store.db import utc_now

    lodge(client, people["alice"], declaration("S-TIME-1"))
    today = pd.Timestamp(utc_now()).normalize()  # a control result dated by its day: 00:00, before the lodging
    store_outcomes(engine, pd.DataFrame([{
        "declaration_id": "S-TIME-1", "inspection_date": today, "control_type": "documentary",
        "selection_reason": "random", "result": "no_discrepancy", "infringement": "none", "duty_recovered": 0.0}]))
    detail = as_user(client, None).get("/api/v1/declarations/S-TIME-1", headers=people["anna"].bearer).json()
    events = [e["event"] for e in detail["timeline"]]
    assert events.index("lodged") < events.index("outcome"), events
    times = [e["at"] for e in detail["timeline"]]
    assert times == sorted(times)
