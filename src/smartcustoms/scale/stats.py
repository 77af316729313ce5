"""The history's summary statistics, computed per partition and combined exactly (pure: no database, no Dask).

Each statistic is a pair of functions: ``<name>_partial(partition, ...)`` computes what one partition holds, and
``combine_<name>(partials)`` merges the partials of any number of partitions, in any grouping, into exactly the
statistic of the whole history (tests/scale/test_stats.py checks combined == computed on the whole). What a
statistic needs decides how it combines:

- **counts and sums** (trader declarations and controls, route counts, target encodings): sums per key, the
  first-seen time a minimum; partials are small (one row per key) and are added up in any order.
- **order statistics** (the valuation screen's median, MAD and P10/P90 of log unit values per reference cell):
  not decomposable into sums. The partial is the partition's (cell, log unit value) rows and the combination
  an explicit **shuffle by cell**: every cell's values meet in one place (one task per group of cells on
  Dask), where the screen's own statistics are computed. The rows moved are 6 short columns per priced goods
  item, never the declarations.

What the risk engine's fit needs from the history, screen by screen:

- valuation: median, MAD, P10 and P90 of the log unit value per HS6 x origin / HS6 / HS4 / chapter (x unit):
  a shuffle by cell (`price_rows`, then `reference_tables`); `valuation_screen` builds the fitted screen.
- origin: items per origin x dispatch (`route_partial`, summed), per HS6 x origin overall and recent, mean duty
  rate per HS6 (sums); its switch check needs each importer's earlier (HS6, origin, time) rows, as of each
  declaration: row level, a shuffle by importer.
- classification: the (description, code) pair counts (sums); the text model is fitted on the distinct pairs,
  in one process (their number grows with the distinct wordings, not with the history's length).
- trader: per importer and declarant, declarations, first seen, controls and hits (`trader_partial`, sums and
  minima) as of a date after the history; as of each declaration within a batch: a shuffle by importer.
- targeting model: out-of-time target encodings per key (`encoding_partial`, sums of
  `targeting.encoding.key_totals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from smartcustoms.risk.valuation import (
    LEVELS,
    ValuationScreen,
    _Keys,
    adjusted_declarations,
    number,
    rows_before,
    without,
)
from smartcustoms.targeting.encoding import key_totals

_LEVEL_KEYS = {"hs6xorigin": ["hs6", "origin_country", "quantity_unit"], "hs6": ["hs6", "quantity_unit"],
               "hs4": ["hs4", "quantity_unit"], "chapter": ["chapter", "quantity_unit"]}
PRICE_COLUMNS = ["hs6", "hs4", "chapter", "origin_country", "quantity_unit", "log_uv"]


# --- reference prices (valuation): rows per partition, shuffled by cell ----------------------------------------
def price_rows(partition: pd.DataFrame, adjusted: pd.Index, as_of=None) -> pd.DataFrame:
    """The (cell, log unit value) rows the valuation screen learns from, for one partition: items accepted before
    `as_of`, of declarations not adjusted by a control (`adjusted`: `valuation.adjusted_declarations` of the
    outcomes), with a finite unit value and an HS6 and unit. The same rows as `ValuationScreen.fit`."""
    history = partition.loc[rows_before(partition, as_of) & without(partition, adjusted)]
    if history.empty:
        return pd.DataFrame({name: pd.Series([], dtype=object if name != "log_uv" else float)
                             for name in PRICE_COLUMNS})
    inverse, cells = _Keys(history).cells()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_uv = np.log(number(history, "customs_value") / number(history, "quantity"))
    cells = pd.DataFrame({name: pd.Series(cells[name], dtype=object) for name in ("hs6", "hs4", "chapter")}
                         | {name: cells[name] for name in ("origin_country", "quantity_unit")})
    data = cells.iloc[inverse].reset_index(drop=True)
    data["log_uv"] = log_uv
    return data[np.isfinite(log_uv) & data["hs6"].notna().to_numpy() & data["quantity_unit"].notna().to_numpy()
                ].reset_index(drop=True)


def reference_table(rows: pd.DataFrame, level: str, screen: ValuationScreen | None = None) -> pd.DataFrame:
    """One level's reference statistics (n, median, mad, p_low, p_high per cell) from price rows that hold every
    row of each of their cells (after the shuffle by cell): the screen's own computation."""
    screen = screen or ValuationScreen()
    keys = _LEVEL_KEYS[level]
    return screen._table(rows.dropna(subset=keys), keys)


