"""Issue 16: the demo world was fixed in 2025 (8 of 9 queue tasks 11 months overdue, valuation query deadlines
passed, no bookable slots). `smartcustoms demo` builds a world that ends today: its officer's queue in Chromium
holds tasks that are not overdue, its trader's query has a deadline to come, and there are slots to book.

One small demo (1,000 declarations, the least it takes) is built for the module, served on a server of its own."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect
from sqlalchemy import text

from smartcustoms.store.db import make_engine
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings
from smartcustoms.web.i18n import translations
from smartcustoms.web.reason_words import coded_words

from .browser_support import horizontal_overflow
from .issue16_support import new_page, plain, words

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, chromium):
    folder = tmp_path_factory.mktemp("demo")
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    env.update(SMARTCUSTOMS_DATABASE_URL=f"sqlite:///{folder / 'demo.db'}", SMARTCUSTOMS_VAR_DIR=str(folder / "var"))
    command = [str(Path(sys.executable).parent / "smartcustoms"), "demo", "-n", "1000", "--seed", "7", "--profiles",
               str(ROOT / "profiles"), "--settings", str(ROOT / "config" / "risk.yaml"), "--no-serve"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    engine = make_engine(env["SMARTCUSTOMS_DATABASE_URL"])
    app = create_app(WebSettings(password_time_cost=1, password_memory_kib=64, lodging_process=False,
                                 var_dir=folder / "var"), engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the demo server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", engine
    server.should_exit = True
    thread.join(timeout=30)
    engine.dispose()


def sign_in_demo(page, url: str, username: str, lang: str) -> None:
    page.goto(url + f"/login?lang={lang}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(f"{username}-2026")
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_url(lambda u: "/login" not in u)


def test_the_demo_world_ends_today(demo):
    url, engine = demo
    with engine.connect() as conn:
        latest = conn.execute(text("SELECT max(acceptance_datetime) FROM declarations")).scalar_one()
        slots = conn.execute(text("SELECT count(*) FROM inspection_slots WHERE starts_at >= :now"),
                             {"now": datetime.now()}).scalar_one()
    assert str(latest)[:10] >= (datetime.now() - timedelta(days=2)).date().isoformat()  # it ends today
    assert slots > 0  # bookable slots from today on


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_demo_officers_queue_is_not_months_overdue(browser, demo, lang, size):
    url, _ = demo
    page = new_page(browser, lang, size)
    sign_in_demo(page, url, "officer.demo", lang)
    page.goto(url + "/officer/queue")
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_be_visible()
    overdue = words(lang, "Overdue")
    texts = [plain(t) for t in rows.all_inner_texts()]
    assert sum(overdue in t for t in texts) < max(2, len(texts) // 2), texts[:5]
    assert horizontal_overflow(page) <= 0
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_demo_traders_query_has_a_deadline_to_come(browser, demo, lang):
    url, _ = demo
    page = new_page(browser, lang, "desktop")
    sign_in_demo(page, url, "trader.demo", lang)
    page.goto(url + "/portal/todo")
    expect(page.locator("textarea[name=answer], a[href*='/queries/']").first).to_be_visible()
    page.context.close()


def test_the_screens_reasons_on_a_task_page_are_in_the_readers_words(browser, demo):
    """Issue 16 (2): the screens' reasons are built from their codes and parameters, so a French officer reads
    them in French (the stored English text is not shown)."""
    url, engine = demo
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT t.task_id, d.explanation FROM inspection_tasks t "
                                 "JOIN decisions d ON d.decision_id = t.decision_id ORDER BY t.task_id")).all()
    coded = [(task, screen) for task, explanation in rows
             for screen in json.loads(explanation)["scores"].values() if screen.get("reasons")][:4]
    assert coded, "the demo's tasks hold no coded reason"
    gettext = translations("fr").gettext
    page = new_page(browser, "fr", "desktop")
    sign_in_demo(page, url, "supervisor.demo", "fr")
    for task, screen in coded:
        page.goto(url + f"/officer/tasks/{task}")
        shown = plain(page.locator("main").inner_text())
        for reason in screen["reasons"]:
            assert plain(coded_words(reason, gettext, "fr_FR")) in shown, (task, reason)
        assert plain(screen["reason"].split(" | ")[0]) not in shown, task
    page.context.close()
