"""Screenshots of the main pages for docs/screenshots/ (only with SMARTCUSTOMS_SCREENSHOTS=1):

    SMARTCUSTOMS_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py
"""

import os
from pathlib import Path

import pytest

from .browser_support import open_task, red_item, sign_in

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(os.environ.get("SMARTCUSTOMS_SCREENSHOTS") != "1",
                                reason="writes docs/screenshots/ only with SMARTCUSTOMS_SCREENSHOTS=1")


SHOTS = ["login", "trader-declarations", "trader-declaration", "trader-lodge-form-errors", "officer-queue",
         "officer-task", "officer-task-fr", "analyst-profiles", "analyst-preview", "analyst-kpis",
         "phone-trader-declaration", "staff-search", "staff-declaration", "phone-officer-task"]


def shoot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")  # the charts (<img>) too
    page.screenshot(path=str(FOLDER / f"{name}.png"), full_page=True)


def test_screenshots_of_the_main_pages(browser, site):
    FOLDER.mkdir(parents=True, exist_ok=True)
    task = open_task(site, "SHOT-RED", lane="red", items=[red_item()])
    open_task(site, "SHOT-DOC", lane="yellow")
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(site.url + "/login")
    shoot(page, "login")

    sign_in(page, site, "alice")
    page.goto(site.url + "/portal/declarations")
    shoot(page, "trader-declarations")
    page.goto(site.url + "/portal/declarations/SHOT-RED")
    shoot(page, "trader-declaration")
    page.goto(site.url + "/portal/submit")
    page.get_by_label("Declaration ID", exact=True).fill("SHOT 1")
    page.get_by_label("Exchange rate", exact=True).fill("many")
    page.get_by_role("button", name="Lodge the declaration").click()
    page.get_by_role("alert").wait_for()
    shoot(page, "trader-lodge-form-errors")

    context.clear_cookies()
    sign_in(page, site, "oscar")
    page.goto(site.url + "/officer/queue")
    shoot(page, "officer-queue")
    page.goto(site.url + f"/officer/tasks/{task}")
    shoot(page, "officer-task")
    page.goto(site.url + f"/officer/tasks/{task}?lang=fr")  # why it was selected, in French words and numbers
    shoot(page, "officer-task-fr")
    page.goto(site.url + "/officer/queue?lang=en")
    page.goto(site.url + "/staff/search?q=IMP001")
    shoot(page, "staff-search")
    page.goto(site.url + "/staff/declarations/SHOT-RED")
    shoot(page, "staff-declaration")

    context.clear_cookies()
    sign_in(page, site, "anna")
    page.goto(site.url + "/analyst/profiles")
    shoot(page, "analyst-profiles")
    page.goto(site.url + "/analyst/profiles/new")
    page.locator("#f-since").fill("2025-03-01")
    page.locator("#f-until").fill("2025-03-31")
    page.locator("button[name=action][value=preview]").click()
    page.locator("#preview-title").wait_for(timeout=60_000)
    shoot(page, "analyst-preview")
    page.goto(site.url + "/analyst/kpis")
    shoot(page, "analyst-kpis")
    context.close()

    phone = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True, device_scale_factor=2)
    page = phone.new_page()
    sign_in(page, site, "alice")
    page.goto(site.url + "/portal/declarations/SHOT-RED")
    shoot(page, "phone-trader-declaration")
    phone.clear_cookies()
    sign_in(page, site, "oscar")
    page.goto(site.url + f"/officer/tasks/{task}")
    shoot(page, "phone-officer-task")
    phone.close()
    assert {path.stem for path in FOLDER.glob("*.png")} >= set(SHOTS)
