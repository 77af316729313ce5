"""CLI tables never cut the IDs users pass to other commands: not in a narrow terminal, not when piped."""

import io
import subprocess
import sys

import pandas as pd
from rich.console import Console

from smartcustoms.cli.common import PIPED_WIDTH, frame_table


def test_ids_are_whole_even_in_a_narrow_table():
    frame = pd.DataFrame({"declaration_id": ["M20261207000123456789", "M2"], "office_id": ["PORT-NORTH-WEST-GATE", "X"],
                          "why": ["a long explanation that may wrap over several lines of the table " * 2, "short"],
                          "duty": [1234567.5, 2.0]})
    out = io.StringIO()
    Console(file=out, width=60, color_system=None).print(frame_table(frame, "tasks"))
    text = out.getvalue()
    assert "M20261207000123456789" in text and "PORT-NORTH-WEST-GATE" in text
    assert "…" not in text  # nothing ellipsised: the long text wraps instead


def test_piped_output_is_wide():
    code = "from smartcustoms.cli.common import console; print(console.width)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PATH": "/usr/bin:/bin"})
    assert int(result.stdout) == PIPED_WIDTH
