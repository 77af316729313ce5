# ruff: noqa: F811 - the fixtures imported from officer_support are the tests' parameters
"""Issue 14 (4): escaping by construction. Markup stored in every text field a user or an import can fill (goods
description, preference claim, an imported outcome's control type, infringement, officer and offence code) is
shown as text on every page that shows it, with the CSP off: none of it is live; a `%d` in those fields is
text too (it gave 500: the raw value was %-formatted as the fallback of `_()`)."""

from html.parser import HTMLParser

import pytest
from conftest import as_user
from officer_support import OFFICE_A, app, lodge, red_item, settings, staff, world  # noqa: F401
from sqlalchemy import insert

from smartcustoms.control.tables import outcomes
from smartcustoms.store.db import utc_now
from smartcustoms.web import middleware

MARK = '<img src=x onerror=pwn()><x-evil id="pwn">100%d %(x)s</x-evil><script>pwn()</script>'


class _Live(HTMLParser):
    """Elements and attributes that only our payload would bring."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "x-evil" or any(name.startswith("on") for name, _ in attrs):
            self.found.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script and "pwn" in data:
            self.found.append(("script", data))

    def handle_endtag(self, tag):
        self._in_script = False


def live(html: str) -> list:
    parser = _Live()
    parser.feed(html)
    return parser.found


@pytest.fixture
def no_csp(monkeypatch):
    """The CSP off: what stops a script is the escaping alone (the test reads the HTML either way)."""
    monkeypatch.setitem(middleware.HEADERS, "content-security-policy", "")


def test_markup_in_every_stored_text_field_is_never_live(client, world, engine, no_csp):
    staff_ = world["people"]
    lodge(client, staff_, "X-MARK", items=[red_item(goods_description=MARK[:500], preference_claim="<b>pc</b>")])
    task_id = world["tasks"]["A-RED"]
    with engine.begin() as conn:
        for declaration_id, task in (("A-RED", task_id), ("X-MARK", None), ("A-DOC1", world["tasks"]["A-DOC1"])):
            conn.execute(insert(outcomes).values(
                declaration_id=declaration_id, inspection_date=utc_now(), control_type=MARK[:20],
                selection_reason="risk", result="discrepancy", infringement=MARK, duty_recovered=10.0,
                task_id=task, officer=MARK[:100], offence_code=MARK[:20], recorded_at=utc_now()))
            conn.execute(insert(outcomes).values(
                declaration_id=declaration_id, inspection_date=utc_now(), control_type="100%d",
                selection_reason="risk", result="100%d", infringement="100%d,<i>x</i>", duty_recovered=1.0,
                task_id=task))
    pages = {
        "oscar": ["/officer/queue", f"/officer/tasks/{task_id}", f"/officer/tasks/{world['tasks']['A-DOC1']}", "/"],
        "alice": ["/portal/declarations", "/portal/declarations/A-RED", "/portal/declarations/X-MARK",
                  "/portal/declarations/A-DOC1", "/portal/compliance", "/portal/todo", "/"],
        "anna": ["/analyst/kpis", "/analyst/profiles", "/"],
        "sam": ["/analyst/kpis", "/"],
    }
    shown = 0
    for name, paths in pages.items():
        as_user(client, staff_[name])
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, (name, path, answer.status_code)
            assert "content-security-policy" not in answer.headers or not answer.headers["content-security-policy"]
            assert live(answer.text) == [], (name, path)
            shown += "&lt;x-evil" in answer.text or "100%d" in answer.text
    assert shown >= 4  # the payload was on the pages (as text), not left out
