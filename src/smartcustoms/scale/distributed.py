"""Dask: the cluster (a scheduler's address, or a LocalCluster on this machine), batch assessment over a
dask.dataframe, and training with lightgbm.dask. No database here: the service reads and writes it.

A dask.dataframe of a batch has one partition per Parquet file of the history layout (`partitions`), read by
`partitions.read_partition` (so that a corrupt file or a wrong schema is an error naming the file), or one per
slice of a frame already in memory. Every row carries its batch position (`batch.ORDER`); the frame is
shuffled by importer bucket (`batch.BUCKET`, an explicit shuffle: see `batch`), each bucket's signals are
computed by `batch.partition_signals` with the fitted engine (sent to every worker once), and the declaration
signals are gathered for selectivity. Failed tasks are retried (`retries`): a worker that dies mid-run has its
tasks recomputed on the others.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from smartcustoms.risk.assess import RiskEngine
from smartcustoms.scale import batch
from smartcustoms.scale.partitions import declaration_schema, empty_frame, read_partition

RETRIES = 3


class SchedulerUnreachable(ConnectionError):
    """The scheduler at an address did not answer in time."""

    def __init__(self, address: str, reason: str):
        super().__init__(f"the Dask scheduler at {address} does not answer ({reason})")
        self.address = address


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2, threads: int = 1, processes: bool = True,
                memory_limit: str | float | None = "auto", timeout: float = 10.0,
                dashboard: str | None = None) -> Iterator:
    """A distributed Client: connected to `scheduler` (e.g. ``tcp://10.0.0.5:8786``), or to a LocalCluster of
    `workers` x `threads` started here (and stopped on exit). Raises SchedulerUnreachable naming the address
    when the scheduler does not answer within `timeout` seconds."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
                client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerUnreachable(scheduler, f"{type(exc).__name__}: {exc}") from exc
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=threads, processes=processes,
                           memory_limit=memory_limit, dashboard_address=dashboard, silence_logs=40)
    client = Client(cluster, set_as_default=False)
    if processes:  # what libraries print in the workers (LightGBM's network set-up) goes to stderr, not stdout
        client.run(_stdout_to_stderr)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _stdout_to_stderr() -> None:
    import os

    os.dup2(2, 1)


# --- reading --------------------------------------------------------------------------------------------------
def _read_numbered(item: tuple[int, str]) -> pd.DataFrame:
    number, path = item
    return batch.with_order(read_partition(path, declaration_schema()), number)


def _slice_numbered(item: tuple[int, pd.DataFrame]) -> pd.DataFrame:
    number, frame = item
    return batch.with_order(frame, number)


def _meta() -> pd.DataFrame:
    return empty_frame(declaration_schema()).assign(**{batch.ORDER: np.zeros(0, dtype=np.int64)})


def files_frame(files: Sequence[Path]):
    """A dask.dataframe with one partition per Parquet file, in the given order (the batch order)."""
    import dask.dataframe as dd

    return dd.from_map(_read_numbered, list(enumerate(str(f) for f in files)), meta=_meta(),
                       enforce_metadata=False)


def memory_frame(frame: pd.DataFrame, partitions: int):
    """A dask.dataframe of a frame in memory, cut into `partitions` slices that keep declarations whole."""
    import dask.dataframe as dd

    frame = frame.reset_index(drop=True)
    ids = frame["declaration_id"].to_numpy()
    size = max(math.ceil(len(frame) / max(partitions, 1)), 1)
    cuts, start = [], 0
    while start < len(frame):
        stop = min(start + size, len(frame))
        while 0 < stop < len(frame) and ids[stop] == ids[stop - 1]:  # do not split a declaration
            stop += 1
        cuts.append((len(cuts), frame.iloc[start:stop]))
        start = stop
    meta = frame.iloc[:0].assign(**{batch.ORDER: np.zeros(0, dtype=np.int64)})
    return dd.from_map(_slice_numbered, cuts or [(0, frame.iloc[:0])], meta=meta, enforce_metadata=False)


# --- assessment -----------------------------------------------------------------------------------------------
def _bucketed(part: pd.DataFrame, buckets: int) -> pd.DataFrame:
    return batch.with_buckets(part, buckets)


