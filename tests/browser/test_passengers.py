"""A passenger officer opens a flight arriving today, sees why passengers were selected, confirms a watchlist
match and records a disposition."""

from datetime import date

from playwright.sync_api import expect

from smartcustoms.passengers import service

from .browser_support import sign_in


def test_an_officer_works_a_flight_risk_list(page, site):
    seeded = service.seed_demo(site.engine, date.today(), seed=81, flights=1, passengers=30)
    flight_id = seeded["flights"][0]
    sign_in(page, site, "oscar")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Passengers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flights arriving")
    page.locator(f"a[href='/passengers/flights/{flight_id}']").click()
    expect(page.get_by_role("heading", name="Risk list")).to_be_visible()
    risk = page.locator("#risk-list")
    expect(risk).to_contain_text("Watchlist match")
    match = risk.locator(".match").first
    match.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_have_text("Match confirmed.")
    expect(page.locator("#risk-list .match").first).to_contain_text("confirmed (oscar)")
    row = page.locator("#risk-list tbody tr").first
    row.get_by_label("Result").select_option("undeclared_goods")
    row.get_by_label("Note").fill("two cartons of cigarettes")
    row.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_have_text("Disposition recorded.")
    expect(page.locator("#risk-list")).to_contain_text("two cartons of cigarettes")
