"""Out-of-time encodings: statistics of a key as known strictly before each row's date.

Every function here is pure (`DataFrame -> DataFrame`) and obeys the project's time rule: the value on a row
is computed only from rows with an earlier date. Rows of the same date never see each other (they are
decided together), a row never sees its own label, and a row whose label is unknown (NaN: not yet
inspected, or an evaluation row) counts as seen traffic but adds nothing to the label statistics.

So one call over `pd.concat([labelled_history, rows_to_score])`, with NaN labels on the rows to score, gives
training rows an expanding encoding and scoring rows the encoding as of their own date, without leakage.

Every statistic is a sum over earlier rows, so a history can be counted once: `key_totals(history, keys)` sums
it per key, and `out_of_time_stats(rows, keys, base=totals)` adds those sums to what each row sees among
`rows`. When every row of `rows` is dated after every row of the history, this equals one call over
`pd.concat([history, rows])` (counts exactly; sums of non-integer values up to rounding: they are summed
within each key, so that a long history of other keys costs no precision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def key_codes(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """One integer per distinct combination of `keys`; missing values form their own level."""
    if len(keys) == 1:
        return pd.factorize(frame[keys[0]], use_na_sentinel=False)[0]
    parts = [pd.factorize(frame[key], use_na_sentinel=False)[0].astype(np.int64) for key in keys]
    code = parts[0]
    for part in parts[1:]:
        code = code * (int(part.max()) + 1 if len(part) else 1) + part
        code = pd.factorize(code)[0].astype(np.int64)  # keep the numbers small
    return code


def _sums_of_earlier(values: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """For each value, the sum of the values before it in its run of equal `runs` (sorted), by doubling: every
    sum adds values of its own run only."""
    out = np.zeros(len(values))
    out[1:] = np.where(runs[1:] == runs[:-1], values[:-1], 0.0)
    step = 1
    while step < len(out):
        same = runs[step:] == runs[:-step]
        if not same.any():
            break
        out[step:] += np.where(same, out[:-step], 0.0)
        step *= 2
    return out


def key_name(keys: Sequence[str] | str) -> str:
    keys = [keys] if isinstance(keys, str) else list(keys)
    return "*".join(keys)


PRIOR = "_all"  # the key of the overall (prior) rate in `encoding_totals`


def _columns(frame: pd.DataFrame, label: str | None) -> dict[str, np.ndarray]:
    """What each row adds to the statistics of its key: one row seen, and its label when known."""
    out = {"seen": np.ones(len(frame))}
    if label is not None:
        y = frame[label].to_numpy(dtype=float)
        known = ~np.isnan(y)
        out["labelled"] = known.astype(float)
        out["positives"] = np.where(known, y, 0.0)
    return out


def key_totals(frame: pd.DataFrame, keys: Sequence[str] | str, *, label: str | None = None) -> pd.DataFrame:
    """The statistics of `out_of_time_stats` summed over every row of `frame`, per key: a frame indexed by the
    key values (missing values are a key of their own), columns `seen` and, with `label`, `labelled` and
    `positives`. It is what a row dated after all of `frame` sees; pass it as `base` to `out_of_time_stats`."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    stats = frame[keys].reset_index(drop=True).assign(**_columns(frame, label))
    return stats.groupby(keys, dropna=False, sort=False).sum()


def lookup_totals(totals: pd.DataFrame, frame: pd.DataFrame, keys: Sequence[str] | str,
                  columns: Sequence[str]) -> np.ndarray:
    """`columns` of `totals` (from `key_totals`) for each row of `frame` by its key, 0 for a key not in it."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    target = frame[keys[0]].to_numpy() if len(keys) == 1 else pd.MultiIndex.from_arrays([frame[k] for k in keys])
    at = totals.index.get_indexer(target)
    # a row of zeros after the last key: a key not in `totals` (position -1) reads it
    values = np.zeros((len(totals) + 1, len(columns)))
    values[:-1] = totals[list(columns)].to_numpy(dtype=float)
    return values[at]


def _days(dates: pd.Series) -> np.ndarray:
    return pd.to_datetime(dates).to_numpy().astype("datetime64[D]").astype(np.int64)


def _key_day_groups(code: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (key, day) groups of the rows, numbered in order of key, then day: each row's group, each group's key
    (numbered in order too) and the first group of each key."""
    span = int(day.max()) - int(day.min()) + 1
    pairs = span * (int(code.max()) + 1) if len(code) else 0
    if 0 < pairs <= 8 * len(code):  # few keys: a table of every (key, day) pair, no sort
        pair = code.astype(np.int64) * span + (day - day.min())
        present = np.bincount(pair, minlength=pairs) > 0
        group = (np.cumsum(present) - 1)[pair]
        group_key = np.flatnonzero(present) // span
    elif 0 < pairs < 2 ** 62:  # key and day as one number: one sort
        pair = code.astype(np.int64) * span + (day - day.min())
        groups, group = np.unique(pair, return_inverse=True)
        group_key = groups // span
    else:  # days too far apart (a missing date) to share one number with the key
        order = np.lexsort((day, code))
        code_s, day_s = code[order], day[order]
        new_group = np.ones(len(code), dtype=bool)
        new_group[1:] = (code_s[1:] != code_s[:-1]) | (day_s[1:] != day_s[:-1])
        group = np.empty(len(code), dtype=np.intp)
        group[order] = np.cumsum(new_group) - 1
        group_key = code_s[new_group]
    new_key = np.ones(len(group_key), dtype=bool)
    new_key[1:] = group_key[1:] != group_key[:-1]
    return group.reshape(-1), np.cumsum(new_key) - 1, np.flatnonzero(new_key)


