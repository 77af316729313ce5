"""Decisions and overrides: stored once, never changed (database triggers), overrides need a reason."""

import json

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from smartcustoms.declarations.mapping import IntakeError
from smartcustoms.outcomes.service import load_outcomes, read_outcomes, store_outcomes
from smartcustoms.risk.repository import OverrideError, latest_decisions, override, record_assessment

PROVENANCE = {"settings_version": "abc123", "settings": {"random_rate": 0.02}, "profiles": {"P-X": 3},
              "model_version": None}


def decided(*lanes: str) -> pd.DataFrame:
    return pd.DataFrame({
        "declaration_id": [f"D{i}" for i in range(len(lanes))], "lane": list(lanes), "source": "screen",
        "random": False, "risk_score": 0.7, "duty_at_risk": 120.0,
        "explanation": [json.dumps({"lane": lane}) for lane in lanes],
    })


def test_decisions_are_stored_with_provenance_and_cannot_be_changed(engine):
    assessment = record_assessment(engine, decided("red", "green"), PROVENANCE, actor="batch")
    stored = latest_decisions(engine)
    assert stored["lane"].tolist() == ["red", "green"]
    assert (stored["assessment_id"] == assessment).all()
    for statement in ("UPDATE decisions SET lane = 'green'", "DELETE FROM decisions",
                      "UPDATE assessments SET actor = 'someone else'"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert latest_decisions(engine)["lane"].tolist() == ["red", "green"]


def test_override_needs_a_reason_and_sits_beside_the_original(engine):
    record_assessment(engine, decided("red"), PROVENANCE, actor="batch")
    decision_id = int(latest_decisions(engine)["decision_id"].iloc[0])
    with pytest.raises(OverrideError, match="needs a reason"):
        override(engine, decision_id, "green", "  ", officer="officer1")
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the database refuses it too
        conn.execute(text("INSERT INTO decision_overrides (decision_id, lane, reason, officer) "
                          f"VALUES ({decision_id}, 'green', '', 'officer1')"))
    override(engine, decision_id, "yellow", "documents already checked at the border post", officer="officer1")
    row = latest_decisions(engine).iloc[0]
    assert (row["lane"], row["final_lane"]) == ("red", "yellow")
    assert row["override_reason"] == "documents already checked at the border post"
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_overrides"))


def test_outcomes_import_checks_rows_and_skips_known_ones(engine, tmp_path):
    path = tmp_path / "inspections.csv"
    path.write_text("declaration_id,inspection_date,control_type,selection_reason,result,infringement,"
                    "duty_recovered\nD1,2025-02-01,physical,risk,discrepancy,undervaluation,310.5\n"
                    "D2,2025-02-02,documentary,random,no_discrepancy,,0\n")
    frame = read_outcomes(path)
    assert store_outcomes(engine, frame) == 2
    assert store_outcomes(engine, frame) == 0
    stored = load_outcomes(engine)
    assert stored["duty_recovered"].tolist() == [310.5, 0.0]
    assert stored["inspection_date"].iloc[0] == pd.Timestamp("2025-02-01")
    bad = tmp_path / "bad.csv"
    bad.write_text(path.read_text().replace("discrepancy,undervaluation", "found,undervaluation"))
    with pytest.raises(IntakeError, match="row 2, result"):
        read_outcomes(bad)
