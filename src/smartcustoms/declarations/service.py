"""The declarations' use cases: import a file (read, validate, store; rejects reported row by row), and read
stored declarations back as a frame."""

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from smartcustoms.declarations import repository
from smartcustoms.declarations.intake import ImportResult, guess_format, read_declarations
from smartcustoms.declarations.mapping import IntakeError, shipped_mappings
from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
from smartcustoms.declarations.repository import count_declarations, latest_acceptance, load_declarations
from smartcustoms.declarations.validate import REJECT_COLUMNS, VALID_COLUMNS, Validated, flatten

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
    on_validated: Callable[[Validated], None] | None = None,
) -> ImportResult:
    """Import one file. Raises IntakeError (nothing stored) when the file cannot be read at all."""
    fmt = fmt or guess_format(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntakeError(f"cannot read {path}: {exc.strerror}") from exc
    validated, warnings = read_declarations(data, fmt, mapping, encoding)
    if on_validated:
        on_validated(validated)
    if validated.declarations == 0 and validated.rejected_declarations == 0:
        raise IntakeError(f"{path.name}: no declarations in the file")
    batch_id = repository.start_batch(engine, str(path), fmt, mapping if fmt == "csv" else None)
    stored = repository.store(engine, validated.valid, batch_id, chunk_size, progress)
    repository.finish_batch(engine, batch_id, stored, validated.rejects, validated.rejected_declarations)
    rejects = pd.concat(
        [validated.rejects.assign(kind="invalid"), pd.DataFrame(stored.conflicts, columns=REJECT_COLUMNS).assign(
            kind="conflict")],
        ignore_index=True,
    )
    return ImportResult(batch_id, stored.imported, stored.items, stored.unchanged, len(stored.conflicts),
                        validated.rejected_declarations, rejects, warnings,
                        validated.valid["declaration_id"].unique().tolist())
