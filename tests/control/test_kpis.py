"""KPIs on small hand-made frames; every figure below is computed by hand.

Medians and 90th percentiles follow numpy's default percentile (linear between the closest ranks): for sorted
values v_0..v_{n-1}, p90 sits at position 0.9 (n - 1).
"""

from datetime import datetime

import pandas as pd
import pytest

from smartcustoms.control import kpis
from smartcustoms.control.kpis import KpiError


def at(hhmm: str, day: str = "2025-03-03") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}")


def clearance_frame() -> pd.DataFrame:
    rows = [  # declaration, office, lane, lodged, lane given, released, status
        ("A1", "O1", "green", at("08:00"), at("08:06"), at("09:06"), "released"),  # 6 min, 1 h, 1.1 h
        ("A2", "O1", "green", at("08:00"), at("08:12"), at("11:12"), "released"),  # 12 min, 3 h, 3.2 h
        ("A3", "O1", "red", at("08:00"), at("08:30"), at("18:30"), "released"),  # 30 min, 10 h, 10.5 h
        ("A4", "O1", "red", at("08:00"), at("09:00"), None, "held"),  # 60 min
        ("B1", "O2", "yellow", at("08:00"), at("08:20"), at("12:20"), "released"),  # 20 min, 4 h, 4 h 20
        ("B2", "O2", "red", at("08:00"), at("08:40", "2025-03-04"), None, "seized"),  # 24 h 40 min
    ]
    return pd.DataFrame(rows, columns=kpis.CLEARANCE)


def row(frame: pd.DataFrame, **keys) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for name, value in keys.items():
        mask &= frame[name] == value
    assert mask.sum() == 1, f"{keys}: {mask.sum()} rows"
    return frame[mask].iloc[0]


def test_release_times_per_office_and_lane_with_totals():
    table = kpis.release_times(clearance_frame())
    assert list(zip(table["office_id"], table["lane"])) == [
        ("O1", "green"), ("O1", "red"), ("O1", "all"), ("O2", "yellow"), ("O2", "red"), ("O2", "all"),
        ("all", "green"), ("all", "yellow"), ("all", "red"), ("all", "all")]
    green = row(table, office_id="O1", lane="green")  # 6, 12 min; 1, 3 h; 1.1, 3.2 h
    assert (green["declarations"], green["released"], green["held"]) == (2, 2, 0)
    assert green["lodgement_to_lane_median_min"] == pytest.approx(9)
    assert green["lodgement_to_lane_p90_min"] == pytest.approx(6 + 0.9 * 6)
    assert green["lane_to_release_median_h"] == pytest.approx(2)
    assert green["lane_to_release_p90_h"] == pytest.approx(1 + 0.9 * 2)
    assert green["lodgement_to_release_median_h"] == pytest.approx(2.15)
    assert green["lodgement_to_release_p90_h"] == pytest.approx(1.1 + 0.9 * 2.1)
    office = row(table, office_id="O1", lane="all")  # 6, 12, 30, 60 min; released 1, 3, 10 h
    assert (office["declarations"], office["released"], office["held"]) == (4, 3, 1)
    assert office["lodgement_to_lane_median_min"] == pytest.approx(21)
    assert office["lodgement_to_lane_p90_min"] == pytest.approx(30 + 0.7 * 30)  # position 2.7
    assert office["lane_to_release_median_h"] == pytest.approx(3)
    assert office["lane_to_release_p90_h"] == pytest.approx(3 + 0.8 * 7)  # position 1.8
    red = row(table, office_id="all", lane="red")  # 30, 60, 1480 min; one released, one held, one seized
    assert (red["declarations"], red["released"], red["held"], red["detained_or_seized"]) == (3, 1, 1, 1)
    assert red["lodgement_to_lane_median_min"] == pytest.approx(60)
    assert red["lane_to_release_p90_h"] == pytest.approx(10)
    total = row(table, office_id="all", lane="all")  # released 1, 3, 4, 10 h
    assert (total["declarations"], total["released"], total["held"], total["detained_or_seized"]) == (6, 4, 1, 1)
    assert total["lane_to_release_median_h"] == pytest.approx(3.5)
    assert total["lane_to_release_p90_h"] == pytest.approx(4 + 0.7 * 6)  # position 2.7


