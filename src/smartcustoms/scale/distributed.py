"""Dask: the cluster (a scheduler's address, or a LocalCluster on this machine), batch assessment as an explicit
task graph, and training with lightgbm.dask. No database here: the service reads and writes it.

A batch is a list of parts (`Parts`): one per Parquet file of the history layout (`partitions`), read on a worker
by `partitions.read_partition` (so that a corrupt file or a wrong schema is an error naming the file), or one per
slice of a frame already in memory. Every row carries its batch position (`batch.ORDER`). Each part is split by
importer bucket (`batch.split_buckets`: the explicit shuffle, see `batch`), each bucket's signals are computed by
`batch.partition_signals` from its pieces of every part with the fitted engine (sent to every worker once), and
the declaration signals are gathered for selectivity. Failed tasks are retried (`retries`): a worker that dies
mid-run has its tasks recomputed on the others.
"""

from __future__ import annotations

import contextlib
import math
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from smartcustoms.risk.assess import RiskEngine
from smartcustoms.scale import batch
from smartcustoms.scale.partitions import declaration_schema, read_partition

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
    import distributed  # noqa: F401  (its configuration defaults, before some are changed)

    with dask.config.set(worker_config()):
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


def worker_config() -> dict:
    """Dask settings for the workers this machine starts (measured, docs/scale.md section 5): glibc's own
    malloc thresholds instead of Dask's ``MALLOC_TRIM_THRESHOLD_=65536``, which turns every large NumPy array into
    a fresh mmap (page faults at each allocation: the screens ran 35 % slower in a worker than in one process),
    no statistical profiler sampling the task thread every 10 ms (only the dashboard reads it), the event
    loops' health ticks and system monitor at 1 s and 2 s instead of 20 ms and 0.5 s (the CPU of an idle worker,
    scheduler and client: 19, 26 and 26 ms per second, down to 6, 9 and 9), and no work stealing (a bucket's
    task runs where most of its pieces lie)."""
    # None unsets a variable of pre-spawn-environ (distributed.nanny); docs/scale.md has the same as YAML for
    # `dask worker` hosts
    return {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
            "distributed.worker.profile.enabled": False,
            "distributed.admin.tick.interval": "1s", "distributed.admin.system-monitor.interval": "2s",
            "distributed.scheduler.work-stealing": False}


def _stdout_to_stderr() -> None:
    import os

    os.dup2(2, 1)


# --- the batch's parts -----------------------------------------------------------------------------------------
class Parts(list):
    """The parts of a batch, in batch order: ``(loader, argument)`` pairs, each loading one partition on a worker
    (a Parquet file of the history layout, or a slice of a frame in memory that keeps declarations whole)."""


def _read_numbered(number: int, path: str) -> pd.DataFrame:
    return batch.with_order(read_partition(path, declaration_schema()), number)


def _slice_numbered(number: int, frame: pd.DataFrame) -> pd.DataFrame:
    return batch.with_order(frame, number)


def files_frame(files: Sequence[Path]) -> Parts:
    """One part per Parquet file, in the given order (the batch order), read on the workers by
    `partitions.read_partition` (a corrupt file or a wrong schema: an error naming the file)."""
    return Parts((_read_numbered, str(path)) for path in files)


def memory_frame(frame: pd.DataFrame, partitions: int) -> Parts:
    """A frame in memory cut into `partitions` slices that keep declarations whole (the slices travel in the task
    graph, so that a worker that dies does not take the last copy of one along)."""
    frame = frame.reset_index(drop=True)
    ids = frame["declaration_id"].to_numpy()
    size = max(math.ceil(len(frame) / max(partitions, 1)), 1)
    cuts, start = Parts(), 0
    while start < len(frame):
        stop = min(start + size, len(frame))
        while 0 < stop < len(frame) and ids[stop] == ids[stop - 1]:  # do not split a declaration
            stop += 1
        cuts.append((_slice_numbered, frame.iloc[start:stop]))
        start = stop
    return cuts or Parts([(_slice_numbered, frame.iloc[:0])])


# --- assessment -----------------------------------------------------------------------------------------------
def _load(loader, number: int, argument) -> pd.DataFrame:
    return loader(number, argument)


