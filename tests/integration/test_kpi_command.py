"""`smartcustoms kpi` and the frames it loads, on a small scenario inserted row by row (figures by hand).

March 2025, two offices. O1: A1 green (released after 1 h, later audited: 200 found, penalty 20), A2 red by
the model (physical control 4 h, 100 found, penalty 10; released 10 h after the lane), A3 red by a profile
(remote control 1 h, nothing found; still held). O2: B1 yellow by the random sample (documentary control
2.5 h, 50 found; released after 4 h). April: E1 green at O1.
"""

import csv
import xml.etree.ElementTree as ET
from datetime import datetime

import pandas as pd
import pytest
import typer
from sqlalchemy import insert
from typer.testing import CliRunner

from smartcustoms.cli.kpi import kpi_command
from smartcustoms.control.kpis import KpiError
from smartcustoms.control.service import kpi_frames as load_kpi_frames
from smartcustoms.control.tables import audit_case_declarations, audit_cases, clearance, outcomes, task_events, tasks
from smartcustoms.risk.repository import assessments, decisions, overrides
from smartcustoms.settings import get_settings


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2025-{text}")


def seed(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(clearance), [
            {"declaration_id": "A1", "office_id": "O1", "lane": "green", "lodged_at": at("03-03 08:00"),
             "lane_at": at("03-03 08:06"), "released_at": at("03-03 09:06"), "status": "released"},
            {"declaration_id": "A2", "office_id": "O1", "lane": "red", "lodged_at": at("03-03 08:00"),
             "lane_at": at("03-03 08:30"), "released_at": at("03-03 18:30"), "status": "released"},
            {"declaration_id": "A3", "office_id": "O1", "lane": "red", "lodged_at": at("03-04 08:00"),
             "lane_at": at("03-04 09:00"), "released_at": None, "status": "held"},
            {"declaration_id": "B1", "office_id": "O2", "lane": "yellow", "lodged_at": at("03-05 08:00"),
             "lane_at": at("03-05 08:20"), "released_at": at("03-05 12:20"), "status": "released"},
            {"declaration_id": "E1", "office_id": "O1", "lane": "green", "lodged_at": at("04-10 08:00"),
             "lane_at": at("04-10 08:10"), "released_at": at("04-10 08:40"), "status": "released"},
        ])
        for day, rows in (("03-03 07:59", [("A1", "green", "none", False), ("A2", "red", "model", False)]),
                          ("03-04 07:59", [("A3", "red", "profile", False)]),
                          ("03-05 07:59", [("B1", "yellow", "screen", True)]),
                          ("04-10 07:59", [("E1", "green", "none", False), ("Z9", "red", "model", False)])):
            assessment = conn.execute(insert(assessments).values(
                assessed_at=at(day), actor="batch", settings_version="t", settings="{}", profile_versions="{}",
                declarations=len(rows)).returning(assessments.c.assessment_id)).scalar_one()
            conn.execute(insert(decisions), [
                {"assessment_id": assessment, "declaration_id": d, "lane": lane, "source": source, "random": random,
                 "risk_score": 0.5, "duty_at_risk": 10.0, "explanation": "{}"} for d, lane, source, random in rows])
        z9 = conn.execute(decisions.select().where(decisions.c.declaration_id == "Z9")).one().decision_id
        conn.execute(insert(overrides).values(decision_id=z9, lane="green", reason="goods already seen", officer="o1",
                                              at=at("04-10 08:00")))  # an officer released it: no selection
        conn.execute(insert(tasks), [
            {**row, "reasons": "[]", "checklist": "[]", "due_at": row["created_at"], "updated_at": row["created_at"],
             "version": 1} for row in (
                {"task_id": 1, "declaration_id": "A2", "office_id": "O1", "lane": "red", "mode": "physical",
                 "state": "completed", "source": "model", "created_at": at("03-03 08:30")},
                {"task_id": 2, "declaration_id": "A3", "office_id": "O1", "lane": "red", "mode": "remote",
                 "state": "completed", "source": "profile", "created_at": at("03-04 09:00")},
                {"task_id": 3, "declaration_id": "B1", "office_id": "O2", "lane": "yellow", "mode": "documentary",
                 "state": "completed", "source": "random", "created_at": at("03-05 08:20")})])
        conn.execute(insert(task_events), [
            {"task_id": task, "from_state": None, "to_state": state, "actor": "officer", "at": at(moment)}
            for task, state, moment in (
                (1, "created", "03-03 08:30"), (1, "scheduled", "03-03 09:00"), (1, "completed", "03-03 13:00"),
                (2, "scheduled", "03-04 10:00"), (2, "completed", "03-04 11:00"),
                (3, "in_progress", "03-05 09:00"), (3, "completed", "03-05 11:30"))])
        conn.execute(insert(audit_cases).values(
            case_id=1, importer_id="IMP1", period_start=at("01-01 00:00"), period_end=at("03-31 00:00"),
            state="closed", residual_risk=0.4, duty_at_stake=500.0, planned_by="planner",
            planned_at=at("03-10 09:00")))
        conn.execute(insert(audit_case_declarations).values(case_id=1, declaration_id="A1"))
        conn.execute(insert(outcomes), [
            {"declaration_id": d, "inspection_date": at(day), "control_type": kind, "selection_reason": reason,
             "result": result, "duty_recovered": duty, "penalty": penalty, "task_id": task, "case_id": case}
            for d, day, kind, reason, result, duty, penalty, task, case in (
                ("A2", "03-03 00:00", "physical", "model", "discrepancy", 100.0, 10.0, 1, None),
                ("A3", "03-04 00:00", "remote", "profile", "no_discrepancy", 0.0, None, 2, None),
                ("B1", "03-05 00:00", "documentary", "random", "discrepancy", 50.0, None, 3, None),
                ("A1", "03-20 00:00", "audit", "audit", "discrepancy", 200.0, 20.0, None, 1))])


