"""Exploration valued in duty: which declarations a share of a control budget goes to when the model is unsure.

`explore_value(scores, budget, share)` keeps the model's ranking for ``1 - share`` of the budget (the exploit
head: the same declarations exploit-only would take first) and gives the rest to the declarations, among those the
head leaves out, with the highest **optimistic expected duty**::

    value = upper(p) x revenue_if_fraud,   upper(p) = min(1, p + bonus x sqrt(p (1 - p) / (1 + n)))

p being the model's calibrated p(fraud), ``revenue_if_fraud`` its estimate of the duty recoverable if there is a
fraud, and n the earlier controls of the importer or the HS6 subheading (the fewer of the two): the standard error
of a rate estimated from n outcomes, so a declaration of a trader or a product the learner has hardly controlled is
taken at what it might be, one it knows well at what it is (optimism in the face of uncertainty, as the
DATE/gATE line of customs fraud research gives part of the inspections to what the model is unsure of, valued by
the revenue at stake). A control then buys a label where it teaches most *and* where a fraud found would pay most.
With ``safe=True`` (conservative exploration, the online simulation's default), a declaration explored replaces
one of exploit's last picks only where the model expects at least as much duty from it.

Pure: DataFrames in and out, no database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _column(scores: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in scores:
        return np.full(len(scores), default)
    return np.nan_to_num(scores[name].to_numpy(dtype=float), nan=default)


def exploration_value(scores: pd.DataFrame, bonus: float = 1.0) -> np.ndarray:
    """Per row of `scores` (``p_fraud``, ``revenue_if_fraud``, ``controls_importer``, ``controls_hs6``): the
    optimistic expected duty ``upper(p) x revenue_if_fraud`` (see the module docstring)."""
    p = np.clip(_column(scores, "p_fraud", 0.0), 0.0, 1.0)
    revenue = np.clip(_column(scores, "revenue_if_fraud", 0.0), 0.0, None)
    controls = np.fmin(_column(scores, "controls_importer", 0.0), _column(scores, "controls_hs6", 0.0))
    upper = np.minimum(1.0, p + bonus * np.sqrt(p * (1.0 - p) / (1.0 + np.clip(controls, 0.0, None))))
    return upper * revenue


def explore_value(scores: pd.DataFrame, budget: int, share: float, bonus: float = 1.0,
                  safe: bool = False) -> pd.DataFrame:
    """Choose `budget` rows of `scores`: the top ``budget - round(budget x share)`` by ``score`` (the exploit
    head), and the rest by the highest `exploration_value` among the others. With `safe` (conservative
    exploration), a declaration explored takes the place of one of exploit's last picks only where the model
    expects at least as much duty from it (``p x revenue_if_fraud``), so that exploring never lowers the duty
    the week is expected to recover; the places no such declaration takes stay exploit's. Returns `scores` with
    ``selected`` (bool) and ``selection`` ("score" | "exploration" | "")."""
    if not 0.0 <= share <= 1.0:
        raise ValueError("share must be in [0, 1]")
    n = len(scores)
    k = max(0, min(int(budget), n))
    k_explore = int(round(k * share))
    order = np.argsort(-scores["score"].to_numpy(dtype=float), kind="stable")
    selection = np.full(n, "", dtype=object)
    selection[order[:k - k_explore]] = "score"
    rest = order[k - k_explore:]
    if k_explore and len(rest):
        value = exploration_value(scores.iloc[rest], bonus)
        ranked = rest[np.argsort(-value, kind="stable")]
        if not safe:
            selection[ranked[:k_explore]] = "exploration"
        else:
            last = order[k - k_explore:k]
            explored, replaced = _safe_swaps(scores, last, ranked[~np.isin(ranked, last)])
            selection[explored] = "exploration"
            selection[np.setdiff1d(last, replaced)] = "score"
    out = scores.copy()
    out["selected"] = selection != ""
    out["selection"] = selection
    return out


def _safe_swaps(scores: pd.DataFrame, last: np.ndarray, ranked: np.ndarray) -> tuple[list[int], list[int]]:
    """(explored, replaced): the rows of `ranked` (by exploration value) that take the places of exploit's `last`
    picks, each in turn replacing the last pick of lowest expected duty left if it is expected to bring at least as
    much, and the picks they replace."""
    expected = _column(scores, "p_fraud", 0.0) * np.clip(_column(scores, "revenue_if_fraud", 0.0), 0.0, None)
    places = sorted(last.tolist(), key=lambda i: expected[i])  # the cheapest to give up first
    explored: list[int] = []
    for row in ranked:
        if len(explored) == len(places):
            break
        if expected[row] >= expected[places[len(explored)]]:
            explored.append(int(row))
    return explored, places[:len(explored)]
