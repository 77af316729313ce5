"""The scale use cases: export and append the history as partitioned Parquet, assess a batch and train the
targeting model with the local engine or on Dask, and write decisions back in bulk (one transaction each).

Refusal codes: ``scale.history_exists`` (export into a folder that already holds a history: use append),
``scale.no_history`` (append to, or read, a folder without one), ``scale.scheduler_unreachable`` (the address
does not answer), ``scale.partition_unreadable`` (a corrupt partition file or one with the wrong schema; the
file is named), ``scale.nothing_to_assess``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from smartcustoms.refusals import Kind, Refusal
from smartcustoms.risk.assess import RiskEngine, assess, explain
from smartcustoms.scale import repository
from smartcustoms.scale.partitions import (
    DECLARATIONS,
    FORMAT,
    MANIFEST,
    OUTCOMES,
    PartitionError,
    partition_files,
    read_files,
    write_declarations,
    write_outcomes,
)
from smartcustoms.scale.schemas import EngineOptions, ExportResult
from smartcustoms.store.db import writing


# --- the history as Parquet -----------------------------------------------------------------------------------
def read_manifest(directory: Path) -> dict | None:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _write_manifest(directory: Path, manifest: dict) -> None:
    path = Path(directory) / MANIFEST
    temporary = path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(temporary, path)


def export_history(db: Engine, directory: Path, *, append: bool = False, chunk: int = 50_000,
                   progress: Callable[[str], None] | None = None) -> ExportResult:
    """Export the stored declarations (by import batch) and outcomes (by ID) not yet in `directory`, partitioned
    by month and office (outcomes by inspection month). `append=False` starts a history and refuses a folder
    that holds one; `append=True` continues one. Files are written whole (temporary name, then renamed) and the
    manifest last, in one read transaction of the database: a run that fails leaves the previous manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if append and manifest is None:
        raise Refusal("scale.no_history", f"{directory} holds no exported history (run `history export` first)",
                      field="directory", kind=Kind.NOT_FOUND, directory=str(directory))
    if not append and manifest is not None:
        raise Refusal("scale.history_exists", f"{directory} already holds a history: use `history append`",
                      field="directory", kind=Kind.CONFLICT, directory=str(directory))
    manifest = manifest or {"format": FORMAT, "batch_upto": 0, "outcome_upto": 0, "runs": []}
    directory.mkdir(parents=True, exist_ok=True)
    after_batch, after_outcome = int(manifest["batch_upto"]), int(manifest["outcome_upto"])
    counts = {"declarations": 0, "goods_items": 0, "outcomes": 0, "files": 0}
    with db.connect() as conn, conn.begin():
        upto_batch, upto_outcome = repository.high_water(conn)
        for number, frame in enumerate(repository.declaration_chunks(conn, after_batch, upto_batch, chunk)):
            counts["files"] += write_declarations(directory, frame, after_batch + 1, upto_batch, number)
            counts["declarations"] += frame["declaration_id"].nunique()
            counts["goods_items"] += len(frame)
            if progress:
                progress(f"{counts['declarations']:,} declarations")
        for number, frame in enumerate(repository.outcome_chunks(conn, after_outcome, upto_outcome)):
            counts["files"] += write_outcomes(directory, frame.drop(columns=["outcome_id"]), after_outcome + 1,
                                              upto_outcome, number)
            counts["outcomes"] += len(frame)
    manifest["batch_upto"], manifest["outcome_upto"] = max(upto_batch, after_batch), max(upto_outcome, after_outcome)
    manifest["runs"].append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "append": append,
                             "batches": [after_batch + 1, upto_batch], "outcome_ids": [after_outcome + 1, upto_outcome],
                             **counts})
    _write_manifest(directory, manifest)
    return ExportResult(directory=str(directory), appended=append, batches=(after_batch + 1, upto_batch),
                        outcome_ids=(after_outcome + 1, upto_outcome), **counts)


def history_files(directory: Path, kind: str = DECLARATIONS, start=None, end=None) -> list[Path]:
    """The partition files of an exported history, in batch order, optionally of the months [start, end)."""
    if read_manifest(directory) is None:
        raise Refusal("scale.no_history", f"{directory} holds no exported history", field="directory",
                      kind=Kind.NOT_FOUND, directory=str(directory))
    files = partition_files(Path(directory), kind)
    if start is not None or end is not None:
        from smartcustoms.scale.partitions import partition_of

        def month_in(path: Path) -> bool:
            month = pd.Period(partition_of(path)["month"], "M")
            return ((start is None or month.end_time >= pd.Timestamp(start))
                    and (end is None or month.start_time < pd.Timestamp(end)))

        files = [f for f in files if month_in(f)]
    return files


def _unreadable(exc: PartitionError) -> Refusal:
    return Refusal("scale.partition_unreadable", str(exc), field="file", path=exc.path, reason=exc.reason)


def read_frame(files: list[Path], kind: str = DECLARATIONS) -> pd.DataFrame:
    """The given partition files as one frame, in order (the local engine's view of a batch or history)."""
    try:
        return read_files(files, kind)
    except PartitionError as exc:
        raise _unreadable(exc) from exc


