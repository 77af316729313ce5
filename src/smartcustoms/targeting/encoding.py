"""Out-of-time encodings: statistics of a key as known strictly before each row's date.

Every function here is pure (`DataFrame -> DataFrame`) and obeys the project's time rule: the value on a row
is computed only from rows with an earlier date. Rows of the same date never see each other (they are
decided together), a row never sees its own label, and a row whose label is unknown (NaN: not yet
inspected, or an evaluation row) counts as seen traffic but adds nothing to the label statistics.

So one call over `pd.concat([labelled_history, rows_to_score])`, with NaN labels on the rows to score, gives
training rows an expanding encoding and scoring rows the encoding as of their own date, without leakage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def _key_codes(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """One integer per distinct combination of `keys`; missing values form their own level."""
    if len(keys) == 1:
        return pd.factorize(frame[keys[0]], use_na_sentinel=False)[0]
    parts = [pd.factorize(frame[key], use_na_sentinel=False)[0].astype(np.int64) for key in keys]
    code = parts[0]
    for part in parts[1:]:
        code = code * (int(part.max()) + 1 if len(part) else 1) + part
        code = pd.factorize(code)[0].astype(np.int64)  # keep the numbers small
    return code


def key_name(keys: Sequence[str] | str) -> str:
    keys = [keys] if isinstance(keys, str) else list(keys)
    return "*".join(keys)


def out_of_time_stats(
    frame: pd.DataFrame,
    keys: Sequence[str] | str,
    *,
    date: str,
    label: str | None = None,
) -> pd.DataFrame:
    """For each row, what was known about its key strictly before the row's date.

    Returns a frame on the same index with columns `seen` (earlier rows with this key, labelled or not),
    and, when `label` is given, `labelled` (earlier rows with a known label) and `positives` (sum of
    their labels).
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    n = len(frame)
    code = _key_codes(frame, keys)
    day = pd.to_datetime(frame[date]).to_numpy().astype("datetime64[D]").astype(np.int64)
    y = None if label is None else frame[label].to_numpy(dtype=float)

    order = np.lexsort((day, code))  # by key, then date
    code_s, day_s = code[order], day[order]
    # boundaries of (key, date) groups in sorted order
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (code_s[1:] != code_s[:-1]) | (day_s[1:] != day_s[:-1])
    group = np.cumsum(new_group) - 1
    new_key = np.ones(n, dtype=bool)
    new_key[1:] = code_s[1:] != code_s[:-1]

    def before(values_s: np.ndarray) -> np.ndarray:
        """Sum of `values_s` over rows of the same key and a strictly earlier date."""
        per_group = np.bincount(group, weights=values_s, minlength=group[-1] + 1 if n else 0)
        running = np.cumsum(per_group) - per_group  # sum over all earlier groups
        key_start_group = group[new_key]  # first group of each key run
        key_of_row = np.cumsum(new_key) - 1
        offset = running[key_start_group][key_of_row]  # what belongs to earlier keys
        return running[group] - offset

    out = {"seen": before(np.ones(n))}
    if y is not None:
        known = ~np.isnan(y[order])
        out["labelled"] = before(known.astype(float))
        out["positives"] = before(np.where(known, y[order], 0.0))
    result = np.empty((n, len(out)))
    for i, values in enumerate(out.values()):
        result[order, i] = values
    return pd.DataFrame(result, index=frame.index, columns=list(out))


def out_of_time_target_encoding(
    frame: pd.DataFrame,
    keys_list: Sequence[Sequence[str] | str],
    *,
    date: str,
    label: str,
    smoothing: float = 20.0,
    prior: float | None = None,
    counts: bool = True,
) -> pd.DataFrame:
    """Smoothed, out-of-time target rate of each key (or key combination) in `keys_list`.

    For a key with `labelled` earlier labelled rows of which `positives` were positive, the encoding is
    `(positives + smoothing * prior) / (labelled + smoothing)`, so an unseen key gets `prior`. By default the
    prior is itself out of time: the positive rate of all labelled rows before the row's date (0.5 before
    the first labelled date). Pass a number to fix it instead.

    Columns, per key `k` (names joined by `*`): `te:k` (the encoding), and with `counts`, `n:k` (earlier
    labelled rows) and `seen:k` (earlier rows, labelled or not).
    """
    if prior is None:
        overall = out_of_time_stats(frame.assign(_all=0), "_all", date=date, label=label)
        labelled_all = overall["labelled"].to_numpy()
        prior_values = np.where(labelled_all > 0, overall["positives"].to_numpy() / np.maximum(labelled_all, 1), 0.5)
    else:
        prior_values = np.full(len(frame), float(prior))
    columns: dict[str, np.ndarray] = {}
    for keys in keys_list:
        name = key_name(keys)
        stats = out_of_time_stats(frame, keys, date=date, label=label)
        labelled = stats["labelled"].to_numpy()
        columns[f"te:{name}"] = (stats["positives"].to_numpy() + smoothing * prior_values) / (labelled + smoothing)
        if counts:
            columns[f"n:{name}"] = labelled
            columns[f"seen:{name}"] = stats["seen"].to_numpy()
    return pd.DataFrame(columns, index=frame.index)
