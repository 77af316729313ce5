"""A trader in the portal: lodges a declaration through the form and sees its lane and what to do (never how
customs chose it); cannot open another trader's declaration."""

import re

from playwright.sync_api import expect

from .browser_support import LANE_WORDS, sign_in

ITEM = {  # label: value, for the first goods item of the form
    "Commodity code": "6403990000", "Description of the goods": "mens leather shoes", "Country of origin": "CN",
    "Quantity": "120", "Unit of quantity": "NAR", "Net mass (kg)": "60", "Item price (invoice currency)": "2400",
    "Customs value (national currency)": "2208", "Duty rate (percent)": "8",
}


def fill_form(page, declaration_id: str, **changes) -> None:
    values = {"Declaration ID": declaration_id, "Customs office": "FRPAR1",
              "Date and time of lodging (UTC)": "2025-03-05T10:15", "Declarant ID": "BRK001",
              "Importer ID": "IMP001", "Invoice currency": "USD", "Exchange rate": "0.92",
              "Country of dispatch": "CN", **ITEM, **changes}
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Declaration type", exact=True).select_option("IM")
    page.get_by_label("Mode of transport at the border", exact=True).select_option("1")


def test_a_trader_lodges_a_declaration_and_sees_its_lane_and_what_to_do(page, site):
    sign_in(page, site, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lodge a declaration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lodge a declaration")
    fill_form(page, "WEB-A1")
    page.get_by_role("button", name="Lodge the declaration").click()

    expect(page).to_have_url(re.compile(r"/portal/declarations/WEB-A1\?lodged=new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration WEB-A1")
    expect(page.get_by_role("status")).to_have_text("Your declaration was lodged and assessed.")
    lane = page.locator("section[aria-labelledby=lane-heading]")
    expect(lane.locator(".lane").first).to_have_text(LANE_WORDS)  # the lane in words, not by colour alone
    # what to do now, in words; how customs chose the lane stays with customs (trader_view.py)
    expect(lane.get_by_role("heading", name="What happens now")).to_be_visible()
    expect(lane.locator(".next-step")).not_to_be_empty()
    for secret in ("risk profile", "risk screen", "targeting model", "score", "P-BROWSER"):
        expect(page.locator("main")).not_to_contain_text(secret)
    expect(page.get_by_role("table").first).to_contain_text("mens leather shoes")

    # the list of the trader's declarations has it, with its lane
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My declarations").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="WEB-A1"))
    expect(row.locator(".lane")).to_have_text(LANE_WORDS)


def test_the_form_shows_each_error_next_to_its_field(page, site):
    sign_in(page, site, "alice")
    page.goto(site.url + "/portal/submit")
    fill_form(page, "WEB-A2", **{"Customs office": "", "Quantity": "many"})
    page.get_by_role("button", name="Lodge the declaration").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The declaration was not lodged")
    office = page.get_by_label("Customs office", exact=True)
    expect(office).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-office_id")).to_contain_text("Enter a value.")
    summary.get_by_role("link", name=re.compile("^Customs office")).click()  # the summary leads to the field
    expect(page).to_have_url(re.compile("#f-office_id$"))
    expect(page.get_by_label("Quantity", exact=True)).to_have_value("many")  # what was typed stays


def test_a_trader_cannot_open_another_traders_declaration(page, site):
    sign_in(page, site, "alice")
    answer = page.goto(site.url + "/portal/declarations/BOB-1")
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("main")).not_to_contain_text("mens leather shoes")
    page.goto(site.url + "/portal/declarations")
    expect(page.get_by_role("link", name="BOB-1")).to_have_count(0)
    expect(page.get_by_role("link", name="H-1", exact=True)).to_be_visible()  # her own are listed
    # and the declaration's owner sees it
    page.context.clear_cookies()
    sign_in(page, site, "bob")
    assert page.goto(site.url + "/portal/declarations/BOB-1").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration BOB-1")
