"""The `smartcustoms` command: in the test process (cli_runner), and as a user runs it (a real process) for the
help and an import."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import invoke
from support import csv_bytes, item_row

SCRIPT = shutil.which("smartcustoms", path=str(Path(sys.executable).parent))


def environment(tmp_path: Path) -> dict[str, str | None]:
    """COLUMNS unset: output to a pipe is as wide as cli.common makes it (one line for a message that names a file
    under the longer temporary folders of pytest-xdist's workers)."""
    return {"SMARTCUSTOMS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "SMARTCUSTOMS_VAR_DIR": str(tmp_path / "var"), "COLUMNS": None}


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`smartcustoms *args` in this process, on the SQLite file of `tmp_path`."""
    return invoke(args, environment(tmp_path), tmp_path)


def run_process(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The console script itself, in a process of its own."""
    env = {key: value for key, value in {**os.environ, **environment(tmp_path)}.items() if value is not None}
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


@pytest.fixture
def upgraded(tmp_path):
    assert run(tmp_path, "db", "upgrade").returncode == 0
    return tmp_path


def test_help_describes_every_command(tmp_path):
    out = run_process(tmp_path, "--help").stdout
    for command in ("import", "generate", "db", "demo"):
        assert command in out
    assert "--mapping" in run_process(tmp_path, "import", "--help").stdout


def test_import_prints_summary_and_writes_rejects_file(upgraded):
    path = upgraded / "mixed.csv"
    path.write_bytes(csv_bytes([item_row("D1"), item_row("D2", commodity_code="999999")]))
    result = run_process(upgraded, "import", str(path))
    assert result.returncode == 0, result.stderr
    summary = "imported 1 declarations (1 goods items) | unchanged duplicates 0 | conflicts 0 | rejected 1"
    assert summary in result.stdout
    assert "row 3, commodity_code: 999999 is not an HS 2022 subheading" in result.stderr
    rejects = next((upgraded / "var" / "rejects").glob("mixed-batch*.csv")).read_text()
    assert "999999 is not an HS 2022 subheading" in rejects
    again = run(upgraded, "import", str(path))
    assert again.returncode == 0 and "unchanged duplicates 1" in again.stdout


def test_file_with_nothing_importable_exits_non_zero(upgraded):
    path = upgraded / "bad.csv"
    path.write_bytes(csv_bytes([item_row("D1", origin_country="XX"), item_row("D2", quantity="-5")]))
    result = run(upgraded, "import", str(path))
    assert result.returncode == 1
    assert "nothing could be imported" in result.stderr


def test_unreadable_file_exits_2_and_names_the_problem(upgraded):
    path = upgraded / "latin.csv"
    path.write_bytes(csv_bytes([item_row(goods_description="bière")], encoding="latin-1"))
    result = run(upgraded, "import", str(path))
    assert result.returncode == 2
    assert "byte 0xe8 on line 2" in result.stderr and "Nothing was imported" in result.stderr
    assert run(upgraded, "import", str(path), "--encoding", "latin-1").returncode == 0


def test_import_refuses_an_unmigrated_database(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(csv_bytes([item_row("D1")]))
    result = run(tmp_path, "import", str(path))
    assert result.returncode == 2 and "smartcustoms db upgrade" in result.stderr
