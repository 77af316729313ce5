"""The history as partitioned Parquet: one folder per month and office, pure functions (no database).

Layout under a history folder ``DIR``::

    DIR/manifest.json                                  what was exported, up to which import batch / outcome
    DIR/declarations/month=2025-01/office=PORT-NORTH/part-<from>-<to>.parquet    goods-item rows (header repeated)
    DIR/outcomes/month=2025-01/part-<from>-<to>.parquet                          controls, by inspection month

A declaration lies whole in the partition of its acceptance month and office. Each export or append writes new
part files named after the range of import batches (declarations) or outcome IDs (outcomes) it holds, so that
running the same append twice rewrites the same files instead of duplicating rows. Files are written to a
temporary name and renamed, and the manifest is written last: a run that dies leaves the previous manifest,
which still describes a consistent history.

The columns and their Arrow types follow the declaration model (`declarations.models.FIELDS`): a model field
added later becomes a column of the files exported after it (older files lack it; `read_partition` adds it as
missing).
"""

from __future__ import annotations

import datetime as dt
import os
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smartcustoms.declarations.models import Declaration, GoodsItem

MANIFEST = "manifest.json"
DECLARATIONS = "declarations"
OUTCOMES = "outcomes"
FORMAT = "smartcustoms.history/1"
OUTCOME_COLUMNS = {"declaration_id": pa.string(), "inspection_date": pa.timestamp("us"),
                   "control_type": pa.string(), "selection_reason": pa.string(), "result": pa.string(),
                   "infringement": pa.string(), "duty_recovered": pa.float64()}


class PartitionError(ValueError):
    """A partition file that cannot be read or does not hold the expected columns; names the file."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def _arrow_type(annotation) -> pa.DataType:
    """The Arrow type of a pydantic field's annotation (Optional, Annotated and Literal unwrapped)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is typing.Literal:
            annotation = type(typing.get_args(annotation)[0])
        else:
            break
    if annotation is float:
        return pa.float64()
    if annotation is int:
        return pa.int64()
    if annotation in (dt.datetime, dt.date):
        return pa.timestamp("us")
    return pa.string()


def declaration_schema() -> pa.Schema:
    """The Arrow schema of a declarations partition: the model's header and item fields, in model order."""
    fields = [(name, f.annotation) for name, f in Declaration.model_fields.items() if name != "items"]
    fields += list((name, f.annotation) for name, f in GoodsItem.model_fields.items())
    return pa.schema([pa.field(name, _arrow_type(annotation)) for name, annotation in fields])


def outcome_schema() -> pa.Schema:
    return pa.schema(list(OUTCOME_COLUMNS.items()))


def months(values) -> np.ndarray:
    """'YYYY-MM' of each datetime."""
    return pd.to_datetime(pd.Series(values)).dt.strftime("%Y-%m").to_numpy(dtype=object)


def declaration_partitions(frame: pd.DataFrame) -> Iterator[tuple[tuple[str, str], pd.DataFrame]]:
    """((month, office), rows) for each partition of a declarations frame, in order of month then office; rows
    keep their order within a partition."""
    if frame.empty:
        return
    keys = pd.DataFrame({"month": months(frame["acceptance_datetime"]),
                         "office": frame["office_id"].astype(str).to_numpy(dtype=object)})
    yield from frame.groupby([keys["month"].to_numpy(), keys["office"].to_numpy()], sort=True)