def cell_bucket(rows: pd.DataFrame, level: str, buckets: int) -> np.ndarray:
    """The shuffle's destination of each price row: a hash of its cell at `level`, modulo `buckets`."""
    keys = rows[_LEVEL_KEYS[level]].astype(str)
    return (pd.util.hash_pandas_object(keys, index=False).to_numpy() % np.uint64(max(buckets, 1))).astype(np.int64)


def reference_tables(partials: Iterable[pd.DataFrame], screen: ValuationScreen | None = None,
                     buckets: int = 8) -> dict[str, pd.DataFrame]:
    """Every level's reference table from the price rows of the partitions: shuffled by cell into `buckets`
    groups (each cell lands whole in one), computed per group, concatenated. Equal to
    `ValuationScreen.fit(whole history).references_`."""
    partials = [p for p in partials if len(p)]
    screen = screen or ValuationScreen()
    out = {}
    for level in LEVELS:
        groups: dict[int, list[pd.DataFrame]] = {}
        for part in partials:
            bucket = cell_bucket(part, level, buckets)
            for b in np.unique(bucket):
                groups.setdefault(int(b), []).append(part[bucket == b])
        tables = [reference_table(pd.concat(rows, ignore_index=True), level, screen) for rows in groups.values()]
        tables = [t for t in tables if len(t)]
        out[level] = (pd.concat(tables).sort_index() if tables
                      else reference_table(pd.DataFrame(columns=PRICE_COLUMNS), level, screen))
    return out


def valuation_screen(tables: dict[str, pd.DataFrame], screen: ValuationScreen | None = None,
                     as_of=None) -> ValuationScreen:
    """A fitted ValuationScreen from reference tables computed per partition (`reference_tables`)."""
    screen = screen or ValuationScreen()
    screen.references_ = tables
    screen.reference_rows_ = {level: dict(zip(table.index, range(len(table)))) for level, table in tables.items()}
    screen.reference_stats_ = {level: table[["n", "median", "mad", "p_low", "p_high"]].to_numpy(dtype=float)
                               for level, table in tables.items()}
    screen.n_reference_rows_ = int(tables["chapter"]["n"].sum()) if len(tables.get("chapter", [])) else 0
    screen.n_excluded_declarations_ = None
    screen.as_of_ = None if as_of is None else pd.Timestamp(as_of)
    return screen


# --- route counts (origin screen) ------------------------------------------------------------------------------
def route_partial(partition: pd.DataFrame, false_origin: pd.Index, as_of=None) -> pd.Series:
    """Items per (origin, dispatch) of one partition, as the origin screen counts them (before `as_of`, without
    declarations found with a false origin)."""
    rows = partition.loc[rows_before(partition, as_of) & without(partition, false_origin)]
    origin = rows["origin_country"].astype("str").str.strip().str.upper()
    dispatch = rows["dispatch_country"].astype("str").str.strip().str.upper()
    keep = rows["origin_country"].notna().to_numpy() & rows["dispatch_country"].notna().to_numpy() \
        & (origin != "").to_numpy() & (dispatch != "").to_numpy()
    return pd.Series(1, index=pd.MultiIndex.from_arrays([origin[keep].to_numpy(dtype=object),
                                                         dispatch[keep].to_numpy(dtype=object)],
                                                        names=["origin", "dispatch"])).groupby(level=[0, 1]).sum()


def combine_counts(partials: Iterable[pd.Series | pd.DataFrame]):
    """Sum partials (Series or DataFrames of counts indexed by key) key by key."""
    partials = [p for p in partials if len(p)]
    if not partials:
        return pd.Series(dtype=np.int64)
    joined = pd.concat(partials)
    return joined.groupby(level=list(range(joined.index.nlevels))).sum().sort_index()


# --- trader counts ---------------------------------------------------------------------------------------------
TRADER_COLUMNS = ["declarations", "first_seen", "last_seen", "controls", "hits"]


