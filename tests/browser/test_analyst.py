"""An analyst drafts a risk profile and replays it on past declarations, commits it; a supervisor approves and
publishes it, and new declarations are assessed with it."""

import re

from playwright.sync_api import expect

from .browser_support import sign_in

PROFILE = """\
profile_id: P-BROWSER-SHOES
title: Leather shoes from China, checked by the browser test
purpose: >
  Leather shoes from one origin are often undervalued: look at their documents.
owner: Valuation team
lane: yellow
weight: 60
criteria:
  - field: commodity_code
    prefix: ["6403"]
  - field: origin_country
    in: ["CN"]
"""


def test_an_analyst_drafts_and_replays_a_profile_and_a_supervisor_publishes_it(page, site):
    sign_in(page, site, "anna")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Risk profiles").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(site.url + "/analyst/profiles/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Write a profile")
    page.get_by_label("Profiles (YAML)").fill(PROFILE)
    page.get_by_label("First day").fill("2025-03-01")
    page.get_by_label("Last day").fill("2025-03-31")
    page.get_by_role("button", name="Preview on past data").click()
    preview = page.get_by_role("heading", name=re.compile(r"^Preview from "))
    expect(preview).to_be_visible()
    expect(page.get_by_label("Profiles (YAML)")).to_have_value(PROFILE)  # the draft stays for the next step
    page.get_by_role("button", name="Commit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Profile P-BROWSER-SHOES")
    expect(page.locator("section[aria-labelledby=steps-heading]")).to_contain_text("Version 1 awaits approval")

    page.context.clear_cookies()
    sign_in(page, site, "sam")
    page.goto(site.url + "/analyst/profiles/P-BROWSER-SHOES")
    page.get_by_role("button", name="Approve version 1").click()
    page.get_by_role("button", name="Publish version 1").click()
    summary = page.locator("section[aria-labelledby=facts-heading]")
    expect(summary).to_contain_text("version 1")  # in force
    assert "P-BROWSER-SHOES" in [p.profile_id for p in site.app.state.risk.current().profiles]

    # the next declaration of leather shoes from China is assessed with it
    answer = site.api("POST", "/api/v1/declarations", json=_shoes("PROF-1"))
    assert answer.status_code == 201, answer.text
    assert any(reason["name"] == "P-BROWSER-SHOES" for reason in answer.json()["reasons"]), answer.json()


def _shoes(declaration_id: str) -> dict:
    from .browser_support import declaration

    return declaration(declaration_id)
