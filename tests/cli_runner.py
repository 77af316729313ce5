"""`smartcustoms ...` run inside the test process (Typer's CliRunner), answered as a finished process would be.

A command run this way sees the environment and working folder it is given, reads its settings afresh (their
caches are cleared before and after) and prints to captured streams; an exception that escapes it is written to
stderr with its traceback and exits 1, as the console script would. A few tests still run the real console
script (`smartcustoms` in a process of its own): the help, an import and the web server (tests/web/test_cli.py).
"""

import contextlib
import os
import subprocess
import traceback
from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner

from smartcustoms.cli.main import app
from smartcustoms.settings import get_settings


def _clear_settings() -> None:
    get_settings.cache_clear()
    from smartcustoms.web.config import get_web_settings

    get_web_settings.cache_clear()


@contextlib.contextmanager
def _console_width(env: dict[str, str | None]):
    """The width the command's consoles would have in a process of its own, whose output goes to a pipe: COLUMNS
    when given, else cli.common's width for pipes (its consoles are made once, when it is first imported, under
    whatever environment that test had)."""
    from smartcustoms.cli import common

    consoles = [c for c in (getattr(common, "console", None), getattr(common, "errors", None)) if c is not None]
    before = [c._width for c in consoles]
    columns = (env["COLUMNS"] if "COLUMNS" in env else os.environ.get("COLUMNS")) or ""  # None: unset
    for c in consoles:
        c.width = int(columns) if columns.isdigit() else getattr(common, "PIPED_WIDTH", 250)
    try:
        yield
    finally:
        for c, width in zip(consoles, before):
            c._width = width


def invoke(args: Sequence[str], env: dict[str, str | None], cwd: Path, input: str | None = None,
           target=None) -> subprocess.CompletedProcess:
    """`smartcustoms *args` (or the Typer app `target`) in this process, with these environment variables set on
    top of this process's (None: unset), in `cwd`. Returns returncode, stdout and stderr like subprocess.run."""
    args = [str(arg) for arg in args]
    _clear_settings()
    try:
        with contextlib.chdir(cwd), _console_width(env):
            result = CliRunner().invoke(target or app, args, input=input, env=env, prog_name="smartcustoms")
    finally:
        _clear_settings()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["smartcustoms", *args], result.exit_code, result.stdout, stderr)