def _sums_before(frame: pd.DataFrame, keys: list[str], day: np.ndarray, columns: dict[str, np.ndarray],
                 base: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """For each row, the sum of each of `columns` over the rows of the same key and a strictly earlier `day`,
    plus `base`."""
    n = len(frame)
    one_day = n == 0 or (day == day[0]).all()  # no row is earlier than another
    # one integer key (the coded keys of the features): its distinct values are looked up in `base`, not each row's
    coded = len(keys) == 1 and frame[keys[0]].dtype.kind in "iu" and not (one_day and base is None)
    if coded:
        code, uniques = pd.factorize(frame[keys[0]], use_na_sentinel=False)
    if one_day:
        out = {name: np.zeros(n) for name in columns}
    else:
        group, key_of_group, key_start = _key_day_groups(code if coded else key_codes(frame, keys), day)
        out = {}
        for name, values in columns.items():
            # each group's sum in row order (a group's rows are summed in the order they come)
            per_group = np.bincount(group, weights=values, minlength=len(key_of_group))
            whole = np.isfinite(per_group).all() and np.array_equal(per_group, np.round(per_group))
            if whole:  # whole numbers (counts, 0/1 labels): running sums over all keys at once are exact
                running = np.cumsum(per_group) - per_group
                running -= running[key_start][key_of_group]
            else:  # other values (prices): within each key, so that a long history costs a small key no precision
                running = _sums_of_earlier(per_group, key_of_group)
            out[name] = running[group]
    if base is not None:
        if coded:
            known = lookup_totals(base, pd.DataFrame({keys[0]: uniques}), keys, list(columns))
            out = {name: values + known[:, i][code] for i, (name, values) in enumerate(out.items())}
        else:
            known = lookup_totals(base, frame, keys, list(columns))
            out = {name: values + known[:, i] for i, (name, values) in enumerate(out.items())}
    return out


def out_of_time_stats(
    frame: pd.DataFrame,
    keys: Sequence[str] | str,
    *,
    date: str,
    label: str | None = None,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each row, what was known about its key strictly before the row's date.

    Returns a frame on the same index with columns `seen` (earlier rows with this key, labelled or not),
    and, when `label` is given, `labelled` (earlier rows with a known label) and `positives` (sum of
    their labels). `base` (from `key_totals`) holds statistics known before every row of `frame`: they are
    added to each row's by its key.
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    out = _sums_before(frame, keys, _days(frame[date]), _columns(frame, label), base)
    return pd.DataFrame(out, index=frame.index)


def out_of_time_target_encoding(
    frame: pd.DataFrame,
    keys_list: Sequence[Sequence[str] | str],
    *,
    date: str,
    label: str,
    smoothing: float = 20.0,
    prior: float | None = None,
    counts: bool = True,
    base: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Smoothed, out-of-time target rate of each key (or key combination) in `keys_list`.

    For a key with `labelled` earlier labelled rows of which `positives` were positive, the encoding is
    `(positives + smoothing * prior) / (labelled + smoothing)`, so an unseen key gets `prior`. By default the
    prior is itself out of time: the positive rate of all labelled rows before the row's date (0.5 before
    the first labelled date). Pass a number to fix it instead.

    Columns, per key `k` (names joined by `*`): `te:k` (the encoding), and with `counts`, `n:k` (earlier
    labelled rows) and `seen:k` (earlier rows, labelled or not).

    `base` (from `encoding_totals` of an earlier frame) adds statistics known before every row, per key name
    and for the prior.
    """
    return pd.DataFrame(target_encoding_columns(frame, keys_list, date=date, label=label, smoothing=smoothing,
                                                prior=prior, counts=counts, base=base), index=frame.index)


def target_encoding_columns(frame: pd.DataFrame, keys_list: Sequence[Sequence[str] | str], *, date: str, label: str,
                            smoothing: float = 20.0, prior: float | None = None, counts: bool = True,
                            base: Mapping[str, pd.DataFrame] | None = None) -> dict[str, np.ndarray]:
    """`out_of_time_target_encoding` as a dict of arrays (no frame of a hundred columns to build and take
    apart again)."""
    base = base or {}
    day, stats = _days(frame[date]), _columns(frame, label)
    if prior is None:
        overall = _sums_before(pd.DataFrame({PRIOR: np.zeros(len(frame), dtype=np.int64)}), [PRIOR], day, stats,
                               base.get(PRIOR))
        labelled_all = overall["labelled"]
        prior_values = np.where(labelled_all > 0, overall["positives"] / np.maximum(labelled_all, 1), 0.5)
    else:
        prior_values = np.full(len(frame), float(prior))
    columns: dict[str, np.ndarray] = {}
    for keys in keys_list:
        name = key_name(keys)
        known = _sums_before(frame, [keys] if isinstance(keys, str) else list(keys), day, stats, base.get(name))
        labelled = known["labelled"]
        columns[f"te:{name}"] = (known["positives"] + smoothing * prior_values) / (labelled + smoothing)
        if counts:
            columns[f"n:{name}"] = labelled
            columns[f"seen:{name}"] = known["seen"]
    return columns


def encoding_totals(frame: pd.DataFrame, keys_list: Sequence[Sequence[str] | str], *,
                    label: str) -> dict[str, pd.DataFrame]:
    """`key_totals` of every key of `keys_list` (by key name) and of the prior (`PRIOR`) over `frame`: the
    `base` that makes `out_of_time_target_encoding` of later rows count `frame` as their past."""
    totals = {key_name(keys): key_totals(frame, keys, label=label) for keys in keys_list}
    totals[PRIOR] = key_totals(frame.assign(**{PRIOR: 0}), PRIOR, label=label)
    return totals