def outcome_partitions(frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """(month, rows) by inspection month."""
    if frame.empty:
        return
    yield from frame.groupby(months(frame["inspection_date"]), sort=True)


def declaration_folder(root: Path, month: str, office: str) -> Path:
    return Path(root) / DECLARATIONS / f"month={month}" / f"office={quote(office, safe='')}"


def outcome_folder(root: Path, month: str) -> Path:
    return Path(root) / OUTCOMES / f"month={month}"


def partition_of(path: Path) -> dict[str, str]:
    """The partition keys (month, office) in a file's path."""
    keys = {}
    for part in Path(path).parts:
        if "=" in part:
            key, value = part.split("=", 1)
            keys[key] = unquote(value)
    return keys


def to_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """`frame` as an Arrow table of `schema` (columns it lacks are written as missing)."""
    columns = {}
    for field in schema:
        if field.name in frame.columns:
            values = frame[field.name]
            if pa.types.is_timestamp(field.type):
                values = pd.to_datetime(values)
            elif pa.types.is_string(field.type):
                values = values.astype(object).where(values.notna(), None)
            columns[field.name] = pa.array(values, type=field.type, from_pandas=True)
        else:
            columns[field.name] = pa.nulls(len(frame), type=field.type)
    return pa.table(columns, schema=schema)


def write_file(table: pa.Table, path: Path) -> Path:
    """Write a Parquet file atomically: to a temporary name beside it, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)
    return path


def part_name(first: int, last: int) -> str:
    return f"part-{first:09d}-{last:09d}.parquet"


def check_schema(path, found: pa.Schema, expected: pa.Schema) -> None:
    """Every expected column with a compatible type, or PartitionError naming the file and the columns."""
    problems = []
    for field in expected:
        index = found.get_field_index(field.name)
        if index < 0:
            continue  # added to the model after the file was written: read as missing
        have = found.field(index).type
        if have == field.type or pa.types.is_null(have):
            continue
        same_family = ((pa.types.is_string(have) or pa.types.is_large_string(have)) and pa.types.is_string(field.type)
                       or pa.types.is_timestamp(have) and pa.types.is_timestamp(field.type)
                       or pa.types.is_floating(have) and pa.types.is_floating(field.type)
                       or pa.types.is_integer(have) and pa.types.is_integer(field.type))
        if not same_family:
            problems.append(f"{field.name} is {have}, expected {field.type}")
    missing_key = [name for name in ("declaration_id",) if found.get_field_index(name) < 0]
    if missing_key:
        problems.append(f"missing column(s) {missing_key}")
    if problems:
        raise PartitionError(path, "wrong schema: " + "; ".join(problems))


def read_partition(path, schema: pa.Schema, columns: list[str] | None = None) -> pd.DataFrame:
    """One partition file as a DataFrame of `schema` (NumPy object strings, naive datetimes), or PartitionError
    naming the file when it is not Parquet, is truncated or holds other columns."""
    try:
        file = pq.ParquetFile(path)
        check_schema(path, file.schema_arrow, schema)
        wanted = [f.name for f in schema if columns is None or f.name in columns]
        present = [name for name in wanted if file.schema_arrow.get_field_index(name) >= 0]
        table = file.read(columns=present)
    except PartitionError:
        raise
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise PartitionError(path, f"not a readable Parquet file ({exc})") from exc
    return from_table(table, schema, columns)


def from_table(table: pa.Table, schema: pa.Schema, columns: list[str] | None = None) -> pd.DataFrame:
    """A table as the frame the screens expect: object strings, datetime64 columns, float and int numbers."""
    out = {}
    for field in schema:
        if columns is not None and field.name not in columns:
            continue
        if field.name in table.column_names:
            column = table.column(field.name)
            if pa.types.is_string(field.type) or pa.types.is_large_string(column.type):
                out[field.name] = pd.Series(column.to_pylist() if column.null_count == len(column)
                                            else column.to_numpy(zero_copy_only=False), dtype=object)
            elif pa.types.is_timestamp(field.type):
                out[field.name] = pd.Series(column.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False),
                                            dtype="datetime64[us]")
            elif pa.types.is_integer(field.type):
                out[field.name] = pd.Series(column.to_numpy(zero_copy_only=False)).astype(
                    "int64" if column.null_count == 0 else "float64")
            else:
                out[field.name] = pd.Series(column.to_numpy(zero_copy_only=False), dtype="float64")
        else:
            out[field.name] = pd.Series([None] * table.num_rows, dtype=object if pa.types.is_string(field.type)
                                        else "float64" if not pa.types.is_timestamp(field.type)
                                        else "datetime64[us]")
    return pd.DataFrame(out)


def empty_frame(schema: pa.Schema, columns: list[str] | None = None) -> pd.DataFrame:
    """A frame of `schema` with no rows (the meta of a dask dataframe of partitions)."""
    return from_table(schema.empty_table(), schema, columns)


def partition_files(root: Path, kind: str = DECLARATIONS) -> list[Path]:
    """The partition files of one kind, sorted by month, office, then part name (the order of a batch)."""
    base = Path(root) / kind
    if not base.is_dir():
        return []
    return sorted((p for p in base.rglob("part-*.parquet")), key=lambda p: (
        partition_of(p).get("month", ""), partition_of(p).get("office", ""), p.name))


def write_declarations(directory: Path, frame: pd.DataFrame, first: int, last: int, chunk: int = 0) -> int:
    """Write a declarations frame into its month x office partitions (one new file each); returns files written."""
    schema, files = declaration_schema(), 0
    for (month, office), rows in declaration_partitions(frame):
        name = part_name(first, last).replace(".parquet", f"-{chunk:05d}.parquet")
        write_file(to_table(rows, schema), declaration_folder(directory, month, office) / name)
        files += 1
    return files


def write_outcomes(directory: Path, frame: pd.DataFrame, first: int, last: int, chunk: int = 0) -> int:
    """Write an outcomes frame into its inspection-month partitions; returns files written."""
    schema, files = outcome_schema(), 0
    for month, rows in outcome_partitions(frame):
        name = part_name(first, last).replace(".parquet", f"-{chunk:05d}.parquet")
        write_file(to_table(rows, schema), outcome_folder(directory, month) / name)
        files += 1
    return files


def read_files(files: list[Path], kind: str = DECLARATIONS) -> pd.DataFrame:
    """The given partition files as one frame, in order (PartitionError naming a bad file)."""
    schema = declaration_schema() if kind == DECLARATIONS else outcome_schema()
    parts = [read_partition(path, schema) for path in files]
    return pd.concat(parts, ignore_index=True) if parts else empty_frame(schema)
