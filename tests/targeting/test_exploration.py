"""Exploration valued in duty (targeting/exploration.py): the share is spent within the budget, on the
declarations outside the exploit head whose optimistic expected duty is highest (novel ones first)."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.targeting.exploration import exploration_value, explore_value


def _scores(n: int = 200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    return pd.DataFrame({"p_fraud": p, "score": p, "revenue_if_fraud": rng.lognormal(8, 1.5, n),
                         "controls_importer": rng.integers(0, 30, n).astype(float),
                         "controls_hs6": rng.integers(0, 30, n).astype(float)},
                        index=[f"D{i}" for i in range(n)])


@pytest.mark.parametrize("budget,share", [(20, 0.2), (13, 0.17), (7, 0.0), (9, 1.0), (1, 0.4)])
def test_the_share_is_spent_within_the_budget_and_the_head_is_exploits(budget, share):
    scores = _scores()
    chosen = explore_value(scores, budget, share)
    k_explore = int(round(budget * share))
    assert chosen["selected"].sum() == budget
    assert (chosen["selection"] == "exploration").sum() == k_explore
    # the rest of the budget is exactly exploit-only's top by score
    head = scores["score"].sort_values(ascending=False, kind="stable").index[:budget - k_explore]
    assert set(chosen.index[chosen["selection"] == "score"]) == set(head)
    assert not chosen.loc[chosen["selection"] == "exploration"].index.isin(head).any()
    assert list(chosen.index) == list(scores.index)


def test_a_budget_larger_than_the_week_takes_every_declaration():
    scores = _scores(5)
    chosen = explore_value(scores, 12, 0.5)
    assert chosen["selected"].all()
    with pytest.raises(ValueError):
        explore_value(scores, 3, 1.5)


def test_novel_declarations_are_picked_over_well_known_ones_of_a_slightly_higher_p():
    scores = pd.DataFrame({
        "score": [0.9, 0.8, 0.30, 0.25, 0.25, 0.20],
        "p_fraud": [0.9, 0.8, 0.30, 0.25, 0.25, 0.20],
        "revenue_if_fraud": [1000.0] * 6,
        # c: well known (many controls of its importer and HS6); d: importer never controlled; e: HS6 never
        # controlled (NaN counts as none); f: novel but the least likely
        "controls_importer": [50.0, 50.0, 200.0, 0.0, 40.0, 0.0],
        "controls_hs6": [50.0, 50.0, 200.0, 60.0, np.nan, 0.0],
    }, index=list("abcdef"))
    chosen = explore_value(scores, 4, 0.5)
    assert list(chosen.index[chosen["selection"] == "score"]) == ["a", "b"]
    # upper bounds: c 0.30 + 0.03 = 0.33, d and e 0.25 + 0.43 = 0.68, f 0.20 + 0.40 = 0.60
    assert set(chosen.index[chosen["selection"] == "exploration"]) == {"d", "e"}
    # without the optimism (bonus 0) the value is p x revenue: the next by p, the well-known c, comes first
    plain = explore_value(scores, 4, 0.5, bonus=0.0)
    assert "c" in set(plain.index[plain["selection"] == "exploration"])


def test_the_value_weighs_the_duty_a_fraud_would_carry():
    scores = pd.DataFrame({"score": [0.9, 0.4, 0.4, 0.35], "p_fraud": [0.9, 0.4, 0.4, 0.35],
                           "revenue_if_fraud": [500.0, 200.0, 900.0, 5000.0],
                           "controls_importer": [10.0] * 4, "controls_hs6": [10.0] * 4}, index=list("wxyz"))
    value = exploration_value(scores)
    assert value[3] > value[2] > value[1]
    chosen = explore_value(scores, 2, 0.5)
    assert set(chosen.index[chosen["selected"]]) == {"w", "z"}
    assert (value >= scores["p_fraud"].to_numpy() * scores["revenue_if_fraud"].to_numpy()).all()


def test_the_online_loop_spends_the_share_of_each_week_within_the_same_budget():
    from pathlib import Path

    from smartcustoms.risk.profiles import load_profile_dir
    from smartcustoms.targeting.evaluate import simulate_online
    from smartcustoms.world import WorldConfig, generate

    world = generate(WorldConfig(declarations=2500, seed=4))
    profiles = load_profile_dir(Path(__file__).resolve().parents[2] / "profiles")
    run = simulate_online(world.declarations, world.inspections, world.truth, profiles, cut="2025-11-01", weeks=2,
                          fraction=0.1, explore_share=0.5, half_life=None, how="value", seed=1, n_jobs=1)
    weeks = run.weeks.set_index(["strategy", "week"])
    for week in (1, 2):
        budget = weeks.loc[("exploit", week), "budget"]
        assert weeks.loc[("exploration", week), "budget"] == weeks.loc[("rules", week), "budget"] == budget
        assert weeks.loc[("exploration", week), "explored"] == round(budget * 0.5) > 0
        assert weeks.loc[("exploit", week), "explored"] == 0
        assert 0 <= weeks.loc[("exploration", week), "explored_frauds"] <= weeks.loc[("exploration", week), "frauds"]
        assert weeks.loc[("exploration", week), "explored_duty"] <= weeks.loc[("exploration", week), "duty"] + 1e-6
    # both learners start from the same history, and each learns as many labels as it controlled
    assert weeks.loc[("exploration", 1), "labelled"] == weeks.loc[("exploit", 1), "labelled"]
    assert weeks.loc[("exploration", 2), "labelled"] == weeks.loc[("exploit", 2), "labelled"]
    assert run.info["how"] == "value" and run.totals()["exploration"]["explored"] == weeks["explored"].sum()


def test_a_calibration_slice_that_would_invert_the_ranking_keeps_the_models_order():
    # the latest quarter of the labels (the calibration slice) says the opposite of the earlier rows, as the
    # latest controls of an online loop can: a negative Platt slope would rank the least likely first
    from smartcustoms.targeting.model import TargetingModel

    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    late = np.arange(n) >= int(n * 0.75)
    y = np.where(late, x < 0, x > 0).astype(float)
    features = pd.DataFrame({"x": x, "noise": rng.normal(size=n), "label_fraud": y, "label_revenue": y * 100.0,
                             "label_random": 0.0,
                             "declaration_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n) // 10,
                                                                                                   unit="D")})
    model = TargetingModel(n_jobs=1).fit(features)
    assert model.calibration_[0] > 0
    grid = pd.DataFrame({"x": np.linspace(-2, 2, 9), "noise": 0.0})
    p = model.predict_proba(grid)["p_fraud"].to_numpy()
    assert p[-1] > p[0]  # the classifier learnt x > 0 from three quarters of the rows; the order is kept


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_safe_exploration_never_lowers_the_duty_the_model_expects(seed):
    scores = _scores(300, seed)
    expected = scores["p_fraud"] * scores["revenue_if_fraud"]
    exploit = explore_value(scores, 30, 0.0)
    safe = explore_value(scores, 30, 0.3, safe=True)
    explored = safe.index[safe["selection"] == "exploration"]
    assert safe["selected"].sum() == 30 and 0 < len(explored) <= 9
    assert expected[safe["selected"]].sum() >= expected[exploit["selected"]].sum()
    # the exploit head is kept; each place given up is one of exploit's last picks, and no cheaper than what took it
    head = scores["score"].sort_values(ascending=False, kind="stable").index[:21]
    assert set(head) <= set(safe.index[safe["selection"] == "score"])
    given_up = exploit.index[exploit["selected"] & ~safe["selected"]]
    assert len(given_up) == len(explored)
    assert all(a >= b for a, b in zip(sorted(expected[explored]), sorted(expected[given_up])))


def test_safe_exploration_keeps_exploits_picks_when_nothing_else_is_expected_to_bring_as_much():
    scores = pd.DataFrame({"score": [0.9, 0.8, 0.7, 0.1, 0.05], "p_fraud": [0.9, 0.8, 0.7, 0.1, 0.05],
                           "revenue_if_fraud": [1000.0, 1000.0, 1000.0, 2000.0, 100.0],
                           "controls_importer": [50.0, 50.0, 50.0, 0.0, 0.0], "controls_hs6": [50.0] * 3 + [0.0] * 2},
                          index=list("abcde"))
    safe = explore_value(scores, 3, 0.34, safe=True)  # one place: c (expects 700) against d (200) and e (5)
    assert list(safe.index[safe["selected"]]) == ["a", "b", "c"]
    assert (safe["selection"] == "exploration").sum() == 0
    richer = scores.assign(revenue_if_fraud=[1000.0, 1000.0, 1000.0, 8000.0, 100.0])  # d now expects 800
    safe = explore_value(richer, 3, 0.34, safe=True)
    assert list(safe.index[safe["selection"] == "exploration"]) == ["d"]
    assert list(safe.index[safe["selection"] == "score"]) == ["a", "b"]