def test_release_times_leave_out_the_times_of_a_row_out_of_order_and_report_it():
    bad = clearance_frame()
    bad.loc[bad["declaration_id"] == "A2", "released_at"] = at("08:00")
    # a declaration accepted a few seconds in the future: its lane came "before" its lodging
    bad.loc[bad["declaration_id"] == "A1", "lodged_at"] = bad.loc[bad["declaration_id"] == "A1", "lane_at"] \
        + pd.Timedelta(seconds=5)
    table = kpis.release_times(bad)
    total = row(table, office_id="all", lane="all")
    assert total["declarations"] == 6  # still counted...
    durations = kpis.release_durations(bad).set_index("declaration_id")
    assert durations.loc[["A1", "A2"], ["lodgement_to_lane_min", "lane_to_release_h"]].isna().all().all()
    problems = kpis.data_problems(bad)  # ...and named
    assert sorted(problems["id"]) == ["A1", "A2"] and set(problems["table"]) == {"declaration"}
    assert problems.set_index("id").loc["A2", "problem"].startswith("released_at")
    assert kpis.data_problems(clearance_frame()).empty
    assert list(kpis.summary(bad)["data_problems"]["id"]) == list(problems["id"])


def test_release_times_refuse_missing_columns():
    with pytest.raises(KpiError, match=r"clearance: missing column\(s\) \['lane_at'\]"):
        kpis.release_times(clearance_frame().drop(columns="lane_at"))


def test_release_times_of_nothing_is_one_empty_total_row():
    table = kpis.release_times(kpis.empty(kpis.CLEARANCE))
    assert len(table) == 1 and table.iloc[0]["declarations"] == 0
    assert pd.isna(table.iloc[0]["lane_to_release_median_h"])


def test_lanes_per_day_counts_by_the_day_the_lane_was_given():
    table = kpis.lanes_per_day(clearance_frame())
    assert [(str(r.day.date()), r.lane, r.declarations) for r in table.itertuples()] == [
        ("2025-03-03", "green", 2), ("2025-03-03", "yellow", 1), ("2025-03-03", "red", 2),
        ("2025-03-04", "red", 1)]


def tasks_and_events() -> tuple[pd.DataFrame, pd.DataFrame]:
    tasks = pd.DataFrame({"task_id": [1, 2, 3, 4, 5], "declaration_id": ["A3", "A4", "B1", "B2", "A2"],
                          "office_id": ["O1", "O1", "O2", "O2", "O1"],
                          "mode": ["physical", "physical", "remote", "remote", "documentary"],
                          "state": ["completed", "completed", "completed", "scheduled", "completed"],
                          "source": ["model", "model", "profile", "random", "screen"],
                          "created_at": at("08:00")})
    events = pd.DataFrame([
        (1, "created", at("08:00")), (1, "scheduled", at("09:00")), (1, "in_progress", at("10:00")),
        (1, "completed", at("13:00")),  # 4 h
        (2, "scheduled", at("09:00")), (2, "scheduled", at("12:00")), (2, "completed", at("17:00")),  # 8 h
        (3, "scheduled", at("09:00")), (3, "completed", at("10:00")),  # 1 h
        (4, "scheduled", at("09:00")),  # still open
        (5, "in_progress", at("09:00")), (5, "completed", at("09:30")),  # documentary: no scheduling, 0.5 h
    ], columns=["task_id", "to_state", "at"])
    return tasks, events


def test_control_times_from_scheduling_to_completion_by_mode():
    table = kpis.control_times(*tasks_and_events())
    assert table["mode"].tolist() == ["physical", "remote", "documentary", "all"]
    assert table["setting"].tolist() == ["on site", "remote", "desk", "all"]
    physical = row(table, mode="physical")  # 4 and 8 h: the first scheduling counts
    assert (physical["tasks"], physical["completed"], physical["open"]) == (2, 2, 0)
    assert physical["scheduled_to_completed_median_h"] == pytest.approx(6)
    assert physical["scheduled_to_completed_p90_h"] == pytest.approx(4 + 0.9 * 4)
    remote = row(table, mode="remote")
    assert (remote["tasks"], remote["completed"], remote["open"]) == (2, 1, 1)
    assert remote["scheduled_to_completed_median_h"] == pytest.approx(1)
    assert row(table, mode="documentary")["scheduled_to_completed_median_h"] == pytest.approx(0.5)
    total = row(table, mode="all")  # 0.5, 1, 4, 8 h
    assert (total["tasks"], total["completed"], total["open"]) == (5, 4, 1)
    assert total["scheduled_to_completed_median_h"] == pytest.approx(2.5)
    assert total["scheduled_to_completed_p90_h"] == pytest.approx(4 + 0.7 * 4)


