"""The declarations' use cases: import a file (read, validate, store; rejects reported row by row), and read
stored declarations back as a frame."""

from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from smartcustoms.declarations import repository
from smartcustoms.declarations.intake import ImportResult, guess_format, joined, read_declarations, read_in_parts
from smartcustoms.declarations.mapping import IntakeError, shipped_mappings
from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
from smartcustoms.declarations.repository import Stored, count_declarations, latest_acceptance, load_declarations
from smartcustoms.declarations.validate import REJECT_COLUMNS, VALID_COLUMNS, flatten

# HEADER_FIELDS, ITEM_FIELDS, VALID_COLUMNS and flatten: a declaration as the rows intake stores (web lodging)
__all__ = ["HEADER_FIELDS", "ITEM_FIELDS", "VALID_COLUMNS", "ImportResult", "IntakeError", "count_declarations",
           "flatten", "guess_format", "import_file", "latest_acceptance", "load_declarations", "read_declarations",
           "shipped_mappings"]


def import_file(
    engine: Engine,
    path: Path,
    fmt: str | None = None,
    mapping: str = "own",
    encoding: str = "utf-8-sig",
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    on_read: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one file: each part of it is stored as soon as it is validated, while the next parts are
    validated (`on_read` gets the number of declarations in the file first, `progress` each chunk stored).
    Raises IntakeError (nothing stored) when the file cannot be read at all."""
    fmt = fmt or guess_format(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntakeError(f"cannot read {path}: {exc.strerror}") from exc
    parts, warnings, count = read_in_parts(data, fmt, mapping, encoding)
    if on_read:
        on_read(count)
    batch_id, stored, done, valid_ids = None, Stored(), [], []
    with closing(parts):
        for part in parts:
            if part.declarations == 0 and part.rejected_declarations == 0:
                continue
            if batch_id is None:
                batch_id = repository.start_batch(engine, str(path), fmt, mapping if fmt == "csv" else None)
            if len(part.valid):
                stored.add(repository.store(engine, part.valid, batch_id, chunk_size, progress))
            valid_ids += part.valid["declaration_id"].unique().tolist()
            done.append(replace(part, valid=part.valid.iloc[:0]))  # what the batch's record needs
    if batch_id is None:
        raise IntakeError(f"{path.name}: no declarations in the file")
    validated = joined(done)
    repository.finish_batch(engine, batch_id, stored, validated.rejects, validated.rejected_declarations)
    rejects = pd.concat(
        [validated.rejects.assign(kind="invalid"), pd.DataFrame(stored.conflicts, columns=REJECT_COLUMNS).assign(
            kind="conflict")],
        ignore_index=True,
    )
    return ImportResult(batch_id, stored.imported, stored.items, stored.unchanged, len(stored.conflicts),
                        validated.rejected_declarations, rejects, warnings, valid_ids)
