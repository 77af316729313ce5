"""Post-clearance audit cases planned from the audit trail, findings recorded as outcomes, and the feedback loop
(an audit finding raises the trader's risk at the next fit), on SQLite and PostgreSQL."""

import json
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import func, insert, select
from test_queries import add_declaration  # a shared helper

from smartcustoms.control.audit_cases import AuditCaseError
from smartcustoms.control.service import (
    audit_candidates,
    case_declarations,
    cases_frame,
    close_case,
    open_case,
    plan_and_store,
    record_finding,
)
from smartcustoms.control.tables import audit_case_declarations, audit_cases, officers, outcomes
from smartcustoms.declarations.repository import load_declarations
from smartcustoms.outcomes.service import load_outcomes
from smartcustoms.risk.repository import latest_decisions, override, record_assessment
from smartcustoms.risk.traders import TraderRisk
from smartcustoms.risk.valuation import ValuationScreen

PROVENANCE = {"settings_version": "abc123", "settings": {}, "profiles": {}, "model_version": None}
PLANNED = datetime(2025, 7, 1, 9, 0)

# (declaration, importer, accepted, lane, risk, duty at risk)
WORLD = [
    ("A1", "IMP1", "2025-01-10", "green", 0.5, 1000.0),  # 500
    ("A2", "IMP1", "2025-02-10", "blue", 0.4, 500.0),  # 0.4 x 500 x 1.5 = 300 -> IMP1 Q1: 800
    ("B1", "IMP2", "2025-01-15", "green", 0.9, 1000.0),  # IMP2 Q1: 900
    ("B2", "IMP2", "2025-04-10", "green", 0.2, 100.0),  # IMP2 Q2: 20
    ("C1", "IMP3", "2025-01-20", "green", 0.99, 5000.0),  # already controlled (an outcome)
    ("R1", "IMP4", "2025-01-21", "red", 0.95, 4000.0),  # controlled at the border
    ("O1", "IMP5", "2025-01-22", "red", 0.95, 3000.0),  # red, overridden to green: a candidate (2850)
]


def seed(engine) -> None:
    for declaration_id, importer, accepted, *_ in WORLD:
        add_declaration(engine, declaration_id, importer=importer, accepted=accepted)
    decided = pd.DataFrame(WORLD, columns=["declaration_id", "importer", "accepted", "lane", "risk_score",
                                           "duty_at_risk"])
    decided = decided.assign(source="screen", random=False,
                             explanation=[json.dumps({"lane": lane, "profiles": []}) for lane in decided["lane"]])
    record_assessment(engine, decided, PROVENANCE, actor="batch")
    decision_id = int(latest_decisions(engine).set_index("declaration_id").loc["O1", "decision_id"])
    override(engine, decision_id, "green", "released after a phone check with the carrier", officer="off1")
    with engine.begin() as conn:
        conn.execute(insert(outcomes).values(declaration_id="C1", inspection_date=datetime(2025, 2, 1),
                                             control_type="physical", selection_reason="random",
                                             result="no_discrepancy", infringement="", duty_recovered=0.0))
        conn.execute(insert(officers), [
            {"officer_id": "AUD1", "name": "A. Auditor", "office_id": "FRPAR1", "modes": "documentary,audit",
             "active": True},
            {"officer_id": "OFF2", "name": "B. Border", "office_id": "FRPAR1", "modes": "physical", "active": True},
        ])


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_candidates_are_released_declarations_and_cases_are_planned_once(engine):
    seed(engine)
    candidates = audit_candidates(engine).set_index("declaration_id")
    assert sorted(candidates.index) == ["A1", "A2", "B1", "B2", "C1", "O1"]  # not R1 (red)
    assert candidates.loc["O1", "lane"] == "green" and candidates.loc["C1", "already_controlled"]
    assert candidates.loc["A1", "importer_id"] == "IMP1"

    cases = plan_and_store(engine, capacity_cases=2, period="quarter", planned_by="planner", at=PLANNED)
    # O1: 0.95 x 3000 = 2850 first, then IMP2 Q1 900; IMP1 Q1 (800) is over capacity
    assert cases[["importer_id", "period"]].values.tolist() == [["IMP5", "2025-Q1"], ["IMP2", "2025-Q1"]]
    stored = cases_frame(engine)
    assert stored["case_id"].tolist() == cases["case_id"].tolist()
    assert (stored["state"] == "planned").all() and (stored["planned_at"] == pd.Timestamp(PLANNED)).all()
    assert stored["duty_at_stake"].tolist() == [3000.0, 1000.0]
    assert stored["residual_risk"].tolist() == pytest.approx([0.95, 0.9])
    assert stored["period_end"].tolist() == [pd.Timestamp("2025-04-01")] * 2
    assert stored["declarations"].tolist() == [1, 1]

    again = plan_and_store(engine, capacity_cases=5, period="quarter", planned_by="planner", at=PLANNED)
    assert again[["importer_id", "period"]].values.tolist() == [["IMP1", "2025-Q1"], ["IMP2", "2025-Q2"]]
    with engine.connect() as conn:
        members = pd.read_sql(select(audit_case_declarations), conn)
    assert not members["declaration_id"].duplicated().any()  # no declaration in two cases
    assert sorted(members["declaration_id"]) == ["A1", "A2", "B1", "B2", "O1"]  # never C1 or R1
    assert plan_and_store(engine, capacity_cases=5, planned_by="planner", at=PLANNED).empty


