"""`smartcustoms users ...` (in the test process) and `smartcustoms serve` (processes, as an operator runs it)."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli_runner import invoke

SERVE = "import typer; from smartcustoms.cli.serve import serve_command; typer.run(serve_command)"


def environment(folder: Path) -> dict:
    return {**os.environ, "SMARTCUSTOMS_DATABASE_URL": f"sqlite:///{folder / 'web.db'}",
            "SMARTCUSTOMS_VAR_DIR": str(folder / "var"), "SMARTCUSTOMS_PASSWORD_TIME_COST": "1",
            "SMARTCUSTOMS_PASSWORD_MEMORY_KIB": "64", "COLUMNS": "200"}


def users(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`smartcustoms users ...` in the test process (the server below runs in processes of its own)."""
    return invoke(["users", *args], environment(folder), folder, input=stdin)


@pytest.fixture
def upgraded(tmp_path):
    done = invoke(["db", "upgrade"], environment(tmp_path), tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_users_add_list_token_and_revoke(upgraded):
    added = users(upgraded, "add", "alice", "--role", "trader", "--importer", "IMP001", "--importer", "IMP002",
                  "--password", "correct horse battery")
    assert added.returncode == 0, added.stderr
    assert "alice created: trader (importers IMP001, IMP002)" in added.stdout
    prompted = users(upgraded, "add", "oscar", "--role", "officer", "--office", "FRPAR1",
                     stdin="a long passphrase\na long passphrase\n")
    assert prompted.returncode == 0, prompted.stderr
    refused = users(upgraded, "add", "eve", "--role", "trader", "--password", "correct horse battery")
    assert refused.returncode == 2 and "at least one importer or declarant" in refused.stderr
    short = users(upgraded, "add", "eve", "--role", "analyst", "--password", "short")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr

    token = users(upgraded, "token", "alice", "--name", "ERP")
    assert token.returncode == 0 and token.stdout.strip().startswith("sct_") and "shown this once" in token.stderr
    listed = users(upgraded, "list").stdout
    assert "alice" in listed and "IMP001, IMP002" in listed and "oscar" in listed and "FRPAR1" in listed
    tokens = users(upgraded, "tokens", "alice").stdout
    assert token.stdout.strip()[:12] in tokens and token.stdout.strip() not in tokens  # only its first characters
    assert users(upgraded, "revoke-token", "1").returncode == 0
    again = users(upgraded, "revoke-token", "1")
    assert again.returncode == 2 and "revoked already" in again.stderr
    assert users(upgraded, "set-password", "alice", "--password", "another passphrase").returncode == 0
    assert users(upgraded, "disable", "alice").returncode == 0
    assert re.search(r"alice\s*│\s*trader\s*│\s*no\s*│", users(upgraded, "list").stdout)


def test_users_refuses_an_old_schema(tmp_path):
    result = users(tmp_path, "list")
    assert result.returncode == 2 and "smartcustoms db upgrade" in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(port: int, seconds: float) -> str:
    """The server's base URL once /api/v1/health answers 200."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return base
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer within {seconds:.0f} s")


def test_serve_runs_the_api_on_the_configured_database(upgraded):
    users(upgraded, "add", "root", "--role", "admin", "--password", "correct horse battery")
    token = users(upgraded, "token", "root").stdout.strip()
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE, "--port", str(port), "--log-level", "warning"],
                              env=environment(upgraded), cwd=upgraded, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        base = wait_until_healthy(port, 30)
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == "admin"
        assert httpx.get(f"{base}/login").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT") or not Path("/proc").is_dir(), reason="Linux")
def test_serve_with_two_workers_runs_two_processes_on_one_port_and_stops_on_sigterm(upgraded):
    port = _free_port()
    command = [sys.executable, "-c", SERVE, "--port", str(port), "--workers", "2", "--log-level", "warning"]
    server = subprocess.Popen(command, env=environment(upgraded), cwd=upgraded, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        base = wait_until_healthy(port, 60)
        workers = [pid for pid in _children(server.pid)
                   if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
        assert len(workers) == 2  # (besides multiprocessing's resource tracker)
        assert all(httpx.get(f"{base}/api/v1/health").status_code == 200 for _ in range(20))

        taken = subprocess.run(command, env=environment(upgraded), cwd=upgraded, capture_output=True, text=True,
                               timeout=120)
        assert taken.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in taken.stdout + taken.stderr
    finally:
        server.terminate()
        assert server.wait(timeout=60) == 0
