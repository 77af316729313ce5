"""Helpers of the browser tests: the accounts, a declaration builder, signing in, page checks."""

import re

from smartcustoms.control import service as control_service

PASSWORD = "correct horse battery"
PEOPLE = {  # username: (role, scopes)
    "alice": ("trader", {"importers": ["IMP001"], "declarants": ["BRK001"]}),
    "bob": ("trader", {"importers": ["IMP002"]}),
    "oscar": ("officer", {"offices": ["FRPAR1"]}),
    "olga": ("officer", {"offices": ["FRLYS1"]}),  # her office's queue holds only the officer scenario's task
    "anna": ("analyst", {}),
    "sam": ("supervisor", {}),
    "root": ("admin", {}),
}
LANE_WORDS = re.compile(r"^(Green|Yellow|Red|Blue)\b")


def declaration(declaration_id: str, importer_id: str = "IMP001", declarant_id: str = "BRK001", **changes) -> dict:
    """One valid declaration in the JSON layout of the API (men's leather shoes from China)."""
    body = {
        "declaration_id": declaration_id, "declaration_type": "IM", "office_id": "FRPAR1",
        "acceptance_datetime": "2025-03-04T09:30:00", "declarant_id": declarant_id, "importer_id": importer_id,
        "seller_id": "SEL001", "transport_mode": "1", "incoterm": "FOB", "invoice_currency": "USD",
        "exchange_rate": 0.92, "dispatch_country": "CN",
        "items": [{"item_number": 1, "commodity_code": "6403990000", "goods_description": "mens leather shoes",
                   "origin_country": "CN", "quantity": 120, "quantity_unit": "NAR", "net_mass": 60,
                   "gross_mass": 66, "item_price": 2400, "customs_value": 2208, "duty_rate": 8, "tax_type": "A00"}],
    }
    body.update(changes)
    return body


def sign_in(page, site, username: str) -> None:
    """Sign in through the login form (the page ends on the home page)."""
    page.goto(site.url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                         " - document.documentElement.clientWidth")


def red_item(**changes) -> dict:
    """Car rims from China at 7 EUR each, where comparable imports cost 50 to 95: a valuation doubt."""
    item = {"item_number": 1, "commodity_code": "87087050", "goods_description": "car rims", "origin_country": "CN",
            "quantity": 500, "quantity_unit": "NAR", "net_mass": 5000, "gross_mass": 10000, "item_price": 3800,
            "customs_value": 3500, "duty_rate": 26.5, "tax_type": "A00"}
    return {**item, **changes}


def open_task(site, declaration_id: str, *, office: str = "FRPAR1", lane: str = "yellow",
              items: list[dict] | None = None) -> int:
    """Lodge alice's declaration (as the system account), put it in `lane` (an override when the risk engine
    chose another) and run the control chain's job that opens tasks; the ID of its inspection task."""
    from smartcustoms.risk import repository as audit

    body = declaration(declaration_id, office_id=office)
    if items is not None:
        body["items"] = items
    answer = site.api("POST", "/api/v1/declarations", json=body)
    assert answer.status_code == 201, answer.text
    latest = audit.latest_decisions(site.engine)
    decision = latest[latest["declaration_id"] == declaration_id].iloc[0]
    if decision["final_lane"] != lane:
        audit.override(site.engine, int(decision["decision_id"]), lane, "browser test: the control it needs",
                       "supervisor.sam")
    control_service.open_controls(site.engine)
    frame = control_service.task_frame(site.engine)
    return int(frame.loc[frame["declaration_id"] == declaration_id, "task_id"].iloc[0])
