"""Declaration features are computed as of each declaration's date: later outcomes never move them."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.targeting.features import LABEL_COLUMNS, declaration_features, feature_columns, history_totals
from smartcustoms.world import WorldConfig, generate


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=3_000, seed=3))


def test_one_row_per_declaration_with_labels(world):
    f = declaration_features(world.declarations, world.inspections)
    assert f.index.is_unique and set(f.index) == set(world.declarations["declaration_id"].astype(str))
    assert f["label_fraud"].notna().sum() == world.inspections["declaration_id"].nunique()
    assert set(f["label_fraud"].dropna().unique()) <= {0.0, 1.0}
    assert f.loc[f["label_fraud"].isna(), "label_revenue"].isna().all()
    assert not set(LABEL_COLUMNS) & set(feature_columns(f))
    assert {"chapter", "heading", "subheading", "unit_z", "te:importer_id", "te:hs6", "duty_rate",
            "log_declared_duty", "seen:importer_id", "weekday", "month"} <= set(feature_columns(f))


def test_outcomes_on_or_after_a_declarations_day_never_reach_its_features(world):
    """Flip every outcome dated on/after a cut day: features of declarations up to that day must not move.
    (This fails if a declaration could see its own outcome or a same-day/later one.)"""
    base = declaration_features(world.declarations, world.inspections)
    cut = pd.Timestamp("2025-07-01")
    flipped = world.inspections.copy()
    late = pd.to_datetime(flipped["inspection_date"]) >= cut
    assert late.any()
    flipped.loc[late, "result"] = np.where(flipped.loc[late, "result"] == "discrepancy", "no_discrepancy",
                                           "discrepancy")
    other = declaration_features(world.declarations, flipped)
    cols = feature_columns(base)
    early = base["declaration_date"] < cut + pd.Timedelta(days=1)  # declarations of the cut day included
    pd.testing.assert_frame_equal(base.loc[early, cols], other.loc[early, cols])
    # ... and they do reach later declarations (the test has teeth)
    later = base["declaration_date"] >= cut + pd.Timedelta(days=3)
    assert not base.loc[later, "te:importer_id"].equals(other.loc[later, "te:importer_id"])


def test_own_outcome_is_never_a_feature(world):
    """Flip one declaration's own outcome: none of its features may change."""
    f = declaration_features(world.declarations, world.inspections)
    target = f.index[f["label_fraud"] == 1][0]
    flipped = world.inspections.copy()
    flipped.loc[flipped["declaration_id"] == target, "result"] = "no_discrepancy"
    g = declaration_features(world.declarations, flipped)
    cols = feature_columns(f)
    pd.testing.assert_series_equal(f.loc[target, cols], g.loc[target, cols])
    assert g.loc[target, "label_fraud"] == 0


def test_as_of_hides_later_outcomes(world):
    as_of = "2025-06-01"
    f = declaration_features(world.declarations, world.inspections, as_of=as_of)
    known = world.inspections.loc[pd.to_datetime(world.inspections["inspection_date"]) < as_of, "declaration_id"]
    assert set(f.index[f["label_fraud"].notna()]) == set(known.astype(str))
    # outcomes after as_of cannot reach any feature, whatever the declaration's date
    flipped = world.inspections.copy()
    late = pd.to_datetime(flipped["inspection_date"]) >= as_of
    flipped.loc[late, "result"] = "discrepancy"
    g = declaration_features(world.declarations, flipped, as_of=as_of)
    pd.testing.assert_frame_equal(f, g)