def test_findings_are_recorded_as_outcomes_only_for_the_case_declarations(engine):
    seed(engine)
    plan_and_store(engine, capacity_cases=5, period="quarter", planned_by="planner", at=PLANNED)
    imp1 = int(cases_frame(engine).set_index("importer_id").loc["IMP1", "case_id"])

    finding = {"result": "discrepancy", "infringements": ["valuation"], "duty_before": 100.0, "duty_after": 250.0,
               "penalty": 50.0, "offence_code": "V-12", "recorded_by": "AUD1", "at": datetime(2025, 7, 10, 14, 0)}
    with pytest.raises(AuditCaseError, match=f"audit case {imp1} is planned: findings are recorded on an open"):
        record_finding(engine, imp1, "A1", **finding)
    with pytest.raises(AuditCaseError, match="officer OFF2 does not do audits"):
        open_case(engine, imp1, "OFF2", at=datetime(2025, 7, 2))
    with pytest.raises(AuditCaseError, match="no officer 'NOBODY'"):
        open_case(engine, imp1, "NOBODY", at=datetime(2025, 7, 2))
    with pytest.raises(AuditCaseError, match="is still planned: open it"):
        close_case(engine, imp1, at=datetime(2025, 7, 2))
    open_case(engine, imp1, "AUD1", at=datetime(2025, 7, 2))
    assert cases_frame(engine, state="open")["auditor"].tolist() == ["AUD1"]

    before = count(engine, outcomes)
    with pytest.raises(AuditCaseError, match=f"declaration B1 is not part of audit case {imp1}"):
        record_finding(engine, imp1, "B1", **finding)
    with pytest.raises(AuditCaseError, match=r"unknown infringement\(s\) 'smuggling': allowed are valuation"):
        record_finding(engine, imp1, "A1", **{**finding, "infringements": ["smuggling"]})
    with pytest.raises(AuditCaseError, match="a discrepancy must name its infringement"):
        record_finding(engine, imp1, "A1", **{**finding, "infringements": []})
    with pytest.raises(AuditCaseError, match="duty_after must be a number >= 0"):
        record_finding(engine, imp1, "A1", **{**finding, "duty_after": -1})
    assert count(engine, outcomes) == before  # nothing written by the refusals

    outcome_id = record_finding(engine, imp1, "A1", **finding)
    with pytest.raises(AuditCaseError, match="already has a finding on declaration A1"):
        record_finding(engine, imp1, "A1", **finding)
    with pytest.raises(AuditCaseError, match="no finding yet on A2"):
        close_case(engine, imp1, at=datetime(2025, 7, 20))
    with pytest.raises(AuditCaseError, match="no discrepancy means no infringement"):
        record_finding(engine, imp1, "A2", result="no_discrepancy", infringements=["origin"], duty_before=40.0,
                       duty_after=40.0, recorded_by="AUD1", at=datetime(2025, 7, 11))
    record_finding(engine, imp1, "A2", result="no_discrepancy", infringements=[], duty_before=40.0,
                   duty_after=40.0, recorded_by="AUD1", at=datetime(2025, 7, 11))
    close_case(engine, imp1, at=datetime(2025, 7, 20))

    with engine.connect() as conn:
        stored = conn.execute(select(outcomes).where(outcomes.c.outcome_id == outcome_id)).one()
    assert (stored.declaration_id, stored.control_type, stored.selection_reason, stored.result) == (
        "A1", "audit", "audit", "discrepancy")
    assert (stored.case_id, stored.infringement, stored.offence_code, stored.officer) == (imp1, "valuation", "V-12",
                                                                                          "AUD1")
    assert (stored.duty_before, stored.duty_after, stored.duty_recovered, stored.penalty) == (100.0, 250.0, 150.0,
                                                                                              50.0)
    assert stored.inspection_date == datetime(2025, 7, 10)
    row = cases_frame(engine).set_index("case_id").loc[imp1]
    assert (row["state"], row["findings"], row["discrepancies"]) == ("closed", 2, 1)
    assert (row["duty_recovered"], row["penalties"], row["closed_at"]) == (150.0, 50.0, pd.Timestamp(2025, 7, 20))
    assert case_declarations(engine, imp1)["result"].tolist() == ["discrepancy", "no_discrepancy"]
    with pytest.raises(AuditCaseError, match="already closed"):
        close_case(engine, imp1, at=datetime(2025, 7, 21))
    with pytest.raises(AuditCaseError, match="is closed: findings are recorded on an open case"):
        record_finding(engine, imp1, "A2", **finding)


