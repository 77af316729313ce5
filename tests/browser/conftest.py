"""Browser tests: the real server (uvicorn on a free port, in a thread of the test process, SQLite in a
temporary folder, a small stored history and an account of each role) driven by Debian's Chromium through
Playwright for Python, headless.

Without /usr/bin/chromium the tests are skipped, unless CI=true: then they fail (`.ci/run` installs it). Where
Debian's chromium-headless-shell is installed (the same Chromium built for headless use only, what Playwright itself
runs when headless), the tests drive it instead: a third of the full browser's CPU for the same pages.

The server and the browser live as long as this package's tests (package scope): Playwright's sync API keeps an
event loop running in the main thread, and the running server holds the garbage collector's settings
(batcher.quiet_collector); the tests after these must see neither.
"""

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

import fitted
from smartcustoms.accounts import service as accounts
from smartcustoms.risk.assess import RiskEngine
from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings

from .browser_support import PASSWORD, PEOPLE, declaration
from .issue16_support import view  # noqa: F401 - the fixture of a page in each language and width


def _chromium() -> Path:
    """SMARTCUSTOMS_TEST_CHROMIUM (another build to try), else the headless shell where it is installed, else
    Debian's chromium."""
    for path in (os.environ.get("SMARTCUSTOMS_TEST_CHROMIUM"), "/usr/bin/chromium-headless-shell"):
        if path and Path(path).exists():
            return Path(path)
    return Path("/usr/bin/chromium")


CHROMIUM = _chromium()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HISTORY = [  # (declaration ID, importer, declarant): lodged before the tests by a system account
    *[(f"H-{n}", "IMP001", "BRK001") for n in range(1, 5)],
    ("BOB-1", "IMP002", "BRK002"),  # bob's, through another declarant: nothing of alice's
]


@dataclass
class Site:
    url: str
    engine: object
    app: object
    tokens: dict[str, str]

    def api(self, method: str, path: str, username: str = "root", **kwargs) -> httpx.Response:
        """A call of the API with the user's token."""
        headers = {"Authorization": f"Bearer {self.tokens[username]}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="package")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing and CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def site(tmp_path_factory, chromium) -> Site:
    """The server, with accounts of every role (browser_support.PEOPLE) and the HISTORY lodged."""
    folder = tmp_path_factory.mktemp("browser")
    engine = make_engine(f"sqlite:///{folder / 'site.db'}")
    migrate.upgrade(engine)
    screens = fitted.screens()  # the web tests' (once per test process)
    settings = WebSettings(password_time_cost=1, password_memory_kib=64, batch_wait_ms=1,
                           lodging_process=False, var_dir=folder / "var")
    app = create_app(settings, engine, risk_engine=RiskEngine(screens=screens))
    tokens = {}
    for name, (role, scopes) in PEOPLE.items():
        accounts.create_user(engine, name, PASSWORD, role, hasher=app.state.hasher, **scopes)
        tokens[name] = accounts.create_token(engine, name, "browser tests")[1]

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    site = Site(f"http://127.0.0.1:{port}", engine, app, tokens)
    for declaration_id, importer, declarant in HISTORY:
        answer = site.api("POST", "/api/v1/declarations",
                          json=declaration(declaration_id, importer_id=importer, declarant_id=declarant))
        assert answer.status_code == 201, answer.text
    yield site
    server.should_exit = True
    thread.join(timeout=30)
    engine.dispose()


@pytest.fixture(scope="package")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (no cookies) in English, at desktop width."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()
