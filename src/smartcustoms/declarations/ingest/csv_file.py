"""CSV declarations: decode strictly, check the header against a mapping, keep each row's line number."""

import csv
import io

import pandas as pd

from smartcustoms.declarations.mapping import IntakeError, Mapping


def decode(data: bytes, encoding: str, what: str = "file") -> str:
    """Decode the whole file or fail naming the line of the first bad byte."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IntakeError(
            f"{what} is not valid {encoding}: byte 0x{data[exc.start]:02x} on line {line} "
            f"(re-save it as UTF-8 or pass --encoding)"
        ) from exc
    except LookupError as exc:
        raise IntakeError(f"unknown encoding {encoding!r}") from exc


def read_csv(data: bytes, mapping: Mapping, encoding: str = "utf-8-sig"):
    """Return (rows in model fields, rejects for malformed lines, warnings)."""
    text = decode(data, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise IntakeError("file is empty: no header line") from None
    except csv.Error as exc:
        raise IntakeError(f"line 1: unreadable CSV header ({exc})") from exc
    warnings = mapping.check_header(header)

    records, rejects = [], []
    width = len(header)
    try:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            if len(fields) != width:
                rejects.append({"row_number": reader.line_num, "declaration_id": None, "field": "row",
                                "value": None, "reason": f"row has {len(fields)} fields, header has {width}"})
                continue
            records.append([reader.line_num, *fields])
    except csv.Error as exc:
        raise IntakeError(f"line {reader.line_num}: unreadable CSV ({exc})") from exc

    raw = pd.DataFrame(records, columns=["row_number", *header], dtype=object)
    raw["row_number"] = raw["row_number"].astype(int)
    return mapping.apply(raw), pd.DataFrame(rejects), warnings