def read_history(directory: Path, start=None, end=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Declarations accepted in [start, end) and every outcome of an exported history."""
    frame = read_frame(history_files(directory, DECLARATIONS, start, end))
    if len(frame) and (start is not None or end is not None):
        when = frame["acceptance_datetime"]
        keep = (when >= pd.Timestamp(start)) if start is not None else pd.Series(True, index=frame.index)
        if end is not None:
            keep &= when < pd.Timestamp(end)
        frame = frame[keep.to_numpy()].reset_index(drop=True)
    return frame, read_frame(history_files(directory, OUTCOMES), OUTCOMES)


# --- engines --------------------------------------------------------------------------------------------------
@contextmanager
def client(options: EngineOptions) -> Iterator:
    """A connected Dask client for `options`, or Refusal scale.scheduler_unreachable naming the address."""
    from smartcustoms.scale.distributed import SchedulerUnreachable, dask_client

    try:
        with dask_client(options.scheduler, workers=options.workers, threads=options.threads,
                         processes=options.processes, memory_limit=options.memory_limit,
                         timeout=options.timeout) as connection:
            yield connection
    except SchedulerUnreachable as exc:
        raise Refusal("scale.scheduler_unreachable", str(exc), field="scheduler", address=exc.address) from exc


def assess_batch(batch: pd.DataFrame | list[Path], risk_engine: RiskEngine, options: EngineOptions,
                 dask=None) -> pd.DataFrame:
    """Decisions for a batch (a frame, or partition files in batch order) with the local engine (`assess` on
    the whole batch) or on Dask (`dask`: a connected client, else one is started for the call). Both give the
    same decisions (docs/scale.md: equivalence)."""
    if options.engine == "local":
        frame = batch if isinstance(batch, pd.DataFrame) else read_frame(batch)
        return assess(frame, risk_engine)
    from smartcustoms.scale import distributed

    def run(connection):
        ddf = (distributed.memory_frame(batch, max(2 * options.workers, 1)) if isinstance(batch, pd.DataFrame)
               else distributed.files_frame(batch))
        try:
            return distributed.assess_frame(connection, ddf, risk_engine, buckets=options.buckets)
        except PartitionError as exc:
            raise _unreadable(exc) from exc

    if dask is not None:
        return run(dask)
    with client(options) as connection:
        return run(connection)


def assess_and_decide(db: Engine, frame: pd.DataFrame, risk_engine: RiskEngine, actor: str, options: EngineOptions,
                      *, remote_offices: Collection[str] = (), lane_time: str = "assessed"
                      ) -> tuple[pd.DataFrame, dict[str, int]]:
    """`control.service.assess_and_decide` with the assessment on the chosen engine: assess first (no
    transaction open; a scheduler that does not answer, a lost worker or a bad file stops here), then write the
    assessment, every decision with its explanation (in bulk) and the opening of their control chains in one
    transaction: all of them or, on any error, none."""
    from smartcustoms.control.service import record_decisions

    if frame.empty:
        raise Refusal("scale.nothing_to_assess", "no declarations to assess", kind=Kind.INVALID)
    decided = explain(assess_batch(frame, risk_engine, options), list(risk_engine.screens))
    with writing(db) as conn:
        counts = record_decisions(conn, decided, risk_engine.provenance(), actor, remote_offices=remote_offices,
                                  lane_time=lane_time)
    return decided, counts


def train_targeting_model(features: pd.DataFrame, options: EngineOptions, **model_kwargs):
    """A TargetingModel fitted on `features` (`targeting.features.declaration_features`): locally, or with its
    fraud classifiers trained by lightgbm.dask on the cluster of `options` (the same features and weights)."""
    from smartcustoms.targeting.model import TargetingModel

    if options.engine == "local":
        return TargetingModel(**model_kwargs).fit(features)
    from smartcustoms.scale.distributed import fit_distributed

    with client(options) as connection:
        return fit_distributed(connection, features, **model_kwargs)


def history_statistics(directory: Path, as_of) -> dict:
    """The history's summary statistics as of `as_of`, partition by partition (one partition in memory at a
    time, plus the small partials) and combined: reference price cells per level, importers, declarants, routes,
    controls and hits."""
    from smartcustoms.risk.valuation import adjusted_declarations
    from smartcustoms.scale import stats

    as_of = pd.Timestamp(as_of)
    outcomes = read_frame(history_files(directory, OUTCOMES), OUTCOMES)
    adjusted = adjusted_declarations(outcomes, None, as_of)
    false_origin = adjusted_declarations(outcomes, ("false_origin",), as_of)
    prices, routes, importers, declarants = [], [], [], []
    files = history_files(directory, DECLARATIONS, end=as_of)
    declarations = 0
    for path in files:
        part = read_frame([path])
        declarations += int((part.drop_duplicates("declaration_id")["acceptance_datetime"] < as_of).sum())
        prices.append(stats.price_rows(part, adjusted, as_of))
        routes.append(stats.route_partial(part, false_origin, as_of))
        importers.append(stats.trader_partial(part, outcomes, "importer_id", as_of))
        declarants.append(stats.trader_partial(part, outcomes, "declarant_id", as_of))
    tables = stats.reference_tables(prices)
    traders = stats.combine_traders(importers)
    return {"as_of": as_of.isoformat(), "partitions": len(files), "declarations": declarations,
            "reference_cells": {level: len(table) for level, table in tables.items()},
            "importers": len(traders), "declarants": len(stats.combine_traders(declarants)),
            "routes": len(stats.combine_counts(routes)), "controls": int(traders["controls"].sum()),
            "hits": int(traders["hits"].sum())}


def run_benchmark(declarations: int, directory: Path, **kwargs):
    """`smartcustoms benchmark scale` (see `scale.benchmark.run`): no database."""
    from smartcustoms.scale.benchmark import run

    return run(declarations, directory, **kwargs)


def model_trainer(connection) -> Callable:
    """`train_model(train, **parameters)` for `targeting.evaluate`: fits with lightgbm.dask on `connection` (a
    client from `client(options)`)."""
    from smartcustoms.scale.distributed import fit_distributed

    def train(frame: pd.DataFrame, **parameters):
        return fit_distributed(connection, frame, **parameters)

    return train
