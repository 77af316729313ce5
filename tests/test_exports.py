"""Staff lists and KPI tables exported as CSV and XLSX: every row, IDs as text, dates as dates, no formulas run."""

import csv
import io
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from smartcustoms.exports import export, to_csv, to_xlsx


def tasks() -> pd.DataFrame:
    return pd.DataFrame({"task_id": [1, 2], "declaration_id": ["M20261207000123", "=HYPERLINK(\"x\")"],
                         "office_id": ["PORT-NORTH", "Orléans"], "due": pd.to_datetime(["2026-12-07 14:30", None]),
                         "duty": [927.5, None]})


def test_csv_keeps_every_row_accents_and_defuses_formulas():
    data = to_csv(tasks())
    assert data.startswith("\ufeff".encode())  # spreadsheet programs read UTF-8 accents right
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["declaration_id"] for r in rows] == ["M20261207000123", "'=HYPERLINK(\"x\")"]
    assert rows[1]["office_id"] == "Orléans" and rows[0]["due"] == "2026-12-07 14:30:00" and rows[1]["duty"] == ""


def test_csv_of_several_tables_names_each():
    text = to_csv({"release_times": tasks(), "hit_rates": tasks().head(1)}).decode("utf-8-sig")
    assert text.startswith("# release_times\n") and "\n# hit_rates\n" in text


def test_xlsx_has_one_sheet_per_table_with_typed_cells():
    book = load_workbook(io.BytesIO(to_xlsx({"tasks": tasks(), "a/b:c": tasks().head(0)})))
    assert book.sheetnames == ["tasks", "a_b_c"]
    sheet = book["tasks"]
    assert [c.value for c in sheet[1]] == ["task_id", "declaration_id", "office_id", "due", "duty"]
    assert sheet["B2"].value == "M20261207000123" and sheet["B3"].value == "'=HYPERLINK(\"x\")"
    assert sheet["D2"].value == datetime(2026, 12, 7, 14, 30) and sheet["D3"].value is None
    assert sheet["E2"].value == 927.5 and sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert book["a_b_c"].max_row == 1  # an empty table keeps its header


def test_unknown_format_is_refused():
    assert export(tasks(), "csv") == to_csv(tasks())
    with pytest.raises(ValueError, match="unknown export format"):
        export(tasks(), "pdf")