def test_control_times_leave_out_a_completion_before_scheduling_and_report_it():
    tasks, events = tasks_and_events()
    events.loc[(events["task_id"] == 3) & (events["to_state"] == "completed"), "at"] = at("08:00")
    table = kpis.control_times(tasks, events)
    assert row(table, mode="all")["completed"] == 4  # counted, without a time
    assert kpis.control_durations(tasks, events).set_index("task_id").loc[3, "scheduled_to_completed_h"] != \
        kpis.control_durations(tasks, events).set_index("task_id").loc[3, "scheduled_to_completed_h"]  # NaN
    problems = kpis.data_problems(kpis.empty(kpis.CLEARANCE), tasks, events)
    assert list(problems["id"]) == ["3"] and problems["problem"].iloc[0].startswith("completed_at")


def decisions_frame() -> pd.DataFrame:
    rows = [  # declaration, lane, final lane, source, random
        ("A1", "green", "green", "none", False),
        ("A2", "green", "red", "none", False),  # an officer's override into control
        ("A3", "red", "red", "model", False),
        ("A4", "red", "red", "model", False),
        ("B1", "yellow", "yellow", "profile", False),
        ("B2", "red", "red", "screen", True),  # drawn by the random sample
        ("C1", "blue", "blue", "profile", False),  # released, audited later: not a selection
        ("C2", "red", "green", "model", False),  # released by an officer: not a selection
    ]
    frame = pd.DataFrame(rows, columns=["declaration_id", "lane", "final_lane", "source", "random"])
    return frame.assign(assessed_at=at("08:00"))


def outcomes_frame() -> pd.DataFrame:
    rows = [  # declaration, date, control type, reason, result, duty, penalty, task, case
        ("A3", "2025-03-03", "physical", "risk", "discrepancy", 100.0, 10.0, 1, None),
        ("A4", "2025-03-05", "physical", "risk", "no_discrepancy", 0.0, None, 2, None),
        ("B1", "2025-03-10", "remote", "risk", "discrepancy", 50.0, None, 3, None),
        ("B2", "2025-03-12", "remote", "random", "no_discrepancy", 0.0, None, None, None),
        ("A2", "2025-03-31", "documentary", "risk", "discrepancy", 30.0, None, None, None),
        ("C1", "2025-04-02", "audit", "audit", "discrepancy", 200.0, 20.0, None, 1),
    ]
    frame = pd.DataFrame(rows, columns=kpis.OUTCOMES)
    return frame.assign(inspection_date=pd.to_datetime(frame["inspection_date"]))


def test_selection_source_marks_random_draws_and_overrides_into_control():
    assert kpis.selection_source(decisions_frame()).tolist() == [
        "none", "override", "model", "model", "profile", "random", "profile", "model"]


def test_hit_rates_by_selection_source():
    table = kpis.hit_rates(decisions_frame(), outcomes_frame())
    assert table["source"].tolist() == ["model", "profile", "random", "override", "audit", "all"]
    model = row(table, source="model")  # 2 of 5 selections; A3 found 100 (+10 penalty), A4 nothing
    assert (model["selections"], model["controls"], model["hits"]) == (2, 2, 1)
    assert model["selection_share"] == pytest.approx(0.4)
    assert model["hit_rate"] == pytest.approx(0.5)
    assert (model["duty_recovered"], model["penalties"], model["duty_per_control"]) == (100, 10, 50)
    assert row(table, source="random")["hit_rate"] == 0
    assert row(table, source="override")["duty_recovered"] == 30
    audit = row(table, source="audit")  # chosen apart from the lanes: no selections to count
    assert pd.isna(audit["selections"]) and (audit["controls"], audit["hits"], audit["penalties"]) == (1, 1, 20)
    total = row(table, source="all")
    assert (total["selections"], total["controls"], total["hits"]) == (5, 6, 4)
    assert total["hit_rate"] == pytest.approx(4 / 6)
    assert (total["duty_recovered"], total["penalties"]) == (380, 30)


