"""Import a declarations file: read, validate, store new declarations, record rejects and conflicts."""

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from smartcustoms.declarations.ingest.csv_file import decode, read_csv
from smartcustoms.declarations.ingest.cusdec import CusdecError, read_cusdec
from smartcustoms.declarations.ingest.json_file import read_json
from smartcustoms.declarations.mapping import IntakeError, load_mapping
from smartcustoms.declarations.validate import REJECT_COLUMNS, VALID_COLUMNS, Validated, validate, validate_records

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".edi": "cusdec", ".edifact": "cusdec",
           ".cusdec": "cusdec"}


@dataclass
class ImportResult:
    batch_id: int
    imported: int
    items: int
    unchanged: int
    conflicts: int
    rejected: int
    rejects: pd.DataFrame  # invalid rows and conflicts, with a "kind" column
    warnings: list[str] = field(default_factory=list)
    valid_ids: list[str] = field(default_factory=list)  # declarations of the file that passed validation

    @property
    def nothing_imported(self) -> bool:
        """True when the file held declarations but none was stored or already there."""
        return self.imported == 0 and self.unchanged == 0

    def summary(self) -> str:
        return (f"imported {self.imported:,} declarations ({self.items:,} goods items) | "
                f"unchanged duplicates {self.unchanged:,} | conflicts {self.conflicts:,} | "
                f"rejected {self.rejected:,}")


def guess_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise IntakeError(f"cannot tell the format of {path.name} from its extension: pass --format") from None


_parts: list[pd.DataFrame] = []  # inherited by forked workers: cheaper than pickling them over
PARTS_PER_WORKER = 4
PARALLEL_FROM = 20_000  # rows: below, one process validates faster than forking


def _validate_part(number: int) -> Validated:
    return validate(_parts[number])


def split_declarations(rows: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """`parts` frames of whole declarations, in the order of their first row (a declaration's rows may lie
    anywhere in the file: they all go with its first)."""
    keys = rows["declaration_id"].astype(str).str.strip().to_numpy()
    codes, uniques = pd.factorize(keys)  # codes in the order of first appearance
    part = codes * parts // max(len(uniques), 1)
    return [rows[part == k] for k in range(parts)]


def validate_in_parts(rows: pd.DataFrame, workers: int | None = None) -> Iterator[Validated]:
    """validate() on parts of whole declarations, in the file's order, each given as soon as it is ready:
    the parts are validated in forked processes (one per core) while the caller stores the earlier ones."""
    global _parts
    workers = workers or os.cpu_count() or 1
    if workers < 2 or rows.empty or len(rows) < PARALLEL_FROM:
        yield validate(rows)
        return
    _parts = split_declarations(rows, workers * PARTS_PER_WORKER)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        results = pool.map(_validate_part, range(len(_parts)))
        _parts = []  # the workers have their copies
        yield from results
    finally:
        _parts = []
        pool.shutdown(wait=True, cancel_futures=True)


def joined(parts: list[Validated]) -> Validated:
    """The parts' results as one, rows in the file's order."""
    if len(parts) == 1:
        return parts[0]
    valid = [p.valid for p in parts if len(p.valid)] or [parts[-1].valid]
    rejects = [p.rejects for p in parts if len(p.rejects)] or [parts[-1].rejects]
    return Validated(
        valid=pd.concat(valid, ignore_index=True).sort_values("row_number", kind="stable", ignore_index=True),
        rejects=pd.concat(rejects, ignore_index=True).sort_values("row_number", kind="stable", ignore_index=True),
        declarations=sum(p.declarations for p in parts),
        rejected_declarations=sum(p.rejected_declarations for p in parts),
    )


def read_in_parts(data: bytes, fmt: str, mapping: str = "own",
                  encoding: str = "utf-8-sig") -> tuple[Iterator[Validated], list[str], int]:
    """Bytes of a file -> (validated parts, warnings, declarations in the file). The parts hold whole
    declarations in the file's order (the lines that could not be read at all come first, as rejects); a CSV
    file's parts are validated in forked processes while the caller stores the earlier ones. Raises IntakeError,
    before any part, when the file as a whole is unreadable."""
    if fmt == "csv":
        rows, extra, warnings = read_csv(data, load_mapping(mapping), encoding)
        parts, unreadable, count = validate_in_parts(rows), len(extra), rows["declaration_id"].nunique()
    elif fmt == "json":
        records = read_json(data, encoding)
        parts, warnings, extra, count = iter([validate_records(records)]), [], None, len(records)
    elif fmt == "cusdec":
        try:
            rows, extra = read_cusdec(decode(data, encoding))
        except CusdecError as exc:
            raise IntakeError(str(exc)) from exc
        parts, warnings, count = iter([validate(rows)]), [], rows["declaration_id"].nunique()
        # a message with errors yields no rows: count it once as a rejected declaration
        unreadable = extra["declaration_id"].fillna(extra["row_number"].astype(str)).nunique()
        count += unreadable
    else:
        raise IntakeError(f"unknown format {fmt!r}: use csv, json or cusdec")
    first = None
    if extra is not None and len(extra):
        first = Validated(valid=pd.DataFrame(columns=VALID_COLUMNS),
                          rejects=extra.reindex(columns=REJECT_COLUMNS).sort_values("row_number", kind="stable",
                                                                                     ignore_index=True),
                          declarations=0, rejected_declarations=unreadable)
    return _after(first, parts), warnings, count


def _after(first: Validated | None, parts: Iterator[Validated]) -> Iterator[Validated]:
    if first is not None:
        yield first
    yield from parts


def read_declarations(data: bytes, fmt: str, mapping: str = "own", encoding: str = "utf-8-sig"):
    """Bytes of a file -> (Validated, warnings). Raises IntakeError when the file as a whole is unreadable."""
    parts, warnings, _ = read_in_parts(data, fmt, mapping, encoding)
    return joined(list(parts)), warnings