def test_plan_refuses_bad_settings_and_writes_nothing(engine):
    assert plan_and_store(engine, capacity_cases=2, planned_by="planner", at=PLANNED).empty  # nothing decided yet
    seed(engine)
    with pytest.raises(ValueError, match="period must be one of month, quarter"):
        plan_and_store(engine, capacity_cases=2, period="week", planned_by="planner", at=PLANNED)
    with pytest.raises(AuditCaseError, match="the planner must be named"):
        plan_and_store(engine, capacity_cases=2, planned_by=" ", at=PLANNED)
    with pytest.raises(ValueError, match="capacity_cases must be a whole number >= 0, got None"):
        plan_and_store(engine, capacity_cases=None, planned_by="planner", at=PLANNED)
    assert count(engine, audit_cases) == 0


def test_an_audit_finding_feeds_the_trader_history_and_the_reference_prices(engine):
    """Outcomes are read again at each fit: the finding raises the importer's risk at the next assessment and
    takes its declaration out of the reference prices."""
    seed(engine)
    for n, month in enumerate((3, 4, 5, 6), start=1):  # more history, so that neither importer is "new"
        add_declaration(engine, f"H1{n}", importer="IMP1", accepted=f"2025-{month:02d}-05")
        add_declaration(engine, f"H2{n}", importer="IMP2", accepted=f"2025-{month:02d}-06")
    add_declaration(engine, "N1", importer="IMP1", accepted="2025-08-01")  # the next declarations to assess
    add_declaration(engine, "N2", importer="IMP2", accepted="2025-08-01")
    as_of = datetime(2025, 8, 1)

    def fit():
        history = load_declarations(engine, end=as_of)
        scored = load_declarations(engine, ids=["N1", "N2"])
        trader = TraderRisk(declarant_weight=0.0).fit(history, load_outcomes(engine), as_of=as_of)
        scores = trader.score(scored).assign(declaration_id=scored["declaration_id"].to_numpy())
        valuation = ValuationScreen().fit(history, load_outcomes(engine), as_of=as_of)
        return scores.drop_duplicates("declaration_id").set_index("declaration_id"), valuation

    before, valuation_before = fit()
    plan_and_store(engine, capacity_cases=5, planned_by="planner", at=PLANNED)
    imp1 = int(cases_frame(engine).set_index("importer_id").loc["IMP1", "case_id"])
    open_case(engine, imp1, "AUD1", at=datetime(2025, 7, 2))
    record_finding(engine, imp1, "A1", result="discrepancy", infringements="valuation", duty_before=100.0,
                   duty_after=250.0, recorded_by="AUD1", at=datetime(2025, 7, 10))
    after, valuation_after = fit()

    assert before.loc["N1", "importer_controls"] == 0 and after.loc["N1", "importer_controls"] == 1
    assert after.loc["N1", "trader_score"] > before.loc["N1", "trader_score"]
    assert after.loc["N1", "trader_score"] > after.loc["N2", "trader_score"]  # IMP2 had no finding
    # the adjusted declaration leaves the reference set (its declared price was not accepted)
    assert valuation_after.n_excluded_declarations_ == valuation_before.n_excluded_declarations_ + 1
    assert valuation_after.n_reference_rows_ == valuation_before.n_reference_rows_ - 2  # A1 has two goods items