def test_frames_follow_the_period_and_the_office(engine):
    seed(engine)
    march = load_kpi_frames(engine, since=datetime(2025, 3, 1).date(), until=datetime(2025, 3, 31).date())
    assert sorted(march["clearance"]["declaration_id"]) == ["A1", "A2", "A3", "B1"]
    assert sorted(march["decisions"]["declaration_id"]) == ["A1", "A2", "A3", "B1"]
    assert sorted(march["tasks"]["task_id"]) == [1, 2, 3] and len(march["events"]) == 7
    assert sorted(march["outcomes"]["declaration_id"]) == ["A1", "A2", "A3", "B1"]
    everything = load_kpi_frames(engine)
    assert len(everything["clearance"]) == 5
    z9 = everything["decisions"].set_index("declaration_id").loc["Z9"]
    assert (z9["lane"], z9["final_lane"]) == ("red", "green")  # the override counts
    o2 = load_kpi_frames(engine, office="O2")
    assert o2["clearance"]["declaration_id"].tolist() == ["B1"]
    assert o2["decisions"]["declaration_id"].tolist() == ["B1"]
    assert o2["tasks"]["task_id"].tolist() == [3] and o2["events"]["task_id"].tolist() == [3, 3]
    assert o2["outcomes"]["declaration_id"].tolist() == ["B1"]
    with pytest.raises(KpiError, match="the period is empty"):
        load_kpi_frames(engine, since=datetime(2025, 4, 1).date(), until=datetime(2025, 3, 1).date())


def test_frames_as_of_a_moment_see_nothing_later(engine):
    seed(engine)
    noon = load_kpi_frames(engine, as_of=at("03-03 12:00"))
    cleared = noon["clearance"].set_index("declaration_id")
    assert sorted(cleared.index) == ["A1", "A2"]  # A3 and B1 had no lane yet
    assert cleared.loc["A2", "status"] == "held" and pd.isna(cleared.loc["A2", "released_at"])
    assert cleared.loc["A1", "status"] == "released"
    assert noon["events"]["to_state"].tolist() == ["created", "scheduled"]  # completed at 13:00
    assert noon["outcomes"]["declaration_id"].tolist() == ["A2"]
    assert sorted(noon["decisions"]["declaration_id"]) == ["A1", "A2"]


@pytest.fixture
def kpi(engine, monkeypatch):
    """Run `smartcustoms kpi ARGS` against the test database."""
    seed(engine)
    monkeypatch.setenv("SMARTCUSTOMS_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    app = typer.Typer()
    app.command()(kpi_command)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args), env={"COLUMNS": "220"})
    get_settings.cache_clear()


def line(output: str, *cells: str) -> list[str]:
    """The cells of the first table row that starts with the given cells."""
    for text in output.splitlines():
        row = [c.strip() for c in text.strip("│ ").split("│")]
        if row[:len(cells)] == list(cells):
            return row
    raise AssertionError(f"no row {cells} in:\n{output}")


