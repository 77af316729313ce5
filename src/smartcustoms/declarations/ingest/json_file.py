"""JSON declarations: an array of Declaration objects (the pydantic schema), or one object per line."""

import json

from smartcustoms.declarations.ingest.csv_file import decode
from smartcustoms.declarations.mapping import IntakeError


def read_json(data: bytes, encoding: str = "utf-8-sig") -> list[dict]:
    """Return the declaration objects; their position (1-based) is the row number of a reject."""
    text = decode(data, encoding).strip()
    if not text:
        raise IntakeError("file is empty")
    if text[0] == "[" or text[0] == "{" and "\n{" not in text:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IntakeError(f"line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})") from exc
        if isinstance(document, dict):
            document = document.get("declarations", [document])
        if not isinstance(document, list):
            raise IntakeError("expected an array of declarations or {\"declarations\": [...]}")
        return document
    records = []  # JSON Lines
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise IntakeError(f"line {number} column {exc.colno}: invalid JSON ({exc.msg})") from exc
    return records
