"""Scan versus declaration: does the image hold what was declared?

Three signals, each interpretable: (1) the estimated mass of the goods from the dual-energy inversion against the
declared gross mass (log ratio, after the typical ratio of the declared class); (2) the material mix of the scan
(mass shares of organic / inorganic / metal, opacity, Z_eff, density spread) against the profile of honest scans of
the declared HS class (Mahalanobis distance), and how much better another class fits; (3) the same distance as an
anomaly score against scans of the declared class. A logistic regression weighs them into one score.
The fitted model is a plain dict of numbers (stored with the detector).
"""

from __future__ import annotations

import numpy as np

from smartcustoms.nii.analysis import Decomposition, group_masses, mass_kg

SIGNATURE = ("organic_share", "inorganic_share", "metal_share", "opaque_share", "z_mean", "z_std", "areal_p50",
             "areal_p90", "areal_cv", "filled_share")
FEATURES = ("mass_residual", "mass_residual_sq", "class_distance", "class_gap")


def signature(dec: Decomposition, pixel_cm: float) -> np.ndarray:
    masses = group_masses(dec, pixel_cm)
    total = max(masses[:3].sum(), 1e-9)
    solid = dec.group >= 0
    z = dec.z[solid & (dec.group < 3)]
    areal = dec.areal[solid]
    if areal.size == 0:
        areal = np.zeros(1)
        z = np.zeros(1)
    return np.array([
        masses[0] / total, masses[1] / total, masses[2] / total, masses[3],
        float(z.mean()) if z.size else 0.0, float(z.std()) if z.size else 0.0,
        float(np.percentile(areal, 50)), float(np.percentile(areal, 90)),
        float(areal.std() / max(areal.mean(), 1e-6)), float(solid.mean()),
    ])


def mass_log_ratio(dec: Decomposition, pixel_cm: float, tare_kg: float, declared_kg: float) -> float:
    """ln(estimated goods mass / declared mass)."""
    estimated = max(mass_kg(dec, pixel_cm) - tare_kg, 1e-3)
    return float(np.log(estimated / max(declared_kg, 1e-3)))


def _profile(rows: np.ndarray) -> dict:
    mean = rows.mean(axis=0)
    cov = np.cov(rows, rowvar=False) if len(rows) > 2 else np.eye(rows.shape[1])
    cov = cov + np.eye(len(mean)) * (1e-3 + 0.05 * np.diag(cov).mean())
    return {"mean": mean.tolist(), "inv_cov": np.linalg.inv(cov).tolist(), "n": len(rows)}


def _distance(profile: dict, sig: np.ndarray) -> float:
    d = sig - np.asarray(profile["mean"])
    return float(np.sqrt(max(d @ np.asarray(profile["inv_cov"]) @ d, 0.0)))


def _raw(model: dict, sig, kind: str, declared_hs: str, log_ratio: float) -> np.ndarray:
    profiles = model["profiles"]
    key = f"{kind}/{declared_hs}"
    residual = log_ratio - model["typical_ratio"].get(key, 0.0)
    own = _distance(profiles[key], sig) if key in profiles else 20.0
    others = [_distance(p, sig) for k, p in profiles.items() if k.startswith(kind + "/") and k != key]
    best_other = min(others) if others else own
    return np.array([residual, residual**2, np.log1p(own), np.log1p(own) - np.log1p(best_other)])


def fit(signatures: np.ndarray, kinds, true_hs, declared_hs, log_ratios, labels) -> dict:
    """Profiles of honest scans per (kind, declared class), then the logistic weights of the four signals."""
    from sklearn.linear_model import LogisticRegression

    signatures = np.asarray(signatures)
    labels = np.asarray(labels, dtype=bool)
    keys = np.array([f"{k}/{h}" for k, h in zip(kinds, declared_hs)])
    honest = ~labels
    model = {"profiles": {}, "typical_ratio": {}}
    for key in sorted(set(keys[honest])):
        rows = honest & (keys == key)
        model["profiles"][key] = _profile(signatures[rows])
        model["typical_ratio"][key] = float(np.median(np.asarray(log_ratios)[rows]))
    raw = np.stack([_raw(model, s, k, h, r) for s, k, h, r in zip(signatures, kinds, declared_hs, log_ratios)])
    mean, std = raw.mean(axis=0), raw.std(axis=0) + 1e-9
    if labels.all() or not labels.any():  # too few scans to learn weights (smoke models): a constant score
        coef, intercept = [0.0] * raw.shape[1], 0.0
    else:
        lr = LogisticRegression(C=1.0, max_iter=1000).fit((raw - mean) / std, labels)
        coef, intercept = lr.coef_[0].tolist(), float(lr.intercept_[0])
    model.update({"mean": mean.tolist(), "std": std.tolist(), "coef": coef, "intercept": intercept,
                  "features": list(FEATURES), "signature": list(SIGNATURE)})
    return model


def score(model: dict, sig: np.ndarray, kind: str, declared_hs: str, log_ratio: float) -> tuple[float, dict]:
    """Probability that the declaration does not match the scan, and the signals behind it."""
    raw = _raw(model, sig, kind, declared_hs, log_ratio)
    z = (raw - np.asarray(model["mean"])) / np.asarray(model["std"])
    logit = float(z @ np.asarray(model["coef"]) + model["intercept"])
    parts = dict(zip(FEATURES, (round(float(v), 4) for v in raw)))
    return 1.0 / (1.0 + np.exp(-logit)), parts
