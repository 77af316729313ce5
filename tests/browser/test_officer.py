"""An officer works an inspection task from the queue to the release; the trader then sees the release."""

import re

from playwright.sync_api import expect

from .browser_support import open_task, sign_in


def test_an_officer_completes_the_inspection_and_the_trader_sees_the_release(page, site):
    # alice's declaration at olga's office, put in the yellow lane (a documentary control), and the control
    # chain's job that opens the tasks of new red and yellow decisions
    open_task(site, "CTRL-1", office="FRLYS1", lane="yellow")

    sign_in(page, site, "olga")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Work queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Work queue")
    expect(page.get_by_role("table")).to_contain_text("CTRL-1")
    page.get_by_role("button", name="Take next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Task \d+: declaration CTRL-1$"))

    page.get_by_role("button", name="Start the control").click()
    page.get_by_label("No discrepancy: the goods are as declared").check()
    page.get_by_role("button", name="Record the outcome").click()
    page.get_by_label("Release the goods").check()
    page.get_by_role("button", name="Confirm the decision").click()
    control = page.locator("section[aria-labelledby=control-heading]")
    expect(control).to_contain_text("The control is closed: the goods are released.")

    trader = page.context.browser.new_context(locale="en-GB")
    try:
        mine = trader.new_page()
        sign_in(mine, site, "alice")
        mine.goto(site.url + "/portal/declarations/CTRL-1")
        facts = mine.locator("section[aria-labelledby=lane-heading] dl")
        expect(facts).to_contain_text("released")
        expect(mine.locator("ol.timeline")).to_contain_text("Goods released")
        mine.goto(site.url + "/portal/declarations")
        row = mine.get_by_role("row").filter(has=mine.get_by_role("link", name="CTRL-1"))
        expect(row).to_contain_text("released")
    finally:
        trader.close()
