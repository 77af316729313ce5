"""Item-level screen outputs and profile hits gathered per declaration."""

import numpy as np
import pandas as pd

from smartcustoms.risk.signals import profile_signals, screen_signals

ITEMS = pd.DataFrame({"declaration_id": ["A", "A", "B", "C", "C", "C"]})
SCORES = pd.DataFrame({
    "valuation_score": [0.2, 0.9, np.nan, 0.1, np.nan, 0.3],
    "valuation_duty_at_risk": [50.0, 200.0, 0.0, 10.0, 0.0, 30.0],
    "valuation_reason": ["", "below P10: reason to doubt", "not checked: no reference", "", "not checked: unit",
                         "below P10: reason to doubt"],
})


def test_highest_score_flagged_duty_and_reasons_per_declaration():
    out = screen_signals(ITEMS, SCORES, ["valuation"])
    assert out.index.tolist() == ["A", "B", "C"]
    assert out["valuation_score"].tolist()[0] == 0.9 and np.isnan(out.loc["B", "valuation_score"])
    assert out["valuation_duty_at_risk"].tolist() == [200.0, 0.0, 30.0]  # only flagged items count
    assert out.loc["B", "valuation_not_checked"] == "not checked: no reference"
    assert out.loc["C", "valuation_reason"] == "below P10: reason to doubt"


NOTE = {"code": "valuation.not_checked.few_imports", "params": {"min": 20}}
DUTY = {"code": "valuation.not_checked.missing", "params": {"check": "duty", "fields": ["duty_rate"]}}
FINDING = {"code": "valuation.low", "params": {}}


def test_coded_notes_of_skipped_and_flagged_items_go_apart_from_the_findings():
    """The "not checked" notes as codes, per declaration: those of items that could not be checked and those that a
    flagged item's reason carries after its findings; the findings' codes stay in `<name>_codes`."""
    scores = SCORES.assign(valuation_codes=[None, [FINDING, DUTY], [NOTE], None, [NOTE], [FINDING]])
    out = screen_signals(ITEMS, scores, ["valuation"])
    assert out["valuation_codes"].tolist() == [[FINDING], None, [FINDING]]
    assert out["valuation_not_checked_codes"].tolist() == [[DUTY], [NOTE], [NOTE]]
    assert out.loc["B", "valuation_not_checked"] == "not checked: no reference"  # the English text as before
    plain = screen_signals(ITEMS, SCORES, ["valuation"])  # a screen without codes: no column of them
    assert "valuation_not_checked_codes" not in plain and "valuation_codes" not in plain


def test_one_declaration_alone_gives_its_row_of_the_batch():
    batch = screen_signals(ITEMS, SCORES, ["valuation"])
    for declaration_id in "ABC":
        rows = ITEMS["declaration_id"] == declaration_id
        alone = screen_signals(ITEMS[rows], SCORES[rows], ["valuation"])
        pd.testing.assert_frame_equal(alone, batch.loc[[declaration_id]], check_dtype=False)


def test_profile_hits_give_the_strongest_lane_weights_force_and_lists():
    hits = pd.DataFrame({
        "row": [0, 1, 2, 3, 5], "profile_id": ["P1", "P1", "P2", "P3", "P4"], "version": [1, 1, 2, 1, 1],
        "lane": ["yellow", "yellow", "red", "red", "blue"], "weight": [40.0, 40.0, 90.0, 60.0, 20.0],
        "force": [False, False, True, False, False], "shadow": [False, False, False, True, False],
        "suppressed": [False, False, False, False, False], "matched": ["m1", "m1", "m2", "m3", "m4"],
    })
    out = profile_signals(ITEMS, hits)
    assert out["profile_lane"].tolist() == ["yellow", "red", "blue"]
    assert out["profile_weight"].tolist() == [40.0, 90.0, 20.0]
    assert out["profile_red_weight"].tolist() == [0.0, 90.0, 0.0]
    assert out["profile_force"].tolist() == [False, True, False]
    assert out["profile_key"].tolist() == ["P1", "P2", ""]  # blue asks for no control
    assert out.loc["A", "profiles"] == [{"id": "P1", "version": 1, "lane": "yellow", "matched": "m1"}]
    assert out.loc["C", "shadow_profiles"][0]["id"] == "P3" and out.loc["C", "profile_lane"] == "blue"
    assert pd.isna(out.loc["B", "shadow_profiles"])
