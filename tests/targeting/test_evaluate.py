"""`smartcustoms evaluate`: metrics on hand-computed cases, the simulation's information rule, the command."""

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from smartcustoms.cli.evaluate import evaluate_command
from smartcustoms.targeting import evaluate as ev
from smartcustoms.world import WorldConfig, generate

CUT = "2025-10-01"


def test_precision_recall_revenue_at():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    labels = [1, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    stake = [10, 0, 30, 0, 0, 0, 0, 60, 0, 0]
    m = ev.ranking_metrics(scores, labels, stake, fractions=(0.1, 0.2, 0.3, 0.5))
    assert m["precision@10%"] == 1.0 and m["recall@10%"] == pytest.approx(1 / 3)
    assert m["precision@20%"] == 0.5 and m["recall@20%"] == pytest.approx(1 / 3)
    assert m["precision@30%"] == pytest.approx(2 / 3) and m["recall@30%"] == pytest.approx(2 / 3)
    assert m["revenue@10%"] == pytest.approx(0.1) and m["revenue@30%"] == pytest.approx(0.4)
    assert m["duty@30%"] == 40 and m["revenue@50%"] == pytest.approx(0.4)
    assert ev.recall_at(scores, labels, 1.0) == 1.0 and ev.revenue_at(scores, stake, 0.8) == 1.0
    # the top set is at least one row, ties broken by row order
    assert ev.top_count(10, 0.01) == 1 and ev.recall_at([1, 1, 1], [0, 1, 0], 0.34) == 0.0
    assert np.isnan(ev.recall_at([1, 2], [0, 0], 0.5))


def test_calibration_deciles():
    p = np.arange(20) / 20  # 0.00 .. 0.95, already sorted: deciles of 2 rows
    observed = np.array([0, 0] * 5 + [1, 0] * 3 + [1, 1] * 2, dtype=float)
    table = ev.calibration_table(p[::-1], observed[::-1], bins=10)  # order of the rows does not matter
    assert list(table["decile"]) == list(range(1, 11)) and (table["rows"] == 2).all()
    assert table["mean_p"].tolist() == pytest.approx([0.025 + 0.1 * i for i in range(10)])
    assert table["observed"].tolist() == [0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 1, 1]


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=4_000, seed=3))


@pytest.fixture(scope="module")
def profiles():
    from smartcustoms.cli.evaluate import default_profiles_dir
    from smartcustoms.risk.profiles import load_profile_dir

    return load_profile_dir(default_profiles_dir())


def test_profile_scores_rank_hits_by_weight(world, profiles):
    index = world.truth["declaration_id"].astype("str")
    score = ev.profile_scores(profiles, ev.with_new_importer(world.declarations, world.truth), index)
    assert (score >= 0).any() and (score < 0).any()
    top = score.sort_values(ascending=False).index[0]
    hits = score.loc[score >= 0]
    assert (hits // 1000).max() == score.loc[top] // 1000


def test_simulation_reveals_only_selected(world, profiles, monkeypatch):
    seen = []
    real_fit = ev.TargetingModel.fit

    def spy(self, features, *args, **kwargs):
        seen.append(features)
        return real_fit(self, features, *args, **kwargs)

    monkeypatch.setattr(ev.TargetingModel, "fit", spy)
    sim = ev.simulate(world.declarations, world.inspections, world.truth, profiles, cut=CUT, weeks=3)
    assert len(seen) == 3 and len(sim.selected) == 3
    # revealed outcomes: exactly the selected declarations, labelled from the truth
    revealed = set(sim.outcomes["declaration_id"])
    assert revealed == {i for week in sim.selected for i in week}
    truth = ev.truth_frame(world.truth, sim.outcomes["declaration_id"])
    assert ((sim.outcomes["result"] == "discrepancy").to_numpy() == (truth["fraud"] == 1).to_numpy()).all()
    # the training rows of week w labelled on or after the cut are the selections of weeks < w, nothing else
    for week, frame in enumerate(seen):
        labelled = frame.loc[frame["label_fraud"].notna() & (frame["declaration_date"] >= CUT)].index
        assert set(labelled) == {i for w in sim.selected[:week] for i in w}
    assert sim.weeks["budget"].tolist() == [len(s) for s in sim.selected]


def test_evaluate_command_end_to_end():
    app = typer.Typer()
    app.command("evaluate")(evaluate_command)
    app.command("noop")(lambda: None)  # two commands: "evaluate" stays a sub-command
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--declarations", "3000", "--seed", "2", "--weeks", "2", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out["metrics"]) == {"model", "profiles", "random"}
    assert 0 <= out["metrics"]["model"]["precision@5%"] <= 1
    assert out["gain_pp"]["model - random"]["precision@5%"] == pytest.approx(
        100 * (out["metrics"]["model"]["precision@5%"] - out["metrics"]["random"]["precision@5%"]))
    assert len(out["calibration"]) == 10 and len(out["simulation"]["weeks"]) == 2
    table = runner.invoke(app, ["evaluate", "--declarations", "3000", "--seed", "2", "--weeks", "1"])
    assert table.exit_code == 0, table.output
    assert "Precision" in table.output and "Weekly simulation" in table.output
