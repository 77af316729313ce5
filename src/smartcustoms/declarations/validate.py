"""Validate a frame of goods-item rows into declarations: valid rows out, rejects (row, field, reason) out.

The input has one row per goods item, columns named after the model fields (strings as read from a file, or
typed values), and a ``row_number`` column pointing back to the source. A declaration is valid only when all
of its rows are: nothing of a bad declaration goes through.
"""

from dataclasses import dataclass
from datetime import UTC

import pandas as pd
from pydantic import ValidationError

from smartcustoms.declarations.models import FIELDS, HEADER_FIELDS, ITEM_FIELDS, Declaration
from smartcustoms.frames import records

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


def _clean(record: dict, fields: list[str]) -> dict:
    """Keep only present values, so that a missing required field reads 'missing value'."""
    return {name: value for name in fields if _present(value := record.get(name))}


def _reason(error: dict) -> str:
    message = error["msg"].removeprefix("Value error, ")
    return "missing value" if error["type"] == "missing" else message


def _check_header(rows: list[dict]) -> list[dict]:
    """Header fields must read the same on every item row of a declaration."""
    first = rows[0]
    problems = []
    for row in rows[1:]:
        for name in HEADER_FIELDS:
            if str(row.get(name, "")).strip() != str(first.get(name, "")).strip():
                problems.append(
                    {
                        "row_number": row["row_number"],
                        "field": name,
                        "value": row.get(name),
                        "reason": f"differs from row {first['row_number']} of the same declaration "
                        f"({first.get(name)!r})",
                    }
                )
    return problems


def _errors(exc: ValidationError, rows: list[dict]) -> list[dict]:
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        if loc and loc[0] == "items" and len(loc) >= 2 and isinstance(loc[1], int):
            row = rows[loc[1]]
            field = str(loc[2]) if len(loc) > 2 else "items"
        else:
            row = rows[0]
            field = str(loc[0]) if loc else "declaration"
        problems.append(
            {"row_number": row["row_number"], "field": field, "value": row.get(field), "reason": _reason(error)}
        )
    return problems


def to_declaration(rows: list[dict]) -> Declaration:
    """Build one declaration from its goods-item rows (raises pydantic's ValidationError)."""
    header = _clean(rows[0], HEADER_FIELDS)
    header["items"] = [_clean(row, ITEM_FIELDS) for row in rows]
    return _utc(Declaration.model_validate(header))


def _utc(declaration: Declaration) -> Declaration:
    moment = declaration.acceptance_datetime
    if moment.tzinfo is not None:  # stored as naive UTC
        declaration = declaration.model_copy(
            update={"acceptance_datetime": moment.astimezone(UTC).replace(tzinfo=None)}
        )
    return declaration


def flatten(declaration: Declaration) -> list[dict]:
    """One dict per goods item with the header repeated."""
    header = declaration.model_dump(exclude={"items"})
    return [{**header, **item.model_dump()} for item in declaration.items]


def validate(frame: pd.DataFrame) -> Validated:
    """Validate goods-item rows; rows without a declaration ID are rejected on their own."""
    if "row_number" not in frame.columns:
        frame = frame.assign(row_number=range(1, len(frame) + 1))
    groups: dict[str, list[dict]] = {}
    rejects: list[dict] = []
    for record in records(frame):
        key = record.get("declaration_id")
        if not _present(key):
            rejects.append({"row_number": record["row_number"], "field": "declaration_id", "value": None,
                            "reason": "missing value"})
            continue
        groups.setdefault(str(key).strip(), []).append(record)

    orphans = len(rejects)  # rows without a declaration ID
    valid_rows: list[dict] = []
    rejected = 0
    for declaration_id, rows in groups.items():
        problems = _check_header(rows)
        if not problems:
            try:
                declaration = to_declaration(rows)
            except ValidationError as exc:
                problems = _errors(exc, rows)
        if problems:
            rejected += 1
            rejects.extend({**problem, "declaration_id": declaration_id} for problem in problems)
            continue
        digest = declaration.content_hash()
        for row, flat in zip(rows, flatten(declaration)):
            valid_rows.append({"row_number": row["row_number"], **flat, "content_hash": digest})

    return _result(valid_rows, rejects, len(groups) - rejected, rejected + orphans)


def validate_records(records: list) -> Validated:
    """Validate nested declaration objects (JSON); the row number is the object's 1-based position."""
    valid_rows: list[dict] = []
    rejects: list[dict] = []
    rejected = 0
    for position, record in enumerate(records, start=1):
        try:
            declaration = _utc(Declaration.model_validate(record))
        except ValidationError as exc:
            rejected += 1
            key = record.get("declaration_id") if isinstance(record, dict) else None
            rejects.extend(
                {"row_number": position, "declaration_id": key, "field": ".".join(map(str, e["loc"])) or "record",
                 "value": e["input"] if not isinstance(e["input"], (dict, list)) else None, "reason": _reason(e)}
                for e in exc.errors()
            )
            continue
        digest = declaration.content_hash()
        valid_rows.extend({"row_number": position, **flat, "content_hash": digest} for flat in flatten(declaration))
    return _result(valid_rows, rejects, len(records) - rejected, rejected)


def _result(valid_rows: list[dict], rejects: list[dict], accepted: int, rejected: int) -> Validated:
    reject_frame = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    reject_frame["value"] = reject_frame["value"].map(lambda v: str(v) if _present(v) else None)
    return Validated(
        valid=pd.DataFrame(valid_rows, columns=VALID_COLUMNS),
        rejects=reject_frame.sort_values("row_number", kind="stable", ignore_index=True),
        declarations=accepted,
        rejected_declarations=rejected,
    )