def test_a_later_recheck_does_not_rewrite_what_earlier_declarations_saw(world):
    """A declaration controlled in March and audited again in November: the audit is a new event in November,
    it does not erase the March result for the declarations in between."""
    base = declaration_features(world.declarations, world.inspections)
    first = world.inspections.sort_values("inspection_date").iloc[len(world.inspections) // 4]
    audit = first.copy()
    audit["inspection_date"] = pd.Timestamp("2025-11-15")
    audit["result"] = "no_discrepancy" if first["result"] == "discrepancy" else "discrepancy"
    rechecked = pd.concat([world.inspections, audit.to_frame().T], ignore_index=True)
    other = declaration_features(world.declarations, rechecked)
    cols = feature_columns(base)
    between = base["declaration_date"] < pd.Timestamp("2025-11-15")
    pd.testing.assert_frame_equal(base.loc[between, cols], other.loc[between, cols])
    assert other.loc[str(first["declaration_id"]), "label_fraud"] == float(audit["result"] == "discrepancy")


def test_history_totals_give_later_declarations_the_features_of_one_call_over_everything(world):
    """`declaration_features(later, base=history_totals(history))` equals `declaration_features(history + later)` on
    the later declarations: with missing keys and values, keys new to the history, later declarations of several
    days that see each other, an outcome of a later declaration known before as_of, and later rows read as plain
    objects (as from a database)."""
    as_of = pd.Timestamp("2025-10-01")
    declarations = world.declarations.copy()
    declarations.loc[declarations.index[::17], "seller_id"] = None
    declarations.loc[declarations.index[::23], "customs_value"] = np.nan
    declarations.loc[declarations.index[::29], "quantity"] = 0
    declarations.loc[declarations.index[::31], "net_mass"] = np.nan
    when = declarations["acceptance_datetime"]
    history, later = declarations[when < as_of], declarations[when >= as_of]
    early_later = later["declaration_id"].iloc[0]
    known_early = pd.DataFrame({"declaration_id": [early_later], "inspection_date": [as_of - pd.Timedelta(days=3)],
                                "control_type": "documentary", "selection_reason": "risk", "result": "discrepancy",
                                "infringement": "undervaluation", "duty_recovered": 10.0})
    outcomes = pd.concat([world.inspections, known_early], ignore_index=True)

    totals = history_totals(history, outcomes, as_of=as_of)
    assert totals.last_day < as_of
    rows = later.astype({c: object for c in later.columns if later[c].dtype == "str"})
    fast = declaration_features(rows, outcomes, as_of=as_of, base=totals)
    slow = declaration_features(pd.concat([history, later], ignore_index=True), outcomes, as_of=as_of)
    slow = slow.loc[fast.index]
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=0, atol=1e-9)
    assert fast.loc[early_later, "label_fraud"] == 1
    # the test has teeth: new importers, several days, and without the history the features differ
    assert (~later["importer_id"].isin(history["importer_id"])).any()
    assert later["acceptance_datetime"].dt.normalize().nunique() > 30
    alone = declaration_features(later, outcomes, as_of=as_of).loc[fast.index]
    assert (alone["seen:importer_id"] < fast["seen:importer_id"]).mean() > 0.9
    assert not np.allclose(alone["unit_z"].fillna(0), fast["unit_z"].fillna(0))


def test_with_history_totals_every_declaration_must_be_later(world):
    as_of = pd.Timestamp("2025-10-01")
    history = world.declarations[world.declarations["acceptance_datetime"] < as_of]
    totals = history_totals(history, world.inspections, as_of=as_of)
    with pytest.raises(ValueError, match="dated after"):
        declaration_features(history.tail(3), world.inspections, as_of=as_of, base=totals)


def test_a_declaration_takes_its_codes_from_its_highest_value_item_and_the_highest_rate(world):
    """The main item (HS codes, origin) is the item of highest customs value, the first of equal values, a missing
    value last (the first item when none has one); the duty rate is the highest known; the same when a
    declaration's items are not next to each other."""
    first = world.declarations.drop_duplicates("declaration_id").head(3)
    items = pd.concat([first] * 3, ignore_index=True)  # three items each, interleaved: A B C A B C A B C
    items["commodity_code"] = ["0101.10", "0201.10", "0301.10", "0102.10", "0202.10", "0302.10",
                               "0103.10", "0203.10", "0303.10"]
    items["customs_value"] = [10.0, np.nan, 5.0, 30.0, np.nan, 5.0, 30.0, np.nan, np.nan]
    items["duty_rate"] = [5.0, np.nan, 1.0, 2.0, np.nan, np.nan, 8.0, np.nan, 3.0]
    f = declaration_features(items, None).loc[first["declaration_id"].astype(str)]
    assert f["subheading"].tolist() == [10210, 20110, 30110]  # 30 first of equal; all missing; 5 before missing
    assert f["duty_rate"].fillna(-1).tolist() == [8.0, -1, 3.0]
    assert f["items"].tolist() == [3, 3, 3]
