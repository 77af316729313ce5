"""Batch assessment by partitions: the functions a distributed engine maps over the partitions of a batch (pure:
pandas in, pandas out; the same functions run in one process for the local engine's comparison).

The risk engine's assessment splits in two (`risk.assess.risk_signals`, then `selectivity.select`):

1. **Signals, per partition, after a shuffle by importer.** Two screens look at earlier rows of the batch
   itself, as of each declaration, keyed by the importer: the trader screen's own counts (the importer's
   earlier declarations and their controls) and the origin screen's switch check (the importer's earlier
   HS6 x origin rows). So the batch is shuffled by a hash of `importer_id` into buckets: a bucket holds every row
   of its importers, and scoring it alone gives each row what scoring the whole batch gives it. Two screens also
   count other importers' rows (`BATCH_WIDE`): the trader screen's overall prior (the known controls of every
   earlier declaration) and the targeting model's features (the batch's earlier declarations of the same
   declarant, route, commodity...). They are scored on the whole batch in one task, in parallel with the
   buckets, and their scores are split by bucket (`batch_wide_scores`, `Given`). The other screens and the
   profiles look at one row or one declaration, which a bucket holds whole.
2. **Selectivity, on the gathered signals, in batch order** (`risk.assess.decide`). The capacity of an office per
   day and lane, and
   every (k+1)-th unselected hit of a profile, depend on the order of the whole batch: one row per
   declaration of signals (numbers and short texts) is gathered, put back in batch order and selected in one
   call. This step holds the batch's signals, never the history.

Batch order: a declaration's position is that of its first goods item in the batch (partition number x 2**32
+ row within the partition), kept in the column ``_batch_order`` through the shuffle.

The trader screen's overall prior counts the known controls of every earlier batch declaration: it is a
batch-wide screen, so `check_no_early_outcomes` (which counted the controls that made a bucket's prior differ
before) now only describes the batch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from smartcustoms.frames import first_rows
from smartcustoms.risk.assess import RiskEngine, decide, risk_signals

ORDER = "_batch_order"
# screens whose score of a declaration depends on rows of other importers of the batch: scored on the whole batch
# at once. The trader screen's overall prior counts the controls already known of every earlier declaration of
# the batch (a batch of past traffic that has outcomes); the targeting model's features count, as of each
# declaration, the batch's earlier declarations of the same declarant, route, commodity, office...
BATCH_WIDE = ("trader", "model")
# the columns a batch-wide screen reads (None: any), so that only those travel to the batch-wide task; a column
# left out here shows in the equivalence tests (the trader screen's duty at risk needs value and rate)
BATCH_WIDE_COLUMNS = {"trader": ("declaration_id", "acceptance_datetime", "importer_id", "declarant_id",
                                 "customs_value", "duty_rate"), "model": None}
BUCKET = "_bucket"
_SHIFT = np.int64(2**32)


def with_order(frame: pd.DataFrame, partition_number: int) -> pd.DataFrame:
    """`frame` with its rows' batch positions (partition number x 2**32 + row) in ``_batch_order``."""
    order = np.int64(partition_number) * _SHIFT + np.arange(len(frame), dtype=np.int64)
    return frame.reset_index(drop=True).assign(**{ORDER: order})


def importer_buckets(frame: pd.DataFrame, buckets: int) -> np.ndarray:
    """The bucket of each row: a hash of its importer ID modulo `buckets` (a missing importer is one key)."""
    importer = frame["importer_id"].astype(object).where(frame["importer_id"].notna(), "")
    hashed = pd.util.hash_array(importer.astype(str).to_numpy(dtype=object))
    return (hashed % np.uint64(max(int(buckets), 1))).astype(np.int64)


def with_buckets(frame: pd.DataFrame, buckets: int) -> pd.DataFrame:
    return frame.assign(**{BUCKET: importer_buckets(frame, buckets)})


def split_buckets(frame: pd.DataFrame, buckets: int) -> tuple[pd.DataFrame, ...]:
    """The rows of `frame` in each of `buckets` importer buckets (in their order within `frame`)."""
    if buckets <= 1:
        return (frame,)
    bucket = importer_buckets(frame, buckets)
    return tuple(frame.iloc[np.flatnonzero(bucket == number)] for number in range(buckets))


class Given:
    """A screen whose item scores were computed beforehand (on the whole batch, or earlier in the bucket's task):
    `score` returns them for the same rows, in the same order."""

    def __init__(self, scores: pd.DataFrame):
        self.scores = scores

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) != len(self.scores):
            raise ValueError(f"given scores for {len(self.scores)} rows, asked for {len(frame)}")
        return self.scores.set_axis(frame.index)


def _screened(frame: pd.DataFrame) -> pd.DataFrame:
    """The batch's rows as the screens see them: without the bookkeeping columns, numbered from 0."""
    return frame.drop(columns=[c for c in (ORDER, BUCKET) if c in frame.columns]).reset_index(drop=True)


