"""How good is a screen? Capture at an inspection budget, measured against a ground truth.

Screens score goods items; an officer controls declarations. ``to_declarations`` folds item scores into one row
per declaration (the highest item score, the summed duty at risk), and ``capture_at_budget`` tells what the top
n % of declarations by score would have caught: precision and recall per fraud type and the duty at stake
captured. The truth frame is for evaluation only: nothing here feeds back into a screen.
"""

from collections.abc import Iterable

import numpy as np
import pandas as pd

DEFAULT_BUDGETS = (0.01, 0.02, 0.05, 0.10)


def to_declarations(frame: pd.DataFrame, screened: pd.DataFrame, name: str) -> pd.DataFrame:
    """One row per declaration (index ``declaration_id``): ``<name>_score`` = the highest item score (NaN only
    when no item could be checked), ``<name>_duty_at_risk`` = the summed item duty at risk.

    ``frame`` is the declarations frame that was scored, ``screened`` the screen's output (same index).
    """
    score, duty = f"{name}_score", f"{name}_duty_at_risk"
    parts = pd.DataFrame(
        {
            "declaration_id": frame["declaration_id"].to_numpy(),
            score: screened[score].to_numpy(dtype=float),
            duty: screened[duty].to_numpy(dtype=float),
        }
    )
    grouped = parts.groupby("declaration_id", sort=False)
    return pd.DataFrame({score: grouped[score].max(), duty: grouped[duty].sum(min_count=1).fillna(0.0)})


def top_share(scores: pd.Series, budget: float, tiebreak: pd.Series | None = None) -> pd.Index:
    """The labels of the ``round(budget x len(scores))`` highest scores (NaN last; ties broken by ``tiebreak``,
    e.g. the duty at risk, then by position)."""
    n = int(round(budget * len(scores)))
    values = scores.to_numpy(dtype=float)
    keys = [np.arange(len(values))]
    if tiebreak is not None:
        keys.append(-np.nan_to_num(tiebreak.reindex(scores.index).to_numpy(dtype=float), nan=-np.inf))
    keys.append(-np.nan_to_num(values, nan=-np.inf))
    order = np.lexsort(keys)
    return scores.index[order[:n]]


def capture_at_budget(
    scores: pd.Series,
    truth: pd.DataFrame,
    budgets: Iterable[float] = DEFAULT_BUDGETS,
    tiebreak: pd.Series | None = None,
) -> pd.DataFrame:
    """What selecting the top n % of declarations by score would catch.

    ``scores``: one score per declaration, indexed by declaration_id (see ``to_declarations``); the population
    is exactly these declarations. ``truth``: declaration_id, fraud_type ("none" for honest) and duty_at_stake.

    Returns one row per (budget, fraud_type), fraud_type "any" for all fraud together, with columns: budget,
    fraud_type, selected (declarations selected), frauds (of that type in the population), hits (selected and
    of that type), precision (hits / selected), recall (hits / frauds), duty_at_stake (total of that type),
    duty_captured (the duty at stake of the hits) and duty_share (duty_captured / duty_at_stake).
    """
    known = truth.set_index("declaration_id").reindex(scores.index)
    fraud_type = known["fraud_type"].fillna("none").astype(str).to_numpy()
    stake = known["duty_at_stake"].fillna(0.0).to_numpy(dtype=float)
    types = ["any"] + sorted(set(fraud_type) - {"none"})
    masks = {kind: (fraud_type != "none") if kind == "any" else (fraud_type == kind) for kind in types}
    position = pd.Series(np.arange(len(scores)), index=scores.index)
    rows = []
    for budget in budgets:
        chosen = np.zeros(len(scores), dtype=bool)
        chosen[position.loc[top_share(scores, budget, tiebreak)].to_numpy()] = True
        selected = int(chosen.sum())
        for kind, mask in masks.items():
            hits = int((chosen & mask).sum())
            frauds = int(mask.sum())
            total = float(stake[mask].sum())
            captured = float(stake[chosen & mask].sum())
            rows.append(
                {
                    "budget": budget,
                    "fraud_type": kind,
                    "selected": selected,
                    "frauds": frauds,
                    "hits": hits,
                    "precision": hits / selected if selected else np.nan,
                    "recall": hits / frauds if frauds else np.nan,
                    "duty_at_stake": total,
                    "duty_captured": captured,
                    "duty_share": captured / total if total else np.nan,
                }
            )
    return pd.DataFrame(rows)