def test_outcomes_of_unselected_declarations_take_the_task_source_then_their_own_reason():
    outcomes = pd.concat([outcomes_frame(), pd.DataFrame([
        {"declaration_id": "A1", "inspection_date": at("10:00"), "result": "discrepancy", "duty_recovered": 5.0,
         "task_id": 5, "control_type": "documentary", "selection_reason": "risk"},
        {"declaration_id": "Z2", "inspection_date": at("10:00"), "result": "no_discrepancy",
         "duty_recovered": 0.0, "control_type": "physical", "selection_reason": "risk"}])], ignore_index=True)
    tasks, _ = tasks_and_events()
    attributed = kpis.attribute_outcomes(outcomes, decisions_frame(), tasks, clearance_frame())
    assert attributed["source"].tolist() == ["model", "model", "profile", "random", "override", "audit", "screen",
                                             "risk"]
    assert attributed["office_id"].tolist() == ["O1", "O1", "O2", "O2", "O1", "unknown", "O1", "unknown"]
    assert attributed["hit"].tolist() == [True, False, True, False, True, True, True, False]
    assert attributed["month"].tolist()[-3:] == ["2025-04", "2025-03", "2025-03"]


def test_model_share_counts_only_red_and_yellow():
    share = kpis.model_share(decisions_frame()).iloc[0]
    assert (share["selections"], share["model_selections"]) == (5, 2)
    assert share["model_share"] == pytest.approx(0.4)
    assert pd.isna(kpis.model_share(decisions_frame().iloc[:1]).iloc[0]["model_share"])  # no selections


def test_revenue_by_source_office_and_month():
    attributed = kpis.attribute_outcomes(outcomes_frame(), decisions_frame(), clearance=clearance_frame())
    by_office = kpis.revenue(attributed, "office_id")
    assert by_office["office_id"].tolist() == ["O1", "O2", "unknown", "all"]
    assert by_office["duty_recovered"].tolist() == [130, 50, 200, 380]
    assert by_office["penalties"].tolist() == [10, 0, 20, 30]
    assert by_office["controls"].tolist() == [3, 2, 1, 6]
    by_month = kpis.revenue(attributed, ["month", "source"])
    assert list(zip(by_month["month"], by_month["source"], by_month["duty_recovered"])) == [
        ("2025-03", "model", 100), ("2025-03", "profile", 50), ("2025-03", "random", 0),
        ("2025-03", "override", 30), ("2025-04", "audit", 200), ("all", "all", 380)]
    with pytest.raises(KpiError, match=r"missing column\(s\) \['source', 'hit'\]"):
        kpis.revenue(outcomes_frame(), "source")


def test_weekly_hit_rates_start_on_monday():
    attributed = kpis.attribute_outcomes(outcomes_frame(), decisions_frame())
    table = kpis.weekly(attributed)
    got = [(str(r.week.date()), r.source, r.controls, r.hits) for r in table.itertuples()]
    assert got == [
        ("2025-03-03", "model", 2, 1), ("2025-03-03", "all", 2, 1),
        ("2025-03-10", "profile", 1, 1), ("2025-03-10", "random", 1, 0), ("2025-03-10", "all", 2, 1),
        ("2025-03-31", "override", 1, 1), ("2025-03-31", "audit", 1, 1), ("2025-03-31", "all", 2, 2)]
    assert table["hit_rate"].tolist() == [0.5, 0.5, 1, 0, 0.5, 1, 1, 1]


def test_summary_holds_every_table_and_copes_with_missing_inputs():
    tasks, events = tasks_and_events()
    tables = kpis.summary(clearance_frame(), tasks, events, decisions_frame(), outcomes_frame())
    assert set(tables) == {"release_times", "lanes_per_day", "control_times", "hit_rates", "model_share",
                           "revenue_by_source", "revenue_by_office", "revenue_by_month", "revenue_by_month_and_source",
                           "weekly_hit_rates", "data_problems"}
    assert tables["revenue_by_source"].iloc[-1]["duty_recovered"] == 380
    assert tables["revenue_by_month"]["duty_recovered"].tolist() == [180, 200, 380]
    bare = kpis.summary(clearance_frame())
    assert bare["hit_rates"]["source"].tolist() == ["all"] and bare["weekly_hit_rates"].empty
    assert row(bare["control_times"], mode="all")["tasks"] == 0
