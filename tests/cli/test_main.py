"""The lazy `smartcustoms` command: help without importing the groups, every command and group there by its name,
with the help text of its own module."""

import inspect
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from smartcustoms.cli import main

HEAVY = ("pandas", "numpy", "sqlalchemy", "sklearn", "lightgbm", "fastapi", "pydantic")
PARTS = ("smartcustoms.store", "smartcustoms.risk", "smartcustoms.declarations", "smartcustoms.cli.")


def first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def test_help_imports_no_group_and_no_heavy_library():
    """A real process: `--help` lists every command without loading the modules behind them."""
    probe = ("import sys\nfrom smartcustoms.cli.main import app\n"
             "try:\n    app(['--help'], prog_name='smartcustoms')\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
             f"or m.startswith({PARTS!r}) and m != 'smartcustoms.cli.main'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("LOADED []"), done.stdout[-500:]
    for name in [*main.COMMANDS, *main.GROUPS, "version"]:
        assert f"│ {name} " in done.stdout, name


@pytest.mark.parametrize("name", [*main.COMMANDS, *main.GROUPS])
def test_each_entry_loads_with_the_help_text_of_its_module(name):
    loaded = main.load(name)
    _, help_text = main.COMMANDS.get(name) or main.GROUPS[name]
    assert loaded.name == name
    assert first_paragraph(help_text) == first_paragraph(loaded.help or "")
    assert (name in main.GROUPS) == hasattr(loaded, "commands")  # a group stays a group, a command a command
    shown = CliRunner().invoke(main.app, [name, "--help"], env={"COLUMNS": "200"}, prog_name="smartcustoms")
    assert shown.exit_code == 0, shown.output
    assert f"Usage: smartcustoms {name}" in shown.output


def test_unknown_commands_get_suggestions_from_every_name():
    result = CliRunner().invoke(main.app, ["asess"])
    assert result.exit_code == 2
    assert "No such command 'asess'" in result.output and "'assess'" in result.output


def test_version_and_no_arguments():
    assert CliRunner().invoke(main.app, ["version"]).stdout.strip() == main.__version__
    bare = CliRunner().invoke(main.app, [], env={"COLUMNS": "200"}, prog_name="smartcustoms")
    assert "Usage: smartcustoms" in bare.output and "│ import " in bare.output
