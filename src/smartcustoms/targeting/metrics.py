"""Ranking metrics for targeting: of the declarations a model would inspect, how many were right."""

from __future__ import annotations

import numpy as np


def precision_at(scores, labels, fraction: float) -> float:
    """Precision@n%: the share of positives among the top `fraction` of rows by score.

    The top set has `max(1, round(fraction * len(scores)))` rows. Ties are broken by row order (a stable
    sort on the negated scores), so the result is deterministic.
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=float)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError("scores and labels must be 1-D arrays of the same length")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    if len(scores) == 0:
        raise ValueError("no rows to rank")
    k = max(1, int(round(fraction * len(scores))))
    top = np.argsort(-scores, kind="stable")[:k]
    return float(labels[top].mean())
