"""The control chain through the command line: tasks, a documentary check, a valuation query and an audit."""

import re

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from test_import_command import run


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("control")
    for args in (("generate", "-n", "3000", "--seed", "5", "--out", str(folder / "w")), ("db", "upgrade"),
                 ("import", str(folder / "w" / "declarations.csv")),
                 ("outcomes", "import", str(folder / "w" / "inspections.csv")),
                 ("assess", "--since", "2025-12-01", "--lane-time", "lodged")):
        result = run(folder, *args)
        assert result.returncode == 0, result.stderr
    return folder


def query(folder, sql: str) -> pd.DataFrame:
    with create_engine(f"sqlite:///{folder / 'cli.db'}").connect() as conn:
        return pd.read_sql(text(sql), conn)


def ok(folder, *args) -> str:
    result = run(folder, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_documentary_task_from_opening_to_release(assessed):
    # each decision opened its control chain when `assess` recorded it: nothing is left to open
    assert "0 task(s) opened" in ok(assessed, "control", "open", "--lane-time", "lodged")
    assert query(assessed, "SELECT COUNT(*) AS n FROM inspection_tasks").n[0] > 0
    task = query(assessed, "SELECT task_id, office_id, declaration_id FROM inspection_tasks "
                           "WHERE mode = 'documentary' ORDER BY task_id LIMIT 1").iloc[0]
    ok(assessed, "control", "add-officer", "DOC-1", "--name", "Ada", "--office", task.office_id,
       "--modes", "documentary")
    taken = ok(assessed, "control", "take", "DOC-1")
    task_id = int(re.search(r"takes task (\d+)", taken).group(1))
    shown = ok(assessed, "control", "show", str(task_id))
    assert "checklist" in shown and "selected because" in shown and "assigned" in shown
    ok(assessed, "control", "start", str(task_id), "--version", "2", "--by", "DOC-1")

    stale = run(assessed, "control", "complete", str(task_id), "--version", "2", "--by", "DOC-1", "--result",
                "no_discrepancy", "--duty-before", "10", "--duty-after", "10")
    assert stale.returncode == 1 and "Nothing was changed" in stale.stderr
    bad = run(assessed, "control", "complete", str(task_id), "--version", "3", "--by", "DOC-1", "--result",
              "discrepancy", "--duty-before", "10", "--duty-after", "25")  # a discrepancy names what was wrong
    assert bad.returncode == 1 and "infringement" in bad.stderr
    assert query(assessed, f"SELECT state FROM inspection_tasks WHERE task_id = {task_id}").state[0] == "in_progress"

    ok(assessed, "control", "complete", str(task_id), "--version", "3", "--by", "DOC-1", "--result", "discrepancy",
       "--infringement", "valuation", "--duty-before", "10", "--duty-after", "25")
    ok(assessed, "control", "release", str(task_id), "--version", "4", "--by", "DOC-1")
    outcome = query(assessed, f"SELECT result, infringement, duty_recovered FROM outcomes WHERE task_id = {task_id}")
    assert outcome.to_dict("records") == [{"result": "discrepancy", "infringement": "valuation",
                                           "duty_recovered": 15.0}]
    cleared = query(assessed, f"SELECT status FROM clearance WHERE declaration_id = '{task.declaration_id}'")
    assert cleared.status[0] == "released"


def test_a_valuation_query_answered_then_adjusted(assessed):
    declaration = query(assessed, "SELECT declaration_id FROM declarations ORDER BY declaration_id LIMIT 1").iloc[0, 0]
    raised = ok(assessed, "query", "raise", declaration, "--reasons", "unit price far below comparable imports",
                "--by", "off1")
    query_id = re.search(r"valuation query (\d+) raised", raised).group(1)
    ok(assessed, "query", "answer", query_id, "--answer", "discount for a bulk order, contract attached")
    decided = ok(assessed, "query", "decide", query_id, "adjust", "--value", "1000000")
    assert "adjusted" in decided and "recovered" in decided
    refused = run(assessed, "query", "answer", query_id, "--answer", "again")
    assert refused.returncode == 1 and "only an open query can be answered" in refused.stderr


def test_post_clearance_audit_round(assessed):
    ok(assessed, "control", "open", "--lane-time", "lodged")
    planned = ok(assessed, "audit", "plan", "--capacity", "2", "--period", "month")
    assert "audit case(s) planned" in planned
    ok(assessed, "control", "add-officer", "AUD-1", "--name", "Ann", "--office", "HQ", "--modes", "audit")
    case = query(assessed, "SELECT case_id FROM audit_cases ORDER BY case_id LIMIT 1").case_id[0]
    ok(assessed, "audit", "open", str(case), "--auditor", "AUD-1")
    members = query(assessed, f"SELECT declaration_id FROM audit_case_declarations WHERE case_id = {case}")
    early = run(assessed, "audit", "close", str(case))
    assert early.returncode == 1
    for declaration_id in members.declaration_id:
        ok(assessed, "audit", "finding", str(case), declaration_id, "--result", "no_discrepancy",
           "--duty-before", "5", "--duty-after", "5")
    ok(assessed, "audit", "close", str(case))
    assert "closed" in ok(assessed, "audit", "cases")


def test_a_booking_cancelled_frees_the_slot_for_another(assessed):
    ok(assessed, "control", "open", "--lane-time", "lodged")
    office = query(assessed, "SELECT office_id FROM inspection_tasks WHERE mode = 'physical' AND state = 'created' "
                             "ORDER BY task_id LIMIT 1").office_id[0]
    ok(assessed, "control", "add-officer", "PHY-1", "--name", "Bo", "--office", office, "--modes", "physical")
    task_id = int(re.search(r"takes task (\d+)", ok(assessed, "control", "take", "PHY-1")).group(1))
    ok(assessed, "control", "slots", office, "on_site", "--add-days", "3", "--hours", "8-18", "--capacity", "1")
    later = (pd.Timestamp.now() + pd.Timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    first, second = query(assessed, f"SELECT slot_id FROM inspection_slots WHERE office_id = '{office}' AND mode = "
                                    f"'on_site' AND starts_at > '{later}' ORDER BY starts_at LIMIT 2").slot_id

    def booked() -> list:
        return query(assessed, f"SELECT slot_id FROM slot_bookings WHERE task_id = {task_id}").slot_id.tolist()

    ok(assessed, "control", "book", str(task_id), str(first))
    assert "cancelled" in ok(assessed, "control", "cancel-booking", str(task_id))
    assert booked() == [] and query(assessed, f"SELECT state FROM inspection_tasks WHERE task_id = {task_id}"
                                    ).state[0] == "assigned"
    again = run(assessed, "control", "cancel-booking", str(task_id))
    assert again.returncode == 1 and "only a booked (scheduled) inspection can be cancelled" in again.stderr
    ok(assessed, "control", "book", str(task_id), str(second))
    assert booked() == [second]
