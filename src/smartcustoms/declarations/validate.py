"""Validate a frame of goods-item rows into declarations: valid rows out, rejects (row, field, reason) out.

The input has one row per goods item, columns named after the model fields (strings as read from a file, or
typed values), and a ``row_number`` column pointing back to the source. A declaration is valid only when all
of its rows are: nothing of a bad declaration goes through.
"""

from dataclasses import dataclass
from datetime import UTC

import pandas as pd
from pydantic import ValidationError

from smartcustoms.declarations.models import (
    FIELDS,
    HEADER_FIELDS,
    ITEM_FIELDS,
    Declaration,
    acceptance_window,
    content_digest,
)

REJECT_COLUMNS = ["row_number", "declaration_id", "field", "value", "reason"]
VALID_COLUMNS = ["row_number", *FIELDS, "content_hash"]


@dataclass
class Validated:
    valid: pd.DataFrame  # one row per goods item, typed, with content_hash per declaration
    rejects: pd.DataFrame  # REJECT_COLUMNS
    declarations: int  # number of valid declarations
    rejected_declarations: int


def _present(value) -> bool:
    """False for None, NaN and empty text (whitespace-only text is stripped, then refused, by the model)."""
    return value is not None and value == value and value != ""


def _reason(error: dict) -> str:
    if error["type"] == "missing" or error.get("input", "") is None:
        return "missing value"
    return error["msg"].removeprefix("Value error, ")


def _column(frame: pd.DataFrame, name: str) -> list:
    """A column as a list with None for NaN and empty text; an absent column is all None."""
    if name not in frame.columns:
        return [None] * len(frame)
    series = frame[name]
    if series.hasnans:
        series = series.astype(object).where(series.notna(), None)
    return [None if value == "" else value for value in series.tolist()]


class _Rows:
    """The rows of a frame as header and item tuples, in model-field order."""

    def __init__(self, frame: pd.DataFrame):
        self.context = {"acceptance_window": acceptance_window()}  # one clock reading for the whole frame
        self.numbers = frame["row_number"].tolist()
        self.headers = list(zip(*[_column(frame, name) for name in HEADER_FIELDS]))
        self.items = list(zip(*[_column(frame, name) for name in ITEM_FIELDS]))

    def value(self, row: int, field: str):
        if field in _HEADER_AT:
            return self.headers[row][_HEADER_AT[field]]
        return self.items[row][_ITEM_AT[field]] if field in _ITEM_AT else None

    def header_problems(self, rows: list[int]) -> list[dict]:
        """Header fields must read the same on every item row of a declaration."""
        first = self.headers[rows[0]]
        return [
            {"row_number": self.numbers[row], "field": name, "value": self.headers[row][at],
             "reason": f"differs from row {self.numbers[rows[0]]} of the same declaration ({first[at]!r})"}
            for row in rows[1:]
            if self.headers[row] != first
            for at, name in enumerate(HEADER_FIELDS)
            if self.headers[row][at] != first[at]
        ]

    def errors(self, exc: ValidationError, rows: list[int]) -> list[dict]:
        problems = []
        for error in exc.errors():
            loc = error["loc"]
            if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
                row, field = rows[loc[1]], str(loc[2]) if len(loc) > 2 else "items"
            else:
                row, field = rows[0], str(loc[0]) if loc else "declaration"
            problems.append({"row_number": self.numbers[row], "field": field, "value": self.value(row, field),
                             "reason": _reason(error)})
        return problems

    def declaration(self, rows: list[int]) -> Declaration:
        data = dict(zip(HEADER_FIELDS, self.headers[rows[0]]))
        data["items"] = [dict(zip(ITEM_FIELDS, self.items[row])) for row in rows]
        return _utc(Declaration.model_validate(data, context=self.context))


_HEADER_AT = {name: at for at, name in enumerate(HEADER_FIELDS)}
_ITEM_AT = {name: at for at, name in enumerate(ITEM_FIELDS)}


