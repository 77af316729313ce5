"""Profile and source performance from decisions and outcomes (hand-made frames, hand-computed figures)."""

import json
import math

import pandas as pd
import pytest

from smartcustoms.control.feedback import profile_hits, profile_performance, source_performance

AS_OF = pd.Timestamp("2025-12-31")  # with 180 days, the window starts on 2025-07-04


def decision(declaration_id: str, profiles: list[tuple[str, int]], lane="red", source="profile", random=False,
             final_lane=None) -> dict:
    explanation = {"lane": lane, "profiles": [{"id": p, "version": v, "lane": lane, "matched": "x"}
                                              for p, v in profiles]}
    return {"declaration_id": declaration_id, "lane": lane, "final_lane": final_lane or lane, "source": source,
            "random": random, "explanation": json.dumps(explanation)}


def outcomes(rows: list[tuple]) -> pd.DataFrame:
    """From (declaration_id, inspection date, found?, duty recovered) tuples."""
    return pd.DataFrame({
        "declaration_id": [r[0] for r in rows], "inspection_date": pd.to_datetime([r[1] for r in rows]),
        "control_type": "physical", "selection_reason": "profile",
        "result": ["discrepancy" if r[2] else "no_discrepancy" for r in rows],
        "infringement": ["valuation" if r[2] else "" for r in rows], "duty_recovered": [float(r[3]) for r in rows],
    })


DECISIONS = pd.DataFrame([
    decision("D01", [("P-OLD", 1)]),
    decision("D02", [("P-OLD", 2)]),
    decision("D03", [("P-OLD", 2), ("P-GOOD", 1)]),
    decision("D04", [("P-GOOD", 1)]),
    decision("D05", [("P-GOOD", 1)]),
    decision("D06", [("P-GOOD", 1)]),
    decision("D07", [("P-NEW", 1)]),
    decision("D08", [("P-NEW", 1)]),
    decision("D09", [("P-NEVER", 1)]),
    decision("D10", [("P-NEVER", 1)]),
    decision("D11", [("P-NEVER", 1)]),
    decision("D12", [("P-NEVER", 1)]),
    decision("D13", [], source="screen"),
])
OUTCOMES = outcomes([
    ("D01", "2025-02-01", True, 300), ("D02", "2025-09-01", False, 0), ("D03", "2025-10-01", False, 0),
    ("D04", "2025-03-01", False, 0), ("D05", "2025-11-01", True, 500), ("D05", "2025-11-20", True, 100),
    ("D06", "2026-01-15", True, 1000),  # after as_of: not known yet
    ("D07", "2025-12-01", False, 0), ("D08", "2025-12-10", False, 0),
    ("D09", "2025-08-01", False, 0), ("D10", "2025-09-01", False, 0), ("D11", "2025-10-01", False, 0),
    ("D13", "2025-06-01", True, 50),
])


def test_profile_hits_explodes_the_explanation():
    hits = profile_hits(DECISIONS)
    assert len(hits) == 13  # 12 declarations, D03 hit by two profiles, D13 by none
    assert hits[hits["declaration_id"] == "D03"]["profile_id"].tolist() == ["P-OLD", "P-GOOD"]
    assert hits[hits["declaration_id"] == "D02"]["profile_version"].tolist() == [2]


def test_profile_performance_counts_and_rates():
    table = profile_performance(DECISIONS, OUTCOMES, as_of=AS_OF, retire_after_days=180,
                                min_selections=3).set_index("profile_id")
    good = table.loc["P-GOOD"]
    # D03, D04, D05, D06 selected; D06's outcome comes after as_of; D05 counts once with both its outcomes
    assert (good["selections"], good["controls"], good["hits"]) == (4, 3, 1)
    assert good["hit_rate"] == pytest.approx(1 / 3)
    assert good["duty_recovered"] == pytest.approx(600.0)
    assert good["duty_per_control"] == pytest.approx(200.0)
    assert good["last_hit"] == pd.Timestamp("2025-11-20")
    old = table.loc["P-OLD"]
    assert (old["selections"], old["controls"], old["hits"], old["versions"]) == (3, 3, 1, "1,2")
    assert old["duty_recovered"] == pytest.approx(300.0)
    never = table.loc["P-NEVER"]
    assert (never["selections"], never["controls"], never["hits"], never["hit_rate"]) == (4, 3, 0, 0.0)
    assert set(table.index) == {"P-OLD", "P-GOOD", "P-NEW", "P-NEVER"}


