"""ModelScreen: the targeting model as the risk screen "model", on a small generated world."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.risk import service
from smartcustoms.risk.assess import RiskEngine, assess
from smartcustoms.risk.config import RiskConfig
from smartcustoms.risk.origin import OriginScreen
from smartcustoms.risk.service import fit_screens
from smartcustoms.risk.traders import TraderRisk
from smartcustoms.risk.valuation import ValuationScreen
from smartcustoms.targeting.features import declaration_columns, declaration_features
from smartcustoms.targeting.screen import COLUMNS, ModelScreen
from smartcustoms.world import WorldConfig, generate

START = pd.Timestamp("2025-03-10")


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=8000, seed=9, days=90))


@pytest.fixture(scope="module")
def history(world):
    return world.declarations[world.declarations["acceptance_datetime"] < START]


@pytest.fixture(scope="module")
def live(world):
    frame = world.declarations[world.declarations["acceptance_datetime"] >= START]
    # a shuffled, non-default index: the output must follow it
    return frame.sample(frac=1.0, random_state=0).set_axis(np.arange(len(frame)) * 3 + 7)


@pytest.fixture(scope="module")
def screen(world):
    return ModelScreen().fit(world.declarations, world.inspections, as_of=START)


def test_output_contract(screen, live):
    out = screen.score(live)
    assert list(out.columns) == COLUMNS
    assert out.index.equals(live.index)
    p = out["model_score"]
    assert p.notna().all() and p.between(0, 1).all()
    assert (out["model_duty_at_risk"] >= 0).all()
    # one value per declaration, on every item
    assert (p.groupby(live["declaration_id"]).nunique() == 1).all()
    flagged = out["model_reason"] != ""
    assert flagged.any() and (~flagged).any()
    assert (flagged == (p >= screen.flag_threshold)).all()
    reasons = out.loc[flagged, "model_reason"]
    assert reasons.str.match(r"^model: p\(fraud\) \d\.\d\d; .+, .+, .+$").all(), reasons.iloc[0]
    # the duty is counted once per declaration (selectivity adds the duty of flagged items)
    first = ~live["declaration_id"].duplicated()
    assert (out.loc[~first, "model_duty_at_risk"] == 0).all()
    assert (out.loc[first, "model_duty_at_risk"] > 0).any()
    assert screen.version.startswith("smartcustoms.targeting.model/1+")


def test_the_duty_is_the_revenue_model_s_for_flagged_declarations_and_0_for_the_others(screen, live):
    """The revenue model runs for the flagged declarations only (the lane decision counts their duty alone); each
    one's duty is its own prediction, whatever the rows predicted with it."""
    out = screen.score(live)
    first = ~live["declaration_id"].duplicated()
    flagged = (out["model_reason"] != "") & first
    assert (out.loc[first & ~flagged, "model_duty_at_risk"] == 0).all()
    features = screen.features(live)  # one row per declaration, from all its items
    expected = screen.model_.revenue_if_fraud(screen.model_._x(features))
    by_id = dict(zip(features.index, expected))
    ids = live.loc[flagged, "declaration_id"].astype(str)
    np.testing.assert_allclose(out.loc[flagged, "model_duty_at_risk"], [by_id[i] for i in ids], rtol=1e-12)
    assert (out.loc[flagged, "model_duty_at_risk"] > 0).all()


def test_scores_do_not_depend_on_the_batch(screen, live):
    """A declaration sees the frame's declarations of earlier days (as traffic), never those of its own day or
    later: those of the first day score the same alone as in the whole frame."""
    day = live["acceptance_datetime"].dt.normalize()
    ids = live.loc[day == day.min(), "declaration_id"].drop_duplicates().iloc[:5]
    alone = live[live["declaration_id"].isin(ids)]
    pd.testing.assert_series_equal(screen.score(alone)["model_score"],
                                   screen.score(live)["model_score"].loc[alone.index])


def _definition(screen, frame):
    """The features of `frame` by definition: one call over the kept history and the frame."""
    both = pd.concat([screen.history_, frame], ignore_index=True)
    return declaration_features(both, screen.outcomes_, as_of=screen.as_of_).loc[
        pd.unique(frame["declaration_id"].astype(str).to_numpy())]


