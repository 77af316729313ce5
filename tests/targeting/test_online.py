"""The online learning loop (evaluate --online): same budget for every strategy, cumulative duty, learners that
learn only from their own selections."""

from pathlib import Path

import numpy as np

from smartcustoms.risk.profiles import load_profile_dir
from smartcustoms.targeting.evaluate import online_chart, simulate_online
from smartcustoms.world import WorldConfig, generate

ROOT = Path(__file__).resolve().parents[2]


def test_online_simulation_compares_strategies_on_the_same_budget():
    world = generate(WorldConfig(declarations=2500, seed=4))
    profiles = load_profile_dir(ROOT / "profiles")
    run = simulate_online(world.declarations, world.inspections, world.truth, profiles, cut="2025-11-01", weeks=2,
                          fraction=0.1, explore_share=0.0, seed=1, n_jobs=1)
    weeks = run.weeks
    assert set(weeks["strategy"]) == {"exploration", "exploit", "rules"} and weeks["week"].max() == 2
    per_week = weeks.groupby("week")["budget"].nunique()
    assert (per_week == 1).all()  # every strategy controls the same number each week
    for _, rows in weeks.groupby("strategy"):
        assert np.allclose(rows["cumulative_duty"].to_numpy(), rows["duty"].cumsum().to_numpy())
    # without an exploration share, exploration is exploit: same picks, same duty
    a, b = (weeks.loc[weeks["strategy"] == s, "duty"].to_numpy() for s in ("exploration", "exploit"))
    assert np.array_equal(a, b)
    # the learners learnt their selections: more labelled controls in week 2 than in week 1
    learnt = weeks.loc[weeks["strategy"] == "exploit", "labelled"].to_numpy()
    assert learnt[1] > learnt[0]
    assert online_chart(run, "svg").startswith(b"<?xml")


def test_the_learners_can_rank_by_the_duty_they_expect():
    world = generate(WorldConfig(declarations=5000, seed=4))
    profiles = load_profile_dir(ROOT / "profiles")
    runs = {rank: simulate_online(world.declarations, world.inspections, world.truth, profiles, cut="2025-10-01",
                                  weeks=2, fraction=0.1, explore_share=0.0, seed=1, n_jobs=1, rank_by=rank,
                                  strategies=("exploit", "rules"))
            for rank in ("fraud", "revenue")}
    assert runs["revenue"].info["rank_by"] == "revenue"
    weeks = {rank: run.weeks.set_index(["strategy", "week"]) for rank, run in runs.items()}
    # rules do not learn: the same picks whatever the learners rank by; the learners' picks differ
    assert weeks["fraud"].loc["rules", "duty"].tolist() == weeks["revenue"].loc["rules", "duty"].tolist()
    assert weeks["fraud"].loc["exploit", "budget"].tolist() == weeks["revenue"].loc["exploit", "budget"].tolist()
    assert (weeks["fraud"].loc["exploit", ["frauds", "duty"]].to_numpy()
            != weeks["revenue"].loc["exploit", ["frauds", "duty"]].to_numpy()).any()
