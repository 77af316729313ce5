"""One day's declarations featurised from the history's lookup tables equal the pandas path's features."""

import numpy as np
import pandas as pd

from smartcustoms.targeting.features import declaration_features, small_frame_features
from smartcustoms.targeting.screen import ModelScreen
from smartcustoms.world import WorldConfig, generate


def test_one_declaration_from_the_lookup_tables_equals_the_counted_history_path():
    world = generate(WorldConfig(declarations=3000, seed=5))
    items = world.declarations
    cut = pd.Timestamp("2025-10-01")
    when = pd.to_datetime(items["acceptance_datetime"])
    screen = ModelScreen().fit(items.loc[when < cut], world.inspections, as_of=cut)
    live = items.loc[when >= cut]
    groups = [group for _, group in list(live.groupby("declaration_id"))[:40]]
    groups.append(live.loc[live["acceptance_datetime"].dt.floor("D") == live["acceptance_datetime"].min().floor("D")])
    changed = groups[0].assign(importer_id="NEW-IMPORTER", commodity_code="9999999999", duty_rate=np.nan)
    for frame in [*groups, changed]:
        assert screen._one_day(frame) is screen.lookup_
        fast = small_frame_features(frame, screen.lookup_)
        slow = declaration_features(frame, screen.other_outcomes_, as_of=screen.as_of_, base=screen.snapshot_)
        columns = screen.model_.feature_names_
        assert list(fast.index) == list(pd.unique(frame["declaration_id"].astype(str)))
        np.testing.assert_allclose(fast[columns].to_numpy(float), slow.loc[fast.index, columns].to_numpy(float),
                                   rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(screen.score(frame)["model_score"].to_numpy(),
                                      screen.model_.predict_proba(slow.loc[pd.unique(frame["declaration_id"].astype(
                                          str))])["p_fraud"].reindex(frame["declaration_id"].astype(str)).clip(0, 1)
                                      .to_numpy())
    # two days, or a declaration of the history: not the lookup path
    assert not screen._one_day(live.iloc[:400]) or live.iloc[:400]["acceptance_datetime"].dt.floor("D").nunique() == 1
    assert not screen._one_day(items.loc[when < cut].iloc[:1])


def test_without_enough_outcomes_the_screen_has_no_model_and_says_why():
    world = generate(WorldConfig(declarations=1500, seed=6))
    cut = pd.Timestamp("2025-10-01")
    items = world.declarations
    history = items.loc[pd.to_datetime(items["acceptance_datetime"]) < cut]
    screen = ModelScreen().fit(history, world.inspections.head(30), as_of=cut)
    assert screen.model_ is None
    reasons = screen.score(items.loc[pd.to_datetime(items["acceptance_datetime"]) >= cut].head(3))["model_reason"]
    assert reasons.str.startswith("not checked: no model (not enough outcomes yet").all()


def test_a_screen_fitted_during_a_day_featurises_the_rest_of_that_day_from_the_history_before_it():
    """Fitted at noon (as the web's engine is), the history holds the morning's declarations and outcomes; a
    declaration lodged that afternoon must not see them (the time rule) and takes the fast paths anyway, with
    the features of one call over the whole history."""
    world = generate(WorldConfig(declarations=3000, seed=5))
    items = world.declarations
    when = pd.to_datetime(items["acceptance_datetime"])
    noon = pd.Timestamp("2025-10-01 12:00")
    screen = ModelScreen().fit(items, world.inspections, as_of=noon)
    day = noon.floor("D")
    assert screen.snapshot_.last_day == day and (when[when < noon].dt.floor("D") == day).any()
    afternoon = items.loc[(when >= noon) & (when.dt.floor("D") == day)]
    groups = [group for _, group in afternoon.groupby("declaration_id")][:5]
    assert groups and all(screen._one_day(group) is screen.same_day_[1] for group in groups)
    columns = screen.model_.feature_names_
    for frame in [*groups, afternoon]:
        ids = pd.unique(frame["declaration_id"].astype(str))
        slow = declaration_features(pd.concat([screen.history_, frame], ignore_index=True), screen.outcomes_,
                                    as_of=noon).loc[ids, columns]
        np.testing.assert_allclose(screen.features(frame).loc[ids, columns].to_numpy(float), slow.to_numpy(float),
                                   rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(small_frame_features(frame, screen.same_day_[1]).loc[ids, columns]
                                   .to_numpy(float), slow.to_numpy(float), rtol=1e-9, atol=1e-9)
    # the counts of the whole history would be wrong for that day: the morning counts as earlier traffic there
    whole = small_frame_features(afternoon, screen.lookup_).loc[:, columns].to_numpy(float)
    assert not np.allclose(whole, small_frame_features(afternoon, screen.same_day_[1])[columns].to_numpy(float))
    # a screen fitted at midnight keeps no second count
    assert ModelScreen().fit(items, world.inspections, as_of=day).same_day_ is None


def test_a_pickled_screen_scores_missing_values_as_the_screen_it_came_from():
    """The lodging process receives the fitted engine pickled: a declaration without the optional attributes
    (payment method, carrier, procedure: missing in the generated world) must get the same features and score
    there, and missing values must still be found in the history's lookup tables."""
    import pickle

    world = generate(WorldConfig(declarations=3000, seed=5))
    items = world.declarations
    cut = pd.Timestamp("2025-10-01")
    when = pd.to_datetime(items["acceptance_datetime"])
    screen = ModelScreen().fit(items.loc[when < cut], world.inspections, as_of=cut)
    copy = pickle.loads(pickle.dumps(screen))
    live = items.loc[when >= cut]
    frame = next(group for _, group in live.groupby("declaration_id"))
    assert frame["payment_method"].isna().all()
    fast, again = small_frame_features(frame, screen.lookup_), small_frame_features(frame, copy.lookup_)
    assert fast["seen:payment_method"].iloc[0] > 0  # the history's missing payment methods, counted
    pd.testing.assert_frame_equal(fast, again)
    np.testing.assert_array_equal(screen.score(frame)["model_score"], copy.score(frame)["model_score"])