def _bucket_scores(engine: RiskEngine, *pieces: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One importer bucket (its rows from every part of the batch, in batch order) and the item scores of the
    screens that look at one importer's rows at most (all but `batch.BATCH_WIDE`)."""
    frame = batch.bucket_frame(list(pieces))
    names = [name for name in engine.screens if name not in batch.BATCH_WIDE]
    return frame, batch.screen_scores(frame, engine, names)


def _bucket_signals(engine: RiskEngine, scored: tuple[pd.DataFrame, dict], wide: dict) -> pd.DataFrame:
    """The bucket's risk signals from its screens' scores and its share of the batch-wide screens' scores."""
    frame, scores = scored
    return batch.partition_signals(frame, engine, {**scores, **wide})


def send_engine(client, engine: RiskEngine):
    """The fitted engine, sent once to every worker (a future to pass to `assess_frame` for several batches:
    faster, but a worker lost for good can take the last copy along; without it, the engine travels in the
    graph and survives a lost worker)."""
    return client.scatter(engine, broadcast=True, hash=False)


def assess_frame(client, parts: Parts, engine: RiskEngine, buckets: int | None = None,
                 retries: int = RETRIES, engine_future=None) -> pd.DataFrame:
    """Decisions for the batch `parts` (from `files_frame` or `memory_frame`): each part is loaded on a worker
    and split by importer bucket (the explicit shuffle: a hash of the importer); each bucket's screens are
    scored on a worker from its pieces of every part while one task scores the batch-wide screens
    (`batch.BATCH_WIDE`) on the whole batch; each bucket's risk signals are assembled from both, and selectivity
    runs here on the gathered signals. The same decisions as ``assess(whole batch, engine)``, bit for bit
    (`batch.differences`).

    The graph is written out, not a dask.dataframe shuffle: a part's pieces stay on the worker that read it
    unless their bucket runs elsewhere, there is no disk stage (P2P shuffle) and no sample run for the output's
    types. `buckets` defaults to one per worker: each bucket pays a cost that does not shrink with its size (the
    text model encodes the bucket's distinct descriptions), so more buckets only bound a worker's memory on a
    very large batch."""
    import dask

    addresses = sorted(client.scheduler_info().get("workers", {})) or [None]
    buckets = max(buckets or len(addresses), 1)
    token = uuid.uuid4().hex[:12]

    def on(number: int):
        """Run on the `number`-th worker (round robin), or on another one if that one is gone."""
        address = addresses[number % len(addresses)]
        return dask.annotate(workers=[address], allow_other_workers=True) if address else contextlib.nullcontext()

    if engine_future is None:
        # the engine as a value of the graph: a worker that dies takes its copy along, and the scheduler sends it
        # again (scattered data that a lost worker held last cannot be recovered; Dask's memory manager drops the
        # extra replicas of a broadcast)
        engine_future = dask.delayed(engine, name=f"engine-{token}", traverse=False)
    wide_columns = batch.batch_wide_columns(engine)
    loaded, split, for_wide = [], [], []
    for number, (loader, argument) in enumerate(parts):  # each part read, split and projected on one worker
        with on(number):
            part = dask.delayed(_load, pure=False)(loader, number, argument, dask_key_name=f"part-{token}-{number}")
            split.append(dask.delayed(batch.split_buckets, pure=False, nout=buckets)(
                part, buckets, dask_key_name=f"split-{token}-{number}"))
            for_wide.append(part if wide_columns is None else dask.delayed(batch.columns, pure=False)(
                part, wide_columns, dask_key_name=f"wide-columns-{token}-{number}"))
        loaded.append(part)
    # the batch-wide screens (trader, targeting model) on the whole batch (only the columns they read travel),
    # while the buckets score the others
    wide = dask.delayed(batch.batch_wide_scores, pure=False, nout=buckets)(
        for_wide, engine_future, buckets, dask_key_name=f"batch-wide-{token}")
    signals = []
    for bucket in range(buckets):  # bucket j on worker j
        with on(bucket):
            scored = dask.delayed(_bucket_scores, pure=False)(
                engine_future, *[pieces[bucket] for pieces in split], dask_key_name=f"bucket-{token}-{bucket}")
            signals.append(dask.delayed(_bucket_signals, pure=False)(
                engine_future, scored, wide[bucket], dask_key_name=f"signals-{token}-{bucket}"))
    futures = client.compute(signals, retries=retries)
    try:
        gathered = client.gather(futures)
    finally:
        client.cancel(futures)
    return batch.select_gathered(pd.concat(gathered, ignore_index=True), engine)


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
