"""Population drift of model inputs and scores: the population stability index (PSI).

``PSI = sum over bins of (a - e) * ln(a / e)``, where e and a are the shares of the expected (training) and
actual (recent) values in each bin. Bins are the quantiles of the expected values (``bins`` of them; tied
quantiles merge, so a feature with few distinct values gets fewer bins); actual values outside the expected
range fall into the first or last bin. Missing values (NaN) form a bin of their own. An empty bin counts as a
share of ``EPSILON`` so the logarithm stays finite.

Reading (the usual rule of thumb): PSI < 0.1 no drift, 0.1 to 0.25 moderate drift, >= 0.25 significant drift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartcustoms.targeting.features import feature_columns

EPSILON = 1e-4
MODERATE = 0.1
SIGNIFICANT = 0.25


def _shares(values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Shares of `values` in the bins cut at `inner_edges`, with a last slot for NaN."""
    missing = np.isnan(values)
    counts = np.bincount(np.searchsorted(inner_edges, values[~missing], side="right"),
                         minlength=len(inner_edges) + 1).astype(float)
    counts = np.append(counts, missing.sum())
    return counts / max(len(values), 1)


def population_stability_index(expected, actual, bins: int = 10) -> float:
    """PSI of `actual` against `expected` (1-d numbers), over quantile bins of `expected` (see the module)."""
    expected = np.asarray(expected, dtype=float).ravel()
    actual = np.asarray(actual, dtype=float).ravel()
    if len(expected) == 0 or len(actual) == 0:
        raise ValueError("PSI needs values on both sides")
    known = expected[~np.isnan(expected)]
    if len(known):
        edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)))
        inner = edges[1:-1]
    else:
        inner = np.array([])
    e = np.clip(_shares(expected, inner), EPSILON, None)
    a = np.clip(_shares(actual, inner), EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


def drift_level(psi: float) -> str:
    """"significant drift" (>= 0.25), "moderate" (>= 0.1) or "none"."""
    if psi >= SIGNIFICANT:
        return "significant drift"
    if psi >= MODERATE:
        return "moderate"
    return "none"


def drift_report(train_features: pd.DataFrame, recent_features: pd.DataFrame, scores_train=None,
                 scores_recent=None, bins: int = 10, features: list[str] | None = None) -> pd.DataFrame:
    """PSI of every model input (``features``, default the feature columns of `train_features` that
    `recent_features` also has) and, when both are given, of the model score (row ``score``).

    Returns one row per feature: ``feature``, ``psi``, ``drift`` ("none" | "moderate" | "significant drift"),
    ``train_mean``, ``recent_mean``, sorted by PSI, highest first, with the score row first."""
    names = features if features is not None else [c for c in feature_columns(train_features)
                                                   if c in recent_features]
    rows = []
    if scores_train is not None and scores_recent is not None:
        rows.append(("score", np.asarray(scores_train, dtype=float), np.asarray(scores_recent, dtype=float)))
    for name in names:
        rows.append((name, pd.to_numeric(train_features[name], errors="coerce").to_numpy(dtype=float),
                     pd.to_numeric(recent_features[name], errors="coerce").to_numpy(dtype=float)))
    out = pd.DataFrame([{
        "feature": name,
        "psi": population_stability_index(train, recent, bins=bins),
        "train_mean": float(np.nanmean(train)) if np.isfinite(train).any() else np.nan,
        "recent_mean": float(np.nanmean(recent)) if np.isfinite(recent).any() else np.nan,
    } for name, train, recent in rows], columns=["feature", "psi", "train_mean", "recent_mean"])
    out.insert(2, "drift", [drift_level(p) for p in out["psi"]])
    is_score = out["feature"] == "score" if scores_train is not None and scores_recent is not None \
        else pd.Series(False, index=out.index)
    out = pd.concat([out[is_score], out[~is_score].sort_values("psi", ascending=False, kind="stable")])
    return out.reset_index(drop=True)
