"""assess(): the whole engine on a small generated world, in memory."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fitted
from smartcustoms.risk.assess import RiskEngine, assess, explain
from smartcustoms.risk.profiles import parse_profiles
from smartcustoms.risk.service import fit_screens
from smartcustoms.world import WorldConfig, generate

START = pd.Timestamp("2025-04-01")
RED_STEEL = """
profile_id: P-TEST-STEEL
title: steel to red
purpose: test
owner: tests
lane: red
weight: 100
criteria:
  - field: commodity_code
    prefix: ["72"]
"""


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=4000, seed=9, days=120))


@pytest.fixture(scope="module")
def engine(world):
    screens = fit_screens(world.declarations, world.inspections, START, fitted.risk_config())
    return RiskEngine(screens=screens, profiles=parse_profiles(RED_STEEL, "steel.yaml"))


def live(world) -> pd.DataFrame:
    return world.declarations[world.declarations["acceptance_datetime"] >= START]


def test_one_decision_per_declaration_with_scores_and_a_forced_profile(world, engine):
    frame = live(world)
    decided = assess(frame, engine)
    assert decided["declaration_id"].tolist() == frame["declaration_id"].unique().tolist()
    assert decided["risk_score"].between(0, 1).all()
    steel = frame.loc[frame["commodity_code"].str.startswith("72"), "declaration_id"].unique()
    assert len(steel) and decided.set_index("declaration_id").loc[steel, "lane"].eq("red").all()
    assert set(decided["source"]) <= {"profile", "screen", "random", "none"}


def test_missing_fields_are_assessed_by_what_is_available_and_said(world, engine):
    frame = live(world).head(50).copy()
    frame["goods_description"] = np.nan
    frame["importer_id"] = np.nan
    decided = explain(assess(frame, engine), list(engine.screens))
    assert len(decided) == frame["declaration_id"].nunique()
    data = json.loads(decided["explanation"].iloc[0])
    missing = " ".join(data["not_checked"])
    assert "no description" in missing
    assert "valuation" in data["scores"]  # still checked


def test_a_declaration_alone_is_assessed_as_in_a_batch(world, engine):
    frame = live(world)
    batch = assess(frame, engine).set_index("declaration_id")
    first = frame["declaration_id"].iloc[0]  # nothing earlier in the batch could inform it
    alone = assess(frame[frame["declaration_id"] == first], engine).iloc[0]
    assert alone["risk_score"] == pytest.approx(batch.loc[first, "risk_score"])
    for declaration_id in frame["declaration_id"].unique()[:50]:  # the random draw never depends on the batch
        alone = assess(frame[frame["declaration_id"] == declaration_id], engine).iloc[0]
        assert alone["random"] == batch.loc[declaration_id, "random"]


def test_expected_selection_rate_is_calibrated_on_reference_declarations(world, engine):
    from smartcustoms.risk.assess import calibrated

    settings = engine.settings.model_copy(update={"expected_selection_rate": 0.08})
    reference = world.declarations[world.declarations["acceptance_datetime"] < START]
    tuned = calibrated(RiskEngine(screens=engine.screens, settings=settings), reference)
    assert tuned.settings.yellow_threshold != settings.yellow_threshold
    decided = assess(reference, tuned)
    share = decided.loc[~decided["random"], "lane"].isin(["yellow", "red"]).mean()
    assert abs(share - 0.08) < 0.02
    one = live(world).head(1)
    alone = assess(one, tuned).iloc[0]  # a lone declaration meets the same bar as a batch
    assert (alone["risk_score"] >= tuned.settings.yellow_threshold) == (alone["lane"] in ("yellow", "red")) or \
        alone["random"]


def test_one_day_alone_and_in_a_batch_give_the_same_scores_to_1e_9(world, engine, monkeypatch):
    """The default engine (screens, the targeting model, profiles, the learned combination): a day's declarations
    assessed one by one (the model's lookup path, straight into its input array) score as in their batch (the
    model's frame path), to 1e-9."""
    from smartcustoms.risk.profiles import load_profile_dir
    from smartcustoms.risk.service import learn_combination
    from smartcustoms.targeting import screen

    profiles = [*engine.profiles, *load_profile_dir(Path(__file__).resolve().parents[2] / "profiles")]
    combination = learn_combination(world.declarations, world.inspections, START, fitted.risk_config(), profiles, [])
    full = RiskEngine(screens=engine.screens, profiles=profiles, combination=combination)
    assert "model" in full.screens and full.screens["model"].model_ is not None
    frame = live(world)
    day = frame["acceptance_datetime"].dt.normalize()
    one_day = frame[day == day.min()]
    monkeypatch.setattr(screen, "SMALL_FRAME", len(one_day) - 1)  # the batch takes the frame path, the single
    assert one_day.groupby("declaration_id").size().max() <= screen.SMALL_FRAME  # declarations the lookup path
    batch = assess(one_day, full).set_index("declaration_id")
    alone = pd.concat([assess(group, full) for _, group in one_day.groupby("declaration_id", sort=False)]
                      ).set_index("declaration_id").loc[batch.index]
    for column in ("risk_score", "model_score", "model_duty_at_risk", "valuation_score", "duty_at_risk"):
        np.testing.assert_allclose(alone[column].to_numpy(float), batch[column].to_numpy(float), rtol=0, atol=1e-9)
    assert alone["lane"].tolist() == batch["lane"].tolist()
    assert alone["model_reason"].tolist() == batch["model_reason"].tolist()
    for column in ("valuation_reason", "classification_reason", "origin_reason", "trader_reason", "profiles",
                   "profile_lane", "source", "capacity_note", "random"):
        assert alone[column].tolist() == batch[column].tolist(), column


def test_assess_on_columns_gives_the_frames_of_risk_signals_then_decide(world, engine):
    """assess gathers the screens, profiles and selectivity as columns and builds one frame at the end (a
    declaration being lodged); risk_signals then decide (the partitions of smartcustoms.scale) build frames on
    the way: the same frame, values and types, for a batch and for one declaration."""
    from smartcustoms.risk.assess import decide, risk_signals

    frame = live(world)
    one = frame[frame["declaration_id"] == frame["declaration_id"].iloc[0]]
    for part in (frame, one):
        pd.testing.assert_frame_equal(assess(part, engine), decide(risk_signals(part, engine), engine))


def test_screen_reasons_carry_codes_and_parameters_beside_the_english_text(world, engine):
    decided = explain(assess(live(world), engine), list(engine.screens))
    coded = {"classification": "classification.", "origin": "origin.", "trader": "trader."}
    seen = dict.fromkeys(coded, 0)
    for text in decided["explanation"]:
        for name, score in json.loads(text)["scores"].items():
            if name not in coded or not score["reason"]:
                continue
            reasons = score["reasons"]  # every flagged reason has its codes (the English text stays as it was)
            assert reasons and all(r["code"].startswith(coded[name]) and isinstance(r["params"], dict)
                                   for r in reasons)
            seen[name] += 1
    assert all(seen.values()), seen


def test_assess_explained_gives_the_frame_explain_gives(world, engine):
    """assess(explained=True) writes the explanation and top reason from its columns (one frame built): the same
    frame as explain(assess(...)), for a batch, one declaration and none, with fixed weights and with the learned
    combination (its contributions are in the explanation)."""
    from smartcustoms.risk.combination import LearnedCombination

    combination = LearnedCombination()  # as fitted (the world is too small to learn one)
    combination.method_, combination.parts_ = "learned", ["valuation", "origin", "profile_weight"]
    combination.coef_, combination.mean_, combination.intercept_ = np.array([2.0, 1.5, 3.0]), np.full(3, 0.1), -3.0
    learned = RiskEngine(screens=engine.screens, profiles=engine.profiles, combination=combination)
    assert learned.learned() is combination
    frame = live(world)
    one = frame[frame["declaration_id"] == frame["declaration_id"].iloc[0]]
    for risk in (engine, learned):
        for part in (frame, one, frame.iloc[:0]):
            expected = explain(assess(part, risk), list(risk.screens))
            pd.testing.assert_frame_equal(assess(part, risk, explained=True), expected, check_exact=True)
    assert "combination" in json.loads(assess(one, learned, explained=True)["explanation"].iloc[0])


class Spy:
    """A screen that calls `on_score(frame)` before the wrapped screen scores (marked ``concurrent`` if asked)."""

    def __init__(self, screen, on_score, concurrent=False):
        self.screen, self.on_score, self.concurrent = screen, on_score, concurrent

    def score_columns(self, frame):
        self.on_score(frame)
        return self.screen.score_columns(frame)


def test_a_concurrent_screen_scores_a_large_batch_in_a_thread_with_the_same_frame(world, engine, monkeypatch):
    """A screen marked ``concurrent`` (the targeting model's) scores a batch of CONCURRENT_ITEMS goods items or more
    in a thread beside the other screens, a smaller one in the caller's thread: the same frame either way."""
    import threading

    from smartcustoms.risk import assess as assessing

    ran_in = []
    frame = live(world)
    expected = assess(frame, engine)
    recorded = Spy(engine.screens["trader"], lambda _: ran_in.append(threading.get_ident()), concurrent=True)
    marked = RiskEngine(screens={**engine.screens, "trader": recorded}, profiles=engine.profiles)
    monkeypatch.setattr(assessing, "CONCURRENT_ITEMS", len(frame))
    pd.testing.assert_frame_equal(assess(frame, marked), expected, check_exact=True)
    monkeypatch.setattr(assessing, "CONCURRENT_ITEMS", len(frame) + 1)
    pd.testing.assert_frame_equal(assess(frame, marked), expected, check_exact=True)
    assert ran_in[0] != threading.get_ident() and ran_in[1] == threading.get_ident()


def test_a_large_batch_pauses_the_garbage_collector_and_gives_it_back(world, engine, monkeypatch):
    """From PAUSE_COLLECTOR_ITEMS goods items the cyclic garbage collector is paused during assess and running again
    after it (also when a screen fails); a collector the caller paused stays paused; the same frame."""
    import gc

    from smartcustoms.risk import assess as assessing

    seen = []

    def fail(_):
        seen.append(gc.isenabled())
        raise RuntimeError("screen failed")

    frame = live(world)
    expected = assess(frame, engine)
    watched = RiskEngine(screens={**engine.screens, "trader": Spy(engine.screens["trader"],
                                                                  lambda _: seen.append(gc.isenabled()))},
                         profiles=engine.profiles)
    monkeypatch.setattr(assessing, "PAUSE_COLLECTOR_ITEMS", len(frame))
    assert gc.isenabled()
    pd.testing.assert_frame_equal(assess(frame, watched), expected, check_exact=True)
    assert seen == [False] and gc.isenabled()
    failing = RiskEngine(screens={**engine.screens, "trader": Spy(engine.screens["trader"], fail)},
                         profiles=engine.profiles)
    with pytest.raises(RuntimeError, match="screen failed"):
        assess(frame, failing)
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        assess(frame, watched)
        assert not gc.isenabled()
    finally:
        gc.enable()
    monkeypatch.setattr(assessing, "PAUSE_COLLECTOR_ITEMS", len(frame) + 1)
    assess(frame, watched)
    assert seen[-1] is True