def trader_partial(partition: pd.DataFrame, outcomes: pd.DataFrame, party: str = "importer_id",
                   as_of=None) -> pd.DataFrame:
    """Per trader (importer_id or declarant_id) of one partition: declarations accepted before `as_of`, first and
    last acceptance, and the controls of those declarations inspected before `as_of` with their hits."""
    heads = partition.drop_duplicates("declaration_id")
    heads = heads.loc[rows_before(heads, as_of)]
    when = pd.to_datetime(heads["acceptance_datetime"])
    per = pd.DataFrame({"party": heads[party].to_numpy(dtype=object), "when": when.to_numpy()})
    grouped = per.groupby("party")["when"]
    out = pd.DataFrame({"declarations": grouped.size(), "first_seen": grouped.min(), "last_seen": grouped.max()})
    controls = outcomes[outcomes["declaration_id"].isin(heads["declaration_id"])]
    if as_of is not None:
        controls = controls[pd.to_datetime(controls["inspection_date"]) < pd.Timestamp(as_of)]
    controls = controls.merge(heads[["declaration_id", party]], on="declaration_id")
    hit = (controls["result"].astype(str) == "discrepancy").astype(np.int64)
    by = pd.DataFrame({"party": controls[party].to_numpy(dtype=object), "hit": hit.to_numpy()}).groupby("party")
    out["controls"] = by.size().reindex(out.index).fillna(0).astype(np.int64)
    out["hits"] = by["hit"].sum().reindex(out.index).fillna(0).astype(np.int64)
    out.index.name = party
    return out[TRADER_COLUMNS]


def combine_traders(partials: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Trader counts of the whole history: sums of declarations, controls and hits, minimum of first seen and
    maximum of last seen."""
    partials = [p for p in partials if len(p)]
    if not partials:
        return pd.DataFrame(columns=TRADER_COLUMNS)
    joined = pd.concat(partials)
    grouped = joined.groupby(level=0)
    out = pd.DataFrame({"declarations": grouped["declarations"].sum(), "first_seen": grouped["first_seen"].min(),
                        "last_seen": grouped["last_seen"].max(), "controls": grouped["controls"].sum(),
                        "hits": grouped["hits"].sum()})
    out.index.name = joined.index.name
    return out.sort_index()


# --- target encodings as of a date -----------------------------------------------------------------------------
def encoding_partial(partition: pd.DataFrame, outcomes: pd.DataFrame, keys: Sequence[str] | str,
                     as_of) -> pd.DataFrame:
    """`targeting.encoding.key_totals` of one partition's declarations accepted before `as_of`, labelled by
    their controls inspected before `as_of` (1 discrepancy, 0 none, NaN not controlled): per key, `seen`,
    `labelled` and `positives`. Summed over partitions (`combine_counts`) it is the whole history's, and a
    smoothed rate as of `as_of` follows (`encoded_rate`)."""
    heads = partition.drop_duplicates("declaration_id")
    heads = heads.loc[rows_before(heads, as_of)]
    controls = outcomes[pd.to_datetime(outcomes["inspection_date"]) < pd.Timestamp(as_of)]
    label = (controls.assign(hit=(controls["result"].astype(str) == "discrepancy").astype(float))
             .groupby("declaration_id")["hit"].max())
    frame = heads.assign(label=heads["declaration_id"].map(label).astype(float))
    return key_totals(frame, keys, label="label")


def encoded_rate(totals: pd.DataFrame, smoothing: float = 10.0) -> pd.Series:
    """Smoothed positive rate per key as of the date of the totals: (positives + s x prior) / (labelled + s),
    prior = the overall rate."""
    labelled, positives = totals["labelled"].sum(), totals["positives"].sum()
    prior = positives / labelled if labelled else 0.5
    return (totals["positives"] + smoothing * prior) / (totals["labelled"] + smoothing)


__all__ = ["price_rows", "reference_table", "reference_tables", "valuation_screen", "route_partial",
           "combine_counts", "trader_partial", "combine_traders", "encoding_partial", "encoded_rate",
           "adjusted_declarations"]
