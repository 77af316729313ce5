"""Import a declarations file: read, validate, store new declarations, record rejects and conflicts."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from smartcustoms.declarations.ingest.csv_file import decode, read_csv
from smartcustoms.declarations.ingest.cusdec import CusdecError, read_cusdec
from smartcustoms.declarations.ingest.json_file import read_json
from smartcustoms.declarations.mapping import IntakeError, load_mapping
from smartcustoms.declarations.validate import REJECT_COLUMNS, Validated, validate, validate_records

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


_partitions: list[pd.DataFrame] = []  # inherited by forked workers: cheaper than pickling them over


def _validate_partition(number: int) -> Validated:
    return validate(_partitions[number])


def validate_in_parallel(rows: pd.DataFrame, workers: int | None = None) -> Validated:
    """validate() on partitions of declarations (split by ID), one forked process per core, results joined."""
    global _partitions
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(rows) < 20_000:
        return validate(rows)
    part = pd.util.hash_array(rows["declaration_id"].astype(str).to_numpy()) % workers
    _partitions = [rows[part == k] for k in range(workers)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_validate_partition, range(workers)))
    finally:
        _partitions = []
    return Validated(
        valid=pd.concat([r.valid for r in results], ignore_index=True).sort_values("row_number", ignore_index=True),
        rejects=pd.concat([r.rejects for r in results], ignore_index=True).sort_values("row_number",
                                                                                         ignore_index=True),
        declarations=sum(r.declarations for r in results),
        rejected_declarations=sum(r.rejected_declarations for r in results),
    )


def read_declarations(data: bytes, fmt: str, mapping: str = "own", encoding: str = "utf-8-sig"):
    """Bytes of a file -> (Validated, warnings). Raises IntakeError when the file as a whole is unreadable."""
    if fmt == "csv":
        rows, extra, warnings = read_csv(data, load_mapping(mapping), encoding)
        result = validate_in_parallel(rows)
        result.rejected_declarations += len(extra)  # malformed lines
    elif fmt == "json":
        result, warnings, extra = validate_records(read_json(data, encoding)), [], None
    elif fmt == "cusdec":
        try:
            rows, extra = read_cusdec(decode(data, encoding))
        except CusdecError as exc:
            raise IntakeError(str(exc)) from exc
        result, warnings = validate(rows), []
        # a message with errors yields no rows: count it once as a rejected declaration
        result.rejected_declarations += extra["declaration_id"].fillna(extra["row_number"].astype(str)).nunique()
    else:
        raise IntakeError(f"unknown format {fmt!r}: use csv, json or cusdec")
    if extra is not None and len(extra):
        result.rejects = pd.concat([extra.reindex(columns=REJECT_COLUMNS), result.rejects], ignore_index=True)
        result.rejects = result.rejects.sort_values("row_number", kind="stable", ignore_index=True)
    return result, warnings
