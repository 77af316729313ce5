"""The combined score learned from outcomes (risk.combination): no weight without signal, never worse than its
best part on held-out blocks, selection-bias weights, contributions in the explanation."""

import json

import numpy as np
import pandas as pd

from smartcustoms.risk.combination import LearnedCombination, holdout_labels, inverse_propensity_weights
from smartcustoms.risk.selectivity import SelectivitySettings, explanation, select


def _signals(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(float)
    strong = np.clip(0.4 * y + rng.normal(0.3, 0.2, n), 0, 1)
    weak = np.clip(0.25 * y + rng.normal(0.3, 0.2, n), 0, 1)
    noise = rng.random(n)
    signals = pd.DataFrame({
        "declaration_id": [f"D{i}" for i in range(n)], "office_id": "O1", "transport_mode": "1",
        "acceptance_datetime": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n) // 20, unit="D"),
        "valuation_score": strong, "valuation_duty_at_risk": 0.0, "origin_score": weak, "origin_duty_at_risk": 0.0,
        "classification_score": noise, "classification_duty_at_risk": 0.0,
        "profile_lane": "green", "profile_weight": 0.0, "profile_red_weight": 0.0, "profile_force": False,
        "profile_key": "",
    })
    return signals, y


SCREENS = ["valuation", "origin", "classification"]


def _fit(signals, y, random=None):
    from smartcustoms.risk.combination import part_values

    random = np.zeros(len(y)) if random is None else random
    return LearnedCombination().fit_holdout(part_values(signals, SCREENS), y, random,
                                            signals["acceptance_datetime"])


def test_a_part_without_signal_gets_no_weight_and_the_combination_beats_its_parts():
    signals, y = _signals(3000)
    combination = _fit(signals, y)
    described = combination.describe()
    assert described["method"] == "learned"
    assert "classification" in described["dropped"] and "classification" not in described["weights"]
    assert described["weights"]["valuation"] > described["weights"]["origin"] > 0
    assert described["held_out"]["learned"] >= described["held_out"]["valuation"]
    score, contributions = combination.combine(signals, SCREENS)
    assert set(contributions) == {"valuation", "origin"} and ((score > 0) & (score < 1)).all()
    # calibrated: the mean predicted probability is near the observed rate
    assert abs(score.mean() - y.mean()) < 0.03


def test_the_combination_falls_back_to_its_best_part_when_it_does_not_beat_it():
    signals, y = _signals(3000, seed=1)
    signals["valuation_score"] = y * 0.9 + 0.05  # a perfect part: nothing can beat it
    combination = _fit(signals, y)
    assert combination.method_ == "best_part" and combination.best_part_ == "valuation"
    score, _ = combination.combine(signals, SCREENS)
    assert np.array_equal(score, signals["valuation_score"].to_numpy())


def test_too_few_outcomes_learn_nothing_and_say_so():
    signals, y = _signals(100)
    combination = _fit(signals, y)
    assert combination.method_ == "none" and "not enough outcomes" in combination.note_


def test_random_sample_rows_weigh_as_much_as_all_risk_selected_rows():
    weights = inverse_propensity_weights(np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert weights[0] == 5.0 and weights[1] == 1.0
    assert weights[[0, 9]].sum() == 10.0


def test_lanes_are_decided_on_the_learned_score_and_the_explanation_shows_each_contribution():
    signals, y = _signals(3000, seed=2)
    combination = _fit(signals, y)
    decided = select(signals, SelectivitySettings(), combined=combination.combine(signals, SCREENS))
    decided["combination_method"] = combination.method_
    assert np.allclose(decided["risk_score"], combination.combine(signals, SCREENS)[0])
    assert (decided.loc[decided["risk_score"] >= 0.85, "lane"] != "green").all()
    row = decided.iloc[int(np.argmax(decided["risk_score"]))].to_dict()
    shown = json.loads(explanation(row, SCREENS))
    assert shown["combination"]["method"] == "learned"
    assert set(shown["combination"]["contributions"]) == {"valuation", "origin"}
    assert shown["scores"]["valuation"]["share"] > 0.5


def test_holdout_labels_take_the_latest_control_known_before_the_date():
    history = pd.DataFrame({"declaration_id": ["A", "B", "C"],
                            "acceptance_datetime": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"])})
    outcomes = pd.DataFrame({"declaration_id": ["A", "A", "B", "C"],
                             "inspection_date": pd.to_datetime(["2025-01-02", "2025-01-05", "2025-01-03",
                                                                "2025-02-01"]),
                             "result": ["no_discrepancy", "discrepancy", "discrepancy", "discrepancy"],
                             "selection_reason": ["risk", "risk", "random", "risk"]})
    labels = holdout_labels(history, outcomes, "2025-01-10").set_index("declaration_id")
    assert list(labels.index) == ["A", "B"]  # C's outcome is not known yet
    assert labels.loc["A", "label"] == 1.0 and labels.loc["B", "random"] == 1.0