def test_retire_suggestion_fires_without_a_hit_in_the_window_and_not_for_a_hit():
    table = profile_performance(DECISIONS, OUTCOMES, as_of=AS_OF, retire_after_days=180,
                                min_selections=3).set_index("profile_id")
    # P-OLD hit in February only; two misses since July: stale
    assert table.loc["P-OLD", "suggest_retire"]
    assert "no hit in the last 180 days despite 2 control(s)" in table.loc["P-OLD", "why"]
    # P-GOOD hit in November
    assert not table.loc["P-GOOD", "suggest_retire"]
    assert "keep" in table.loc["P-GOOD", "why"]
    # P-NEVER: three controls, no hit, min_selections 3
    assert table.loc["P-NEVER", "suggest_retire"]
    assert "no hit in 3 controls" in table.loc["P-NEVER", "why"]
    # P-NEW started in December: two misses are too few to judge
    assert not table.loc["P-NEW", "suggest_retire"]
    assert "too early" in table.loc["P-NEW", "why"]
    # a longer window reaches back to P-OLD's February hit; a higher minimum spares P-NEVER
    longer = profile_performance(DECISIONS, OUTCOMES, as_of=AS_OF, retire_after_days=365,
                                 min_selections=4).set_index("profile_id")
    assert not longer.loc["P-OLD", "suggest_retire"]
    assert not longer.loc["P-NEVER", "suggest_retire"]


def test_profile_performance_accepts_the_exploded_frame_and_empty_input():
    same = profile_performance(profile_hits(DECISIONS), OUTCOMES, as_of=AS_OF, min_selections=3)
    direct = profile_performance(DECISIONS, OUTCOMES, as_of=AS_OF, min_selections=3)
    pd.testing.assert_frame_equal(same, direct)
    empty = profile_performance(DECISIONS[DECISIONS["declaration_id"] == "D13"], OUTCOMES, as_of=AS_OF)
    assert empty.empty and "suggest_retire" in empty.columns
    with pytest.raises(ValueError, match="retire_after_days must be > 0"):
        profile_performance(DECISIONS, OUTCOMES, as_of=AS_OF, retire_after_days=0)


def test_source_performance_counts_only_selected_declarations():
    decisions = pd.DataFrame([
        decision("S1", [], lane="red", source="model"),
        decision("S2", [], lane="yellow", source="model"),
        decision("S3", [], lane="green", source="model"),  # released: its audit is not the model's selection
        decision("S4", [], lane="red", source="none", random=True),
        decision("S5", [("P-X", 1)], lane="red", source="profile", final_lane="green"),  # overridden to green
        decision("S6", [], lane="yellow", source="screen"),
    ])
    found = outcomes([("S1", "2025-03-01", True, 100), ("S2", "2025-03-02", False, 0),
                      ("S3", "2025-06-01", True, 50), ("S4", "2025-03-03", False, 0), ("S5", "2025-03-04", True, 70)])
    table = source_performance(decisions, found).set_index("source")
    assert list(table.index) == ["model", "random", "screen"]
    model = table.loc["model"]
    assert (model["selections"], model["controls"], model["hits"]) == (2, 2, 1)
    assert model["hit_rate"] == pytest.approx(0.5)
    assert (model["duty_recovered"], model["duty_per_control"]) == (pytest.approx(100.0), pytest.approx(50.0))
    assert (table.loc["random", "controls"], table.loc["random", "hits"]) == (1, 0)
    assert table.loc["screen", "controls"] == 0 and math.isnan(table.loc["screen", "hit_rate"])
    early = source_performance(decisions, found, as_of="2025-03-01").set_index("source")
    assert early.loc["model", "controls"] == 1  # S2's outcome is dated after as_of
