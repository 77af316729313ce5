"""The documented CSV of persons (watchlists and passenger lists): columns ``id``, ``surname``, ``given_names``,
``date_of_birth`` (YYYY-MM-DD, may be empty), ``nationality``, ``document_number`` (may be empty); names in any
script; UTF-8 (a byte order mark is allowed); other columns are ignored."""

import csv
import io
from datetime import date

COLUMNS = ("id", "surname", "given_names", "date_of_birth", "nationality", "document_number")
REQUIRED = ("id", "surname")


class ListError(ValueError):
    def __init__(self, reason: str, row: int | None = None, column: str | None = None):
        where = f"row {row}" + (f", column {column}" if column else "") + ": " if row else ""
        super().__init__(where + reason)
        self.reason, self.row, self.column = reason, row, column


def read_persons(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ListError(f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    rows, seen = [], set()
    for number, raw in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        for name in REQUIRED:
            if not row.get(name):
                raise ListError(f"{name} is empty", number, name)
        if row["id"] in seen:
            raise ListError(f"id {row['id']!r} appears twice", number, "id")
        seen.add(row["id"])
        if row["date_of_birth"]:
            try:
                date.fromisoformat(row["date_of_birth"])
            except ValueError as exc:
                raise ListError(f"{row['date_of_birth']!r} is not a date (YYYY-MM-DD)", number,
                                "date_of_birth") from exc
        rows.append({name: row.get(name, "") for name in COLUMNS})
    return rows
