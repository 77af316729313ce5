"""The passenger pages and API on both databases: the flight page (risk list, confirm or dismiss a match, a
disposition), the planning page and its chart, roles, English and French."""

from datetime import date

import pytest

from smartcustoms.passengers import service


@pytest.fixture
def demo_flight(engine):
    seeded = service.seed_demo(engine, date.today(), flights=1, passengers=40)
    return seeded["flights"][0]


def signed(client, person):
    client.cookies.set("sc_session", person.cookie)
    return client


def test_flight_page_lists_risk_and_records_decisions(client, people, demo_flight, engine):
    oscar = people["oscar"]
    signed(client, oscar)
    listing = client.get("/passengers/")
    assert listing.status_code == 200 and f"/passengers/flights/{demo_flight}" in listing.text
    page = client.get(f"/passengers/flights/{demo_flight}")
    assert page.status_code == 200 and "Risk list" in page.text and "Watchlist match" in page.text
    view = service.flight_view(engine, demo_flight)
    (match,) = [m for m in view.matches if m.status == "open"]
    done = client.post(f"/passengers/matches/{match.match_id}", data={"status": "confirmed",
                                                                     "csrf_token": oscar.csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    chosen = next(p for p in view.passengers if p.selected)
    done = client.post(f"/passengers/people/{chosen.passenger_id}/disposition",
                       data={"result": "undeclared_goods", "note": "<b>cigarettes</b>", "csrf_token": oscar.csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"/passengers/flights/{demo_flight}?done=recorded")
    assert "&lt;b&gt;cigarettes&lt;/b&gt;" in page.text and "<b>cigarettes" not in page.text
    after = service.flight_view(engine, demo_flight)
    assert [m.status for m in after.matches if m.match_id == match.match_id] == ["confirmed"]
    assert [d.result for d in after.dispositions] == ["undeclared_goods"]
    again = client.post(f"/passengers/matches/{match.match_id}", data={"status": "dismissed",
                                                                      "csrf_token": oscar.csrf})
    assert again.status_code == 409
    french = client.get(f"/passengers/flights/{demo_flight}?lang=fr")
    assert "Liste des risques" in french.text and "Correspondance avec la liste de surveillance" in french.text


def test_roles_and_api(client, people, demo_flight):
    signed(client, people["alice"])
    assert client.get(f"/passengers/flights/{demo_flight}").status_code == 403
    client.cookies.clear()
    assert client.get("/api/v1/passengers/flights", headers=people["alice"].bearer).status_code == 403
    flights = client.get("/api/v1/passengers/flights", headers=people["anna"].bearer)
    assert [f["flight_id"] for f in flights.json()] == [demo_flight]
    view = client.get(f"/api/v1/passengers/flights/{demo_flight}", headers=people["anna"].bearer).json()
    assert view["selected"] >= 1 and any(p["reasons"] for p in view["passengers"])
    person = view["passengers"][0]["passenger_id"]
    refused = client.post(f"/api/v1/passengers/people/{person}/dispositions", json={"result": "no_finding"},
                          headers=people["anna"].bearer)
    assert refused.status_code == 403
    done = client.post(f"/api/v1/passengers/people/{person}/dispositions", json={"result": "no_finding"},
                       headers=people["oscar"].bearer)
    assert done.status_code == 201 and done.json() == {"flight_id": demo_flight}


def test_planning_page_and_chart(client, people):
    signed(client, people["anna"])
    page = client.get("/passengers/planning?passengers=40&officers=1&lanes=2")
    assert page.status_code == 200 and "With pre-screening" in page.text and "planning-figures" in page.text
    chart = client.get("/passengers/planning/distribution.svg?passengers=40&officers=1&lanes=2")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in chart.content
    assert client.get("/passengers/planning?passengers=0").status_code == 422
