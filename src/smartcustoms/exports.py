"""Tables as files staff can open elsewhere: CSV (UTF-8 with a byte order mark, so that spreadsheet programs read
accents right) and XLSX (openpyxl; one sheet per table, a bold frozen header, IDs kept as text, dates as dates).

Pure: a DataFrame (or several, by name) in, bytes out. The web's staff lists and KPI tables, and the CLI, offer
them for download.

    data = to_csv({"tasks": frame})          # one table
    data = to_xlsx({"release_times": a, "hit_rates": b})
"""

import io
import re
from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA = re.compile(r"^[=+\-@\t\r\n]")  # what a spreadsheet would run as a formula (CSV/formula injection)


def _safe_text(value):
    """Text that a spreadsheet program would take for a formula is prefixed with an apostrophe; a carriage return
    inside text becomes a line feed (pandas quotes a field holding a line feed, not one holding a lone CR: what
    followed it would have started a row of its own, a formula perhaps)."""
    if isinstance(value, str):
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if _FORMULA.match(value):
            return "'" + value
    return value


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(_safe_text)
    return out


def defused(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) begin
    with an apostrophe: for every CSV we write (exports, the import's rejects file, the CLI's tables)."""
    return _plain(frame)


def to_csv(tables: Mapping[str, pd.DataFrame] | pd.DataFrame) -> bytes:
    """One table as CSV; several tables one after the other, each under a line with its name."""
    if isinstance(tables, pd.DataFrame):
        tables = {"": tables}
    buffer = io.StringIO()
    for position, (name, frame) in enumerate(tables.items()):
        if len(tables) > 1:
            buffer.write(("\n" if position else "") + f"# {name}\n")
        _plain(frame).to_csv(buffer, index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name or "table")[:31] or "table"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base[:28]}~{n}"
    taken.add(candidate.lower())
    return candidate


def _cell(value):
    if value is None or (not isinstance(value, (str, bytes, list, dict)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # stored as UTC; spreadsheets know no time zones
    if isinstance(value, (bool, int, float, date, datetime)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return _safe_text(str(value))


def to_xlsx(tables: Mapping[str, pd.DataFrame] | pd.DataFrame) -> bytes:
    """One sheet per table (named after it), header in bold and frozen, columns wide enough for their values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if isinstance(tables, pd.DataFrame):
        tables = {"table": tables}
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name, frame in tables.items():
        sheet = book.create_sheet(_sheet_name(name, taken))
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(frame.columns, start=1):
            values = [str(column), *(str(v) for v in frame[column].head(500).tolist())]
            width = min(max(len(v) for v in values) + 2, 60)
            sheet.column_dimensions[get_column_letter(index)].width = width
            if frame[column].dtype.kind == "M":
                for cell in sheet[get_column_letter(index)][1:]:
                    cell.number_format = "yyyy-mm-dd hh:mm"
    if not book.worksheets:
        book.create_sheet("table")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(tables: Mapping[str, pd.DataFrame] | pd.DataFrame, fmt: str) -> bytes:
    """`fmt` csv or xlsx."""
    if fmt == "csv":
        return to_csv(tables)
    if fmt == "xlsx":
        return to_xlsx(tables)
    raise ValueError(f"unknown export format {fmt!r}: use {', '.join(FORMATS)}")