def _definition_scores(screen, frame):
    p = screen.model_.predict_proba(_definition(screen, frame))["p_fraud"]
    return np.clip(p.reindex(frame["declaration_id"].astype(str)).to_numpy(), 0, 1)


def test_the_history_is_counted_once_and_scores_stay_exact(screen, live):
    """Declarations after as_of are featurised alone and the history's counts added: the features equal those of
    one call over history + declarations (to 1e-9; counts and rates exactly), and the scores are equal; for a
    batch of several days and for single declarations."""
    assert screen.fast(live) and live["acceptance_datetime"].dt.normalize().nunique() > 10
    pd.testing.assert_frame_equal(screen.features(live), _definition(screen, live), check_exact=False, rtol=0,
                                  atol=1e-9)
    np.testing.assert_array_equal(screen.score(live)["model_score"].to_numpy(), _definition_scores(screen, live))
    for declaration in live["declaration_id"].drop_duplicates().sample(5, random_state=2):
        one = live[live["declaration_id"] == declaration]
        assert screen.fast(one)
        pd.testing.assert_frame_equal(screen.features(one), _definition(screen, one), check_exact=False, rtol=0,
                                      atol=1e-9)
        np.testing.assert_array_equal(screen.score(one)["model_score"].to_numpy(), _definition_scores(screen, one))


def test_the_batch_reads_the_model_inputs_from_the_feature_columns(screen, live):
    """The batch turns the feature columns straight into the model's input array: the array of the features frame,
    row for row, bit for bit."""
    declarations, columns, at = declaration_columns(live, screen.other_outcomes_, as_of=screen.as_of_,
                                                    base=screen.snapshot_)
    features = screen.features(live)
    assert list(declarations) == list(features.index)
    assert (declarations[at] == live["declaration_id"].astype(str).to_numpy()).all()
    np.testing.assert_array_equal(screen.model_.input_array(columns, len(declarations)), screen.model_._x(features))
    with pytest.raises(ValueError, match="missing feature columns"):
        screen.model_.input_array({}, 1)


def test_one_by_one_equals_the_batch_within_a_day_but_not_across_days(screen, live):
    """Declarations of the same day never see each other: scored one by one they score as in their batch. A later
    day's declaration sees the batch's earlier days as traffic, so alone it counts fewer earlier declarations
    (and equals the definition over the history and itself)."""
    day = live["acceptance_datetime"].dt.normalize()
    first = live[day == day.min()]
    batch = screen.score(first)["model_score"]
    one_by_one = pd.concat([screen.score(g)["model_score"] for _, g in first.groupby("declaration_id")])
    pd.testing.assert_series_equal(one_by_one.loc[batch.index], batch)

    last = live[day == day.max()]
    ids = last["declaration_id"].drop_duplicates().iloc[:5]
    in_batch = screen.features(live).loc[ids]
    alone = pd.concat([screen.features(last[last["declaration_id"] == i]) for i in ids])
    assert (alone["seen:office_id"] < in_batch["seen:office_id"]).all()
    for i in ids:
        pd.testing.assert_frame_equal(alone.loc[[i]], _definition(screen, last[last["declaration_id"] == i]),
                                      check_exact=False, rtol=0, atol=1e-9)


def test_older_or_known_declarations_take_the_slow_path(screen, history, live):
    """A declaration dated before as_of (a replay), or one already in the history, cannot use the counts: the
    whole frame is featurised with the history, as the definition says."""
    replayed = live.head(40).assign(declaration_id=lambda f: "R" + f["declaration_id"].astype(str),
                                    acceptance_datetime=START - pd.Timedelta(days=2))
    mixed = pd.concat([replayed, live.head(200)], ignore_index=True)
    assert not screen.fast(mixed)
    pd.testing.assert_frame_equal(screen.features(mixed), _definition(screen, mixed))
    assert not screen.fast(pd.concat([history.tail(3), live.head(20)]))
    assert screen.fast(live.head(20))


