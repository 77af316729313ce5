"""At phone width (390 CSS pixels) the main pages fit: no horizontal scrolling (wide tables scroll inside their
own box)."""

import pytest

from .browser_support import horizontal_overflow, open_task, red_item, sign_in

PAGES = {  # who: pages they open
    None: ["/login"],
    "alice": ["/", "/portal/declarations", "/portal/declarations/H-1", "/portal/submit", "/portal/compliance"],
    "oscar": ["/officer/queue"],
    "anna": ["/analyst/profiles", "/analyst/profiles/new", "/analyst/kpis"],
}


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_the_main_pages_have_no_horizontal_scroll_at_phone_width(phone, site):
    task = open_task(site, "PHONE-1", lane="red", items=[red_item()])
    pages = {**PAGES, "oscar": [*PAGES["oscar"], f"/officer/tasks/{task}"],
             "alice": [*PAGES["alice"], "/portal/declarations/PHONE-1"]}
    wide = {}
    for who, paths in pages.items():
        phone.context.clear_cookies()
        if who:
            sign_in(phone, site, who)
        for path in paths:
            answer = phone.goto(site.url + path)
            assert answer.status == 200, path
            if (overflow := horizontal_overflow(phone)) > 0:
                wide[path] = overflow
    # the form with its inline errors too
    phone.context.clear_cookies()
    sign_in(phone, site, "alice")
    phone.goto(site.url + "/portal/submit")
    phone.get_by_role("button", name="Lodge the declaration").click()
    phone.get_by_role("alert").wait_for()
    if (overflow := horizontal_overflow(phone)) > 0:
        wide["/portal/submit (with errors)"] = overflow
    assert not wide, f"wider than a 390 px phone (pixels too wide): {wide}"