def _signals_meta(sample: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """The columns and types of `partition_signals`' output, from a few rows."""
    rows = sample.head(0) if sample.empty else sample[sample["declaration_id"] == sample["declaration_id"].iloc[0]]
    return batch.partition_signals(rows, engine).iloc[:0]


def send_engine(client, engine: RiskEngine):
    """The fitted engine, sent once to every worker (a future to pass to `assess_frame` for several batches:
    faster, but a worker lost for good can take the last copy along; without it, the engine travels in the
    graph and survives a lost worker)."""
    return client.scatter(engine, broadcast=True, hash=False)


def assess_frame(client, ddf, engine: RiskEngine, buckets: int | None = None,
                 retries: int = RETRIES, engine_future=None) -> pd.DataFrame:
    """Decisions for the batch `ddf` (from `files_frame` or `memory_frame`): shuffle by importer bucket, risk
    signals per bucket on the workers, selectivity on the gathered signals here. The same decisions as
    ``assess(whole batch, engine)``, bit for bit (`batch.differences`). `buckets` defaults to one per worker:
    each bucket pays a cost that does not shrink with its size (the text model encodes the bucket's distinct
    descriptions, and most buckets see most wordings), so more buckets only help to bound a worker's memory on
    a very large batch."""
    import dask

    workers = max(len(client.scheduler_info().get("workers", {})), 1)
    buckets = buckets or workers
    if engine_future is None:
        # the engine as a value of the graph: a worker that dies takes its copy along, and the scheduler sends it
        # again (scattered data that a lost worker held last cannot be recovered; Dask's memory manager drops the
        # extra replicas of a broadcast)
        engine_future = dask.delayed(engine, pure=True, traverse=False)
    sample = ddf.partitions[0].head(200, compute=False)
    with dask.config.set(scheduler=client):
        meta = _signals_meta(client.compute(sample, retries=retries).result(), engine)
    meta = meta.assign(**{batch.ORDER: np.zeros(0, dtype=np.int64)}) if batch.ORDER not in meta else meta
    bucketed = ddf.map_partitions(_bucketed, buckets, meta=ddf._meta.assign(**{batch.BUCKET: np.zeros(0, np.int64)}))
    shuffled = bucketed.shuffle(on=batch.BUCKET, npartitions=buckets)
    signals = shuffled.map_partitions(batch.partition_signals, engine_future, meta=meta)
    gathered = client.compute(signals, retries=retries).result()
    return batch.select_gathered(gathered, engine)


# --- training -------------------------------------------------------------------------------------------------
class DaskClassifier:
    """What `TargetingModel` asks of its classifier (``fit(x, y, sample_weight)`` returning a fitted
    LGBMClassifier), trained by lightgbm.dask on the cluster: rows cut into one chunk per worker, each worker
    builds histograms of its rows and LightGBM's collective communication merges them. The fitted booster is
    brought back as an ordinary LGBMClassifier (`to_local`), so it is saved, registered and served as before."""

    def __init__(self, client, params: dict, chunks: int | None = None):
        self.client = client
        self.params = params
        self.chunks = chunks

    def fit(self, x, y, sample_weight=None):
        import dask.array as da
        from lightgbm import DaskLGBMClassifier

        workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        chunks = self.chunks or workers
        rows = max(math.ceil(len(x) / chunks), 1)
        dx = da.from_array(np.asarray(x, dtype=float), chunks=(rows, x.shape[1]))
        dy = da.from_array(np.asarray(y, dtype=float), chunks=(rows,))
        dw = None if sample_weight is None else da.from_array(np.asarray(sample_weight, dtype=float), chunks=(rows,))
        params = {key: value for key, value in self.params.items() if key != "n_jobs"}
        model = DaskLGBMClassifier(client=self.client, **params)
        # lightgbm.dask looks the client up as the current one, and prints its port search on stdout
        with self.client.as_current(), contextlib.redirect_stdout(sys.stderr):
            model.fit(dx, dy, sample_weight=dw)
        return model.to_local()


def fit_distributed(client, features: pd.DataFrame, chunks: int | None = None, **kwargs):
    """A `TargetingModel` fitted on `features` with its fraud classifiers (the calibration twin and the shipped
    one) trained by lightgbm.dask on `client`; features, weights, calibration and the revenue model as in local
    training. Returns a plain TargetingModel (saved and registered as any other)."""
    from smartcustoms.targeting.model import DEFAULT_PARAMS, TargetingModel

    model = TargetingModel(**kwargs)
    params = {**DEFAULT_PARAMS, **(model.params or {}), "random_state": model.random_state}
    model._classifier = lambda: DaskClassifier(client, params, chunks)  # this instance only
    try:
        model.fit(features)
    finally:
        del model._classifier
    return model
