"""Issue 14 (8), as probed: `smartcustoms serve` (uvicorn) believed X-Forwarded-For from any local client (uvicorn
trusts it from 127.0.0.1 by default), so a client on the machine escaped the login throttle by claiming another
address on each attempt. Through a live server, as the attacker did: the sixth failed login from 127.0.0.1 is
refused (429), whatever address each one claims."""

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine

SERVE = "from smartcustoms.cli.main import app; app()"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'live.db'}"
    db = make_engine(url)
    migrate.upgrade(db)
    db.dispose()
    port = _free_port()
    env = {**os.environ, "SMARTCUSTOMS_DATABASE_URL": url, "SMARTCUSTOMS_VAR_DIR": str(folder / "var")}
    server = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # it fits its risk engine first (slow on a busy machine)
    try:
        while True:
            assert server.poll() is None, "the server stopped"
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_a_local_client_claiming_other_addresses_is_throttled_by_a_live_server(live):
    codes = []
    for n in range(6):  # another username and another claimed address each time: only the peer's address repeats
        with httpx.Client(base_url=live, timeout=30) as client:
            page = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            codes.append(client.post("/login", data={"username": f"user{n}", "password": "wrong",
                                                     "csrf_token": csrf},
                                     headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code)
    assert codes == [401] * 5 + [429]