def to_declaration(rows: list[dict]) -> Declaration:
    """Build one declaration from its goods-item rows, given as dicts (raises pydantic's ValidationError)."""
    frame = pd.DataFrame(rows).assign(row_number=range(1, len(rows) + 1))
    return _Rows(frame).declaration(list(range(len(rows))))


def _utc(declaration: Declaration) -> Declaration:
    moment = declaration.acceptance_datetime
    if moment.tzinfo is not None:  # stored as naive UTC
        declaration = declaration.model_copy(
            update={"acceptance_datetime": moment.astimezone(UTC).replace(tzinfo=None)}
        )
    return declaration


def flatten(declaration: Declaration, row_number: int | list[int]) -> list[tuple]:
    """One tuple per goods item in VALID_COLUMNS order: row number, header repeated, item, content hash."""
    data = {**declaration.__dict__, "items": [item.__dict__ for item in declaration.items]}  # model_dump(), faster
    header = tuple(data[name] for name in HEADER_FIELDS)
    digest = content_digest(data)
    numbers = row_number if isinstance(row_number, list) else [row_number] * len(data["items"])
    return [(number, *header, *item.values(), digest) for number, item in zip(numbers, data["items"])]


def validate(frame: pd.DataFrame) -> Validated:
    """Validate goods-item rows; rows without a declaration ID are rejected on their own."""
    if "row_number" not in frame.columns:
        frame = frame.assign(row_number=range(1, len(frame) + 1))
    rows = _Rows(frame)
    groups: dict[str, list[int]] = {}
    rejects: list[dict] = []
    for row, header in enumerate(rows.headers):
        key = header[0]  # declaration_id
        if key is None:
            rejects.append({"row_number": rows.numbers[row], "field": "declaration_id", "value": None,
                            "reason": "missing value"})
            continue
        groups.setdefault(str(key).strip(), []).append(row)

    orphans = len(rejects)
    valid_rows: list[tuple] = []
    rejected = 0
    for declaration_id, members in groups.items():
        problems = rows.header_problems(members) if len(members) > 1 else []
        if not problems:
            try:
                declaration = rows.declaration(members)
            except ValidationError as exc:
                problems = rows.errors(exc, members)
        if problems:
            rejected += 1
            rejects.extend({**problem, "declaration_id": declaration_id} for problem in problems)
            continue
        valid_rows.extend(flatten(declaration, [rows.numbers[m] for m in members]))

    return _result(valid_rows, rejects, len(groups) - rejected, rejected + orphans)


def validate_records(records: list) -> Validated:
    """Validate nested declaration objects (JSON); the row number is the object's 1-based position."""
    valid_rows: list[tuple] = []
    rejects: list[dict] = []
    rejected = 0
    context = {"acceptance_window": acceptance_window()}
    for position, record in enumerate(records, start=1):
        try:
            declaration = _utc(Declaration.model_validate(record, context=context))
        except ValidationError as exc:
            rejected += 1
            key = record.get("declaration_id") if isinstance(record, dict) else None
            rejects.extend(
                {"row_number": position, "declaration_id": key, "field": ".".join(map(str, e["loc"])) or "record",
                 "value": e["input"] if not isinstance(e["input"], (dict, list)) else None, "reason": _reason(e)}
                for e in exc.errors()
            )
            continue
        valid_rows.extend(flatten(declaration, position))
    return _result(valid_rows, rejects, len(records) - rejected, rejected)


def _result(valid_rows: list[tuple], rejects: list[dict], accepted: int, rejected: int) -> Validated:
    reject_frame = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    reject_frame["value"] = reject_frame["value"].map(lambda v: str(v) if _present(v) else None)
    return Validated(
        valid=pd.DataFrame(valid_rows, columns=VALID_COLUMNS),
        rejects=reject_frame.sort_values("row_number", kind="stable", ignore_index=True),
        declarations=accepted,
        rejected_declarations=rejected,
    )
