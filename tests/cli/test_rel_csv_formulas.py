"""Issue 14 (6): a value a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is written as text (an
apostrophe first) in the import's rejects CSV and in every CSV we export."""

import csv
import io
import json

import pandas as pd
import pytest

from smartcustoms.cli.intake import write_rejects
from smartcustoms.declarations.service import import_file
from smartcustoms.exports import defused, to_csv

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_the_rejects_csv_holds_no_formula(engine, tmp_path):
    from support import item_row

    rows = [item_row(f"D{n}", office_id=value) for n, value in enumerate(FORMULAS)]
    rows += [item_row("DJ", importer_id="=HYPERLINK(\"http://x\")")]
    path = tmp_path / "evil.json"
    records = []
    for row in rows:
        record = {k: v for k, v in row.items() if k in ("declaration_id", "office_id", "importer_id")}
        records.append(record)
    path.write_text(json.dumps(records))
    result = import_file(engine, path, "json")
    assert len(result.rejects) >= len(FORMULAS)
    written = write_rejects(result, path, tmp_path / "rejects.csv")
    cells = [cell for row in csv.reader(io.StringIO(written.read_text())) for cell in row]
    assert any("cmd|" in cell for cell in cells)  # the value is there, as text
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize("value", FORMULAS)
def test_exports_defuse_every_formula_prefix(value):
    frame = pd.DataFrame({"text": [value], "number": [-1.5]})
    expected = "'" + value.replace("\r", "\n")  # a lone CR is a line feed inside a quoted field
    assert defused(frame)["text"].iloc[0] == expected
    assert defused(frame)["number"].iloc[0] == -1.5  # numbers stay numbers
    out = to_csv(frame).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(out.split("\n", 1)[1])))[0] == expected