def test_later_outcomes_do_not_change_a_declaration_score(screen, world, history, live):
    """Every live declaration not controlled yet gets a discrepancy dated on day `cut`: those up to that day
    score the same, some of the later ones do not (they see the new outcomes)."""
    given = screen.model_  # the same fitted model: only the features may change
    known = world.inspections
    before = ModelScreen(model=given).fit(history, known)
    cut = (live["acceptance_datetime"].min() + pd.Timedelta(days=10)).normalize()
    # (a declaration's latest control replaces its earlier ones in the features: leave controlled ones alone)
    fresh = live.loc[~live["declaration_id"].isin(known["declaration_id"]), "declaration_id"].unique()
    extra = pd.DataFrame({
        "declaration_id": fresh, "inspection_date": cut, "control_type": "physical",
        "selection_reason": "risk", "result": "discrepancy", "infringement": "undervaluation",
        "duty_recovered": 1000.0,
    })
    after = ModelScreen(model=given).fit(history, pd.concat([known, extra], ignore_index=True))
    a, b = before.score(live)["model_score"], after.score(live)["model_score"]
    early = (live["acceptance_datetime"] < cut + pd.Timedelta(days=1)).to_numpy()
    np.testing.assert_array_equal(a[early].to_numpy(), b[early].to_numpy())
    assert (a[~early] != b[~early]).any()


def test_outcomes_known_after_as_of_are_ignored(world, history, live, screen):
    late = world.inspections.assign(inspection_date=START + pd.Timedelta(days=1))
    other = ModelScreen(model=screen.model_).fit(history, pd.concat([world.inspections, late]), as_of=START)
    np.testing.assert_array_equal(screen.score(live)["model_score"].to_numpy(),
                                  other.score(live)["model_score"].to_numpy())


def test_unfitted_or_without_labels_is_not_checked(history, live):
    out = ModelScreen().score(live)
    assert out.index.equals(live.index)
    assert out["model_score"].isna().all()
    assert (out["model_duty_at_risk"] == 0).all()
    assert out["model_reason"].str.startswith("not checked: no model").all()
    empty = ModelScreen().fit(history, None, as_of=START)
    assert empty.version is None
    assert empty.score(live)["model_reason"].str.startswith("not checked: no model").all()
    # the same note as a code and parameters on every row (pages write it in the reader's words)
    assert out["model_codes"].map(lambda c: c[0]["code"]).eq("model.not_checked.no_model").all()
    few = empty.score(live.head(3))["model_codes"].tolist()
    assert few == [[{"code": "model.not_checked.few_outcomes", "params": {
        "labelled": 0, "found": 0, "min_outcomes": 100, "min_found": 10}}]] * 3
    nothing = ModelScreen().fit(history.head(0), None, as_of=START).score(live.head(1))["model_codes"].tolist()
    assert nothing == [[{"code": "model.not_checked.no_history", "params": {}}]]


def test_assess_with_the_model_screen_names_the_model_as_source(world, live, screen):
    others = {"valuation": ValuationScreen(), "origin": OriginScreen(), "trader": TraderRisk()}
    screens = {name: s.fit(world.declarations, world.inspections, as_of=START) for name, s in others.items()}
    decided = assess(live, RiskEngine(screens={**screens, "model": screen}))
    by_model = decided[decided["source"] == "model"]
    assert len(by_model) > 0
    assert by_model["lane"].isin(["blue", "yellow", "red"]).all()
    shares = [f"{name}_share" for name in screens]
    assert (by_model["model_share"].to_numpy()[:, None] > by_model[shares].to_numpy()).all()
    assert (decided.loc[decided["source"] == "screen", "model_share"].to_numpy() > 0).any()


class _Cheap:
    def fit(self, history, outcomes, as_of=None):
        return self


def test_fit_screens_adds_the_model_when_enabled(world, monkeypatch):
    monkeypatch.setattr(service, "ClassificationScreen", _Cheap)  # the slow one, not under test here
    screens = fit_screens(world.declarations, world.inspections, START, RiskConfig(model=True))
    assert isinstance(screens["model"], ModelScreen) and screens["model"].version is not None
    assert "model" not in fit_screens(world.declarations, world.inspections, START, RiskConfig(model=False))
    assert RiskConfig().model  # on by default (issue 15)
