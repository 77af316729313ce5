"""Vectorised sampling helpers (no per-row Python loops)."""

import numpy as np


def choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """n indices drawn from one categorical distribution (weights need not sum to 1)."""
    cum = np.cumsum(weights, dtype=float)
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(weights) - 1)


def grouped_choice(rng: np.random.Generator, group: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each row, an index drawn from the distribution ``weights[group[row]]``.

    ``weights`` is (groups, categories); every row used must have a positive total. One searchsorted over the
    rows' cumulative distributions laid end to end: row g spans (g, g + 1].
    """
    weights = np.asarray(weights, dtype=float)
    total = weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights, axis=1) / np.where(total > 0, total, 1.0)
    groups, k = weights.shape
    flat = (cum + np.arange(groups)[:, None]).ravel()
    u = rng.random(len(group)) * (1 - 1e-12)
    pos = np.searchsorted(flat, group + u, side="right") - group * k
    return np.clip(pos, 0, k - 1)


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Identifiers like DCL00042 for an array of numbers, built with numpy's string functions."""
    digits = np.strings.zfill(np.asarray(numbers).astype(np.int64).astype("U20"), width)
    return np.strings.add(prefix, digits).astype(object)


def segment_positions(counts: np.ndarray) -> np.ndarray:
    """For rows laid out as consecutive segments of the given lengths, the position of each row (0, 1, ...)."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)
