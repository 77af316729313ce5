"""Issue 14 (7): the server's worker processes end when their parent dies, even by SIGKILL: the lodging process
(it holds the database open) and any process that calls processes.die_with_parent."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

LODGING_PARENT = """
import asyncio, sys, time
from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine
from smartcustoms.web.runtime.lodging_process import LodgingProcess

if __name__ == "__main__":
    engine = make_engine(sys.argv[1])
    migrate.upgrade(engine)
    process = LodgingProcess(engine, processes=2)
    asyncio.run(process.start(None))  # the processes are started and have connected
    print(*(pid for slot in process._slots for pid in slot.pool._processes), flush=True)
    time.sleep(600)
"""

PLAIN_PARENT = """
import multiprocessing, time
from smartcustoms.web.runtime.processes import die_with_parent

def child():
    die_with_parent(poll=0.1)
    time.sleep(600)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child)
    process.start()
    print(process.pid, flush=True)
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that never reaps it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state and "\nState:\tX" not in state


def kill_parent_and_wait(script: str, tmp_path, *args) -> list[int]:
    path = tmp_path / "parent.py"
    path.write_text(textwrap.dedent(script))
    parent = subprocess.Popen([sys.executable, str(path), *args], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        children = [int(pid) for pid in parent.stdout.readline().split()]
        assert children and all(alive(pid) for pid in children)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        return [pid for pid in children if alive(pid)]
    finally:
        if parent.poll() is None:
            parent.kill()


def test_the_lodging_process_ends_when_the_server_is_killed(tmp_path):
    survivors = kill_parent_and_wait(LODGING_PARENT, tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    for pid in survivors:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def test_a_process_that_asks_dies_with_its_parent(tmp_path):
    survivors = kill_parent_and_wait(PLAIN_PARENT, tmp_path)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []
