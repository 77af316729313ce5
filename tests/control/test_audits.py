"""The post-clearance audit planner: priorities, cases per importer and period, capacity, exclusions."""

import pandas as pd
import pytest

from smartcustoms.control.audits import AuditPlanError, plan_audits


def candidates(rows: list[tuple]) -> pd.DataFrame:
    """From (declaration_id, importer, acceptance, lane, risk, duty at risk, already controlled) tuples."""
    frame = pd.DataFrame(rows, columns=["declaration_id", "importer_id", "acceptance_datetime", "lane", "risk_score",
                                        "duty_at_risk", "already_controlled"])
    frame["acceptance_datetime"] = pd.to_datetime(frame["acceptance_datetime"])
    return frame


ROWS = [
    # IMP1, Q1: 0.5 x 1000 + 0.4 x 500 = 700
    ("D1", "IMP1", "2025-01-10", "green", 0.5, 1000.0, False),
    ("D2", "IMP1", "2025-03-20", "green", 0.4, 500.0, False),
    # IMP1, Q2: 0.9 x 2000 = 1800, but already controlled -> out; 0.1 x 100 = 10 left
    ("D3", "IMP1", "2025-04-02", "green", 0.9, 2000.0, True),
    ("D4", "IMP1", "2025-05-02", "green", 0.1, 100.0, False),
    # IMP2, Q1: blue 0.3 x 1000 x 1.5 = 450 + green 0.2 x 100 = 20 -> 470
    ("D5", "IMP2", "2025-02-01", "blue", 0.3, 1000.0, False),
    ("D6", "IMP2", "2025-02-15", "green", 0.2, 100.0, False),
    # IMP3, Q1: 0.8 x 1500 = 1200
    ("D7", "IMP3", "2025-01-05", "green", 0.8, 1500.0, False),
    # IMP4, Q1: red lane (controlled at the border) -> never a candidate
    ("D8", "IMP4", "2025-01-06", "red", 0.99, 9000.0, False),
]


def test_the_best_cases_by_value_are_chosen_up_to_capacity():
    selected, cases = plan_audits(candidates(ROWS), capacity_cases=2, period="quarter")
    assert cases[["importer_id", "period", "case_value"]].values.tolist() == [
        ["IMP3", "2025-Q1", pytest.approx(1200.0)],
        ["IMP1", "2025-Q1", pytest.approx(700.0)],
        ["IMP2", "2025-Q1", pytest.approx(470.0)],
        ["IMP1", "2025-Q2", pytest.approx(10.0)],
    ]
    assert cases["rank"].tolist() == [1, 2, 3, 4]
    assert cases["selected"].tolist() == [True, True, False, False]
    assert "beyond the capacity of 2" in cases["why"].iloc[2]
    # the chosen cases' declarations, grouped per importer and quarter; D3 (controlled) and D8 (red) never appear
    assert selected["declaration_id"].tolist() == ["D7", "D1", "D2"]
    assert selected["case_rank"].tolist() == [1, 2, 2]
    assert selected["priority"].tolist() == pytest.approx([1200.0, 500.0, 200.0])
    assert selected["period_start"].iloc[1] == pd.Timestamp("2025-01-01")
    assert selected["period_end"].iloc[1] == pd.Timestamp("2025-04-01")  # exclusive
    assert "0.50 x duty at stake 1,000.00 = priority 500.00" in selected["why"].iloc[1]


def test_capacity_is_never_exceeded_and_zero_means_none():
    for capacity in range(0, 6):
        _, cases = plan_audits(candidates(ROWS), capacity_cases=capacity)
        assert cases["selected"].sum() == min(capacity, 4)
    selected, cases = plan_audits(candidates(ROWS), capacity_cases=0)
    assert selected.empty and not cases["selected"].any()


def test_blue_lane_is_boosted_and_kept_below_min_duty():
    rows = [("B1", "IMP1", "2025-01-10", "blue", 0.5, 100.0, False),
            ("G1", "IMP2", "2025-01-10", "green", 0.5, 120.0, False),
            ("G2", "IMP3", "2025-01-10", "green", 0.9, 90.0, False)]
    selected, cases = plan_audits(candidates(rows), capacity_cases=3, min_duty=95.0, blue_boost=2.0)
    # B1: 0.5 x 100 x 2 = 100 beats G1: 0.5 x 120 = 60; G2 is below min_duty and green: dropped
    assert cases["importer_id"].tolist() == ["IMP1", "IMP2"]
    assert cases["case_value"].tolist() == pytest.approx([100.0, 60.0])
    assert "G2" not in set(selected["declaration_id"])
    assert "blue-lane boost 2" in selected["why"].iloc[0]


def test_months_split_a_quarter_and_ties_break_deterministically():
    rows = [("A1", "IMP2", "2025-01-10", "green", 0.5, 100.0, False),
            ("A2", "IMP2", "2025-02-10", "green", 0.5, 100.0, False),
            ("B1", "IMP1", "2025-01-20", "green", 0.5, 100.0, False)]
    _, cases = plan_audits(candidates(rows), capacity_cases=2, period="month")
    # three cases of value 50: ties go by importer, then period
    assert cases[["importer_id", "period"]].values.tolist() == [["IMP1", "2025-01"], ["IMP2", "2025-01"],
                                                                 ["IMP2", "2025-02"]]
    assert cases["selected"].tolist() == [True, True, False]
    shuffled = plan_audits(candidates(rows[::-1]), capacity_cases=2, period="month")[1]
    pd.testing.assert_frame_equal(cases, shuffled)


def test_declaration_capacity_skips_a_case_that_does_not_fit():
    selected, cases = plan_audits(candidates(ROWS), capacity_cases=3, capacity_declarations=2)
    # IMP3 Q1 (1 decl) fits, IMP1 Q1 (2 decl) would overrun the 1 left, IMP2 Q1 (2) too, IMP1 Q2 (1) fits
    assert cases["selected"].tolist() == [True, False, False, True]
    assert len(selected) <= 2
    assert "too many declarations" in cases["why"].iloc[1]


def test_as_of_leaves_later_declarations_out_and_residual_risk_is_duty_weighted():
    _, cases = plan_audits(candidates(ROWS), capacity_cases=5, as_of="2025-03-01")
    imp1 = cases[cases["importer_id"] == "IMP1"].iloc[0]
    assert imp1["declarations"] == 1  # D2 (March 20) is after as_of
    _, cases = plan_audits(candidates(ROWS), capacity_cases=5)
    imp1 = cases[(cases["importer_id"] == "IMP1") & (cases["period"] == "2025-Q1")].iloc[0]
    assert imp1["residual_risk"] == pytest.approx((0.5 * 1000 + 0.4 * 500) / 1500)
    assert imp1["duty_at_stake"] == pytest.approx(1500.0)


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(AuditPlanError, match="lack column.*duty_at_risk"):
        plan_audits(candidates(ROWS).drop(columns="duty_at_risk"), capacity_cases=1)
    with pytest.raises(AuditPlanError, match="declaration D1: risk_score must lie in 0..1"):
        plan_audits(candidates([("D1", "IMP1", "2025-01-10", "green", 1.5, 10.0, False)]), capacity_cases=1)
    with pytest.raises(AuditPlanError, match="period must be one of month, quarter"):
        plan_audits(candidates(ROWS), capacity_cases=1, period="year")
    with pytest.raises(AuditPlanError, match="capacity_cases must be a whole number"):
        plan_audits(candidates(ROWS), capacity_cases=-1)


def test_no_candidates_gives_empty_frames():
    selected, cases = plan_audits(candidates(ROWS[7:]), capacity_cases=3)  # only the red one
    assert selected.empty and cases.empty
    assert "case_value" in cases.columns and "priority" in selected.columns
