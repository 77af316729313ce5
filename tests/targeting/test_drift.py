"""Population stability index: zero for the same distribution, growing with the shift, and by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from smartcustoms.targeting.drift import drift_level, drift_report, population_stability_index


def test_identical_distributions_have_zero_psi():
    values = np.random.default_rng(0).normal(size=5000)
    assert population_stability_index(values, values) == pytest.approx(0.0, abs=1e-12)
    assert population_stability_index(values, values.copy()[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_psi_grows_with_the_shift():
    rng = np.random.default_rng(1)
    expected = rng.normal(size=20_000)
    psis = [population_stability_index(expected, rng.normal(loc=shift, size=20_000)) for shift in
            (0.0, 0.1, 0.3, 0.6, 1.0)]
    assert psis[0] < 0.01
    assert all(a < b for a, b in zip(psis, psis[1:]))
    assert drift_level(psis[-1]) == "significant drift"


def test_hand_computed_case():
    expected = np.tile(np.arange(10.0), 10)  # median 4.5: with 2 bins, shares 0.5 / 0.5
    actual = np.array([0.0, 0.0, 0.0, 9.0])  # shares 0.75 / 0.25
    psi = population_stability_index(expected, actual, bins=2)
    assert psi == pytest.approx(0.25 * math.log(1.5) + 0.25 * math.log(2.0))  # 0.2747
    assert drift_level(psi) == "significant drift"
    assert drift_level(0.15) == "moderate" and drift_level(0.05) == "none"


def test_missing_values_are_a_bin_of_their_own():
    expected = np.array([1.0, 2.0, np.nan, np.nan])  # half missing
    actual = np.array([1.0, 2.0, 1.0, 2.0])  # none missing
    assert population_stability_index(expected, actual, bins=2) > 1.0
    assert population_stability_index(expected, expected, bins=2) == pytest.approx(0.0)


def test_drift_report_flags_the_shifted_feature_and_the_score():
    rng = np.random.default_rng(2)
    train = pd.DataFrame({"stable": rng.normal(size=4000), "moved": rng.normal(size=4000),
                          "label_fraud": 0.0, "declaration_date": pd.Timestamp("2025-01-01")})
    recent = pd.DataFrame({"stable": rng.normal(size=4000), "moved": rng.normal(loc=1.5, size=4000)})
    report = drift_report(train, recent, rng.uniform(size=4000), rng.uniform(size=4000) ** 3)
    assert report["feature"].tolist() == ["score", "moved", "stable"]  # labels/info columns are not features
    flags = report.set_index("feature")["drift"]
    assert flags["moved"] == "significant drift" and flags["stable"] == "none"
    assert flags["score"] == "significant drift"
    assert set(report.columns) == {"feature", "psi", "drift", "train_mean", "recent_mean"}