def bucket_frame(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """One bucket's rows from its pieces of every part, in batch order (``ORDER`` kept)."""
    frame = pd.concat(pieces, ignore_index=True) if len(pieces) != 1 else pieces[0]
    if ORDER in frame and len(frame):
        frame = frame.sort_values(ORDER, kind="stable")
    return frame.reset_index(drop=True)


def screen_scores(frame: pd.DataFrame, engine: RiskEngine, names) -> dict[str, pd.DataFrame]:
    """The item scores of the engine's screens `names` on `frame` (rows in batch order)."""
    plain = _screened(frame)
    return {name: engine.screens[name].score(plain).reset_index(drop=True) for name in names
            if name in engine.screens}


def batch_wide_columns(engine: RiskEngine) -> list[str] | None:
    """The columns the engine's batch-wide screens read, with the batch order (None: every column)."""
    wanted = [BATCH_WIDE_COLUMNS.get(name) for name in BATCH_WIDE if name in engine.screens]
    if any(names is None for names in wanted):
        return None
    return list(dict.fromkeys([ORDER, "importer_id", *[c for names in wanted for c in names]]))


def columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return frame[[c for c in names if c in frame.columns]]


def batch_wide_scores(parts: list[pd.DataFrame], engine: RiskEngine, buckets: int) -> tuple[dict, ...]:
    """The scores of the batch-wide screens (`BATCH_WIDE`) on the whole batch (its parts in batch order), split
    by importer bucket: for each bucket, screen name -> its rows' scores, in batch order."""
    names = [name for name in BATCH_WIDE if name in engine.screens]
    if not names:
        return tuple({} for _ in range(max(buckets, 1)))
    frame = bucket_frame(list(parts))
    scores = screen_scores(frame, engine, names)
    if buckets <= 1:
        return (scores,)
    bucket = importer_buckets(frame, buckets)
    rows = [np.flatnonzero(bucket == number) for number in range(buckets)]
    return tuple({name: part.take(at).reset_index(drop=True) for name, part in scores.items()} for at in rows)


def partition_signals(partition: pd.DataFrame, engine: RiskEngine, given: dict | None = None) -> pd.DataFrame:
    """The risk signals (one row per declaration) of one bucket of a batch, with each declaration's batch
    position. The bucket's rows are first put in batch order; `given` holds screens' scores computed beforehand
    for these rows in that order (the batch-wide screens', see `batch_wide_scores`)."""
    partition = bucket_frame([partition])
    order = (partition[ORDER].to_numpy(dtype=np.int64) if ORDER in partition
             else np.arange(len(partition), dtype=np.int64))
    frame = _screened(partition)
    if given:
        engine = replace(engine, screens={name: Given(given[name]) if name in given else screen
                                          for name, screen in engine.screens.items()})
    signals = risk_signals(frame, engine)
    if frame.empty:
        return signals.assign(**{ORDER: np.zeros(0, dtype=np.int64)})
    return signals.assign(**{ORDER: order[first_rows(frame["declaration_id"])]})


def select_gathered(signals: pd.DataFrame, engine: RiskEngine) -> pd.DataFrame:
    """Lanes for the gathered signals of every bucket: put back in batch order, then decided in one call
    (`risk.assess.decide`: the learned combination when the engine has one, then selectivity)."""
    ordered = signals.sort_values(ORDER, kind="stable").drop(columns=[ORDER]).reset_index(drop=True)
    return decide(ordered, engine)


def assess_in_buckets(frame: pd.DataFrame, engine: RiskEngine, buckets: int) -> pd.DataFrame:
    """The distributed engine's computation in one process: the batch-wide screens on the whole batch, then the
    shuffle by importer into `buckets`, signals per bucket, selectivity on the gathered signals. Equal to
    `assess(frame, engine)` row for row."""
    frame = with_order(frame, 0)
    wide = batch_wide_scores([frame], engine, buckets)
    parts = [partition_signals(rows, engine, wide[number])
             for number, rows in enumerate(split_buckets(frame, buckets))]
    return select_gathered(pd.concat(parts, ignore_index=True), engine)


def check_no_early_outcomes(frame: pd.DataFrame, outcomes: pd.DataFrame | None) -> int:
    """How many controls of the batch's declarations were inspected before the batch's first acceptance (see the
    module's known limit): 0 means the bucketed assessment equals the whole-batch one."""
    if outcomes is None or outcomes.empty or frame.empty:
        return 0
    start = pd.to_datetime(frame["acceptance_datetime"]).min()
    mine = outcomes["declaration_id"].isin(frame["declaration_id"])
    return int((mine & (pd.to_datetime(outcomes["inspection_date"]) < start)).sum())


def _plain(value):
    """None for every kind of missing value, so that None, NaN and pd.NA compare equal."""
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    return value


def differences(left: pd.DataFrame, right: pd.DataFrame, rtol: float = 0.0, atol: float = 0.0) -> dict[str, int]:
    """Per column, how many rows of two decision frames differ: texts, lanes and flags exactly (any missing value
    equals any other), numbers exactly by default (NaN equals NaN), or within a relative `rtol` or an absolute
    `atol` when given. Empty: the same decisions row for row. The bucketed assessment is exact: every sum a
    screen adds up over earlier rows is added within its own key (importer, importer x HS6) in a stable order,
    so that splitting the batch by importer does not change a bit."""
    if list(left.columns) != list(right.columns):
        return {"<columns>": abs(len(left.columns) - len(right.columns)) or 1}
    if len(left) != len(right):
        return {"<rows>": abs(len(left) - len(right))}
    out = {}
    for name in left.columns:
        a, b = left[name], right[name]
        if a.dtype.kind in "fiu" and b.dtype.kind in "fiu":
            same = np.isclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), rtol=rtol, atol=atol, equal_nan=True)
        else:
            same = np.array([_plain(x) == _plain(y) for x, y in zip(a.tolist(), b.tolist())], dtype=bool)
        if not same.all():
            out[name] = int((~same).sum())
    return out