def test_kpi_prints_every_table_with_hand_computed_figures(kpi):
    result = kpi("--since", "2025-03-01", "--until", "2025-03-31")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "KPIs of the declarations lodged from 2025-03-01 to 2025-03-31" in out
    # released: lane -> release 1, 10, 4 h; lodgement -> release 1.1, 10.5, 4.33 h
    assert line(out, "all", "all") == ["all", "all", "4", "3", "1", "0", "25.0 / 51.0", "4.00 / 8.80",
                                       "4.33 / 9.27"]
    assert line(out, "O1", "red")[2:7] == ["2", "1", "1", "0", "45.0 / 57.0"]
    assert line(out, "physical", "on site") == ["physical", "on site", "1", "1", "0", "4.00 / 4.00"]
    assert line(out, "documentary", "desk")[-1] == "2.50 / 2.50"
    assert line(out, "all", "all", "3")[-1] == "2.50 / 3.70"  # control times: 1, 2.5, 4 h
    assert line(out, "model") == ["model", "1", "33.3%", "1", "1", "100.0%", "100.00", "10.00", "100.00"]
    assert line(out, "profile")[3:6] == ["1", "0", "0.0%"]
    assert line(out, "audit") == ["audit", "–", "–", "1", "1", "100.0%", "200.00", "20.00", "200.00"]
    assert line(out, "all", "3") == ["all", "3", "100.0%", "4", "3", "75.0%", "350.00", "30.00", "87.50"]
    assert "Selections made by models: 1 of 3 (33.3%)" in out
    assert line(out, "O1", "3") == ["O1", "3", "2", "300.00", "30.00"]
    assert line(out, "2025-03") == ["2025-03", "4", "3", "350.00", "30.00"]


def test_kpi_writes_csv_files_and_charts(kpi, tmp_path):
    result = kpi("--since", "2025-03-01", "--until", "2025-03-31", "--office", "O1", "--csv", str(tmp_path / "csv"),
                 "--charts", str(tmp_path / "charts"), "--format", "svg")
    assert result.exit_code == 0, result.output
    assert "wrote 11 CSV files" in result.stdout and "wrote 5 SVG charts" in result.stdout
    with open(tmp_path / "csv" / "hit_rates.csv", newline="") as file:
        rows = {row["source"]: row for row in csv.DictReader(file)}
    assert list(rows) == ["model", "profile", "audit", "all"]  # O1 only: B1 (random, O2) is out
    assert (rows["model"]["controls"], rows["model"]["hits"], rows["model"]["duty_recovered"]) == ("1", "1",
                                                                                                 "100.0000")
    assert rows["all"]["selections"] == "2" and rows["audit"]["selections"] == ""
    with open(tmp_path / "csv" / "release_times.csv", newline="") as file:
        total = [row for row in csv.DictReader(file) if row["office_id"] == row["lane"] == "all"][0]
    assert (total["declarations"], total["held"], total["lane_to_release_median_h"]) == ("3", "1", "5.5000")
    charts = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert charts == ["control_times.svg", "hit_rates.svg", "lanes_per_day.svg", "release_times.svg",
                      "revenue.svg"]
    revenue = ET.parse(tmp_path / "charts" / "revenue.svg").getroot()
    assert "Duty recovered per month by selection source" in "".join(revenue.itertext())


def test_kpi_png_charts(kpi, tmp_path):
    result = kpi("--charts", str(tmp_path), "--since", "2025-03-01")
    assert result.exit_code == 0, result.output
    for path in tmp_path.glob("*.png"):
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 10_000
    assert len(list(tmp_path.glob("*.png"))) == 5


def test_kpi_refuses_bad_options_and_says_when_there_is_nothing_to_report(kpi, tmp_path):
    empty = kpi("--since", "2026-01-01", "--csv", str(tmp_path / "csv"))
    assert empty.exit_code == 1 and "nothing to report" in empty.stderr and "2026-01-01" in empty.stderr
    assert not (tmp_path / "csv").exists()
    nowhere = kpi("--office", "XX")
    assert nowhere.exit_code == 1 and "at office XX" in nowhere.stderr
    backwards = kpi("--since", "2025-04-01", "--until", "2025-03-01")
    assert backwards.exit_code == 2 and "the period is empty" in backwards.stderr
    bad = kpi("--format", "gif")
    assert bad.exit_code == 2 and "--format must be one of png, svg" in bad.stderr
    (tmp_path / "a file").write_text("")
    unwritable = kpi("--csv", str(tmp_path / "a file" / "csv"))
    assert unwritable.exit_code == 1 and "cannot write the files" in unwritable.stderr


def test_kpi_writes_every_table_into_one_workbook(kpi, tmp_path):
    from openpyxl import load_workbook

    result = kpi("--since", "2025-03-01", "--until", "2025-03-31", "--xlsx", str(tmp_path / "out" / "kpis.xlsx"))
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / "out" / "kpis.xlsx")
    assert {"release_times", "hit_rates", "data_problems"} <= set(book.sheetnames)
    header = [c.value for c in book["hit_rates"][1]]
    assert header[0] == "source" and book["hit_rates"].max_row > 2
