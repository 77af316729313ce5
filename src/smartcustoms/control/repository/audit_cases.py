"""The SQL of post-clearance audit cases (see control.audit_cases for the life cycle): given a Connection, never
commits."""

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy import case as sql_case

from smartcustoms.control.audit_cases import AuditCaseError, amount, infringements_named, named, not_before_planning
from smartcustoms.control.audits import AUDIT_LANES
from smartcustoms.control.tables import (
    CASE_STATES,
    INFRINGEMENTS,
    audit_case_declarations,
    audit_cases,
    officers,
    outcomes,
)
from smartcustoms.declarations.tables import declarations
from smartcustoms.outcomes.models import RESULTS
from smartcustoms.risk.repository import latest_decisions
from smartcustoms.store.db import moment

# --- planning ---------------------------------------------------------------------------------------------------


def audit_candidates(conn: Connection, *, as_of: datetime | None = None) -> pd.DataFrame:
    """Released declarations (final lane green or blue in the latest decision) with their importer, acceptance
    time, risk score and duty at risk; ``already_controlled`` where an outcome (dated before ``as_of`` when
    given) exists. Declarations already in an audit case are left out."""
    decided = latest_decisions(conn)
    decided = decided.loc[decided["final_lane"].isin(AUDIT_LANES),
                          ["declaration_id", "final_lane", "risk_score", "duty_at_risk"]]
    headers = select(declarations.c.declaration_id, declarations.c.importer_id,
                     declarations.c.acceptance_datetime)
    controlled = select(outcomes.c.declaration_id).distinct()
    if as_of is not None:
        headers = headers.where(declarations.c.acceptance_datetime < as_of)
        controlled = controlled.where(outcomes.c.inspection_date < as_of)
    headers = pd.read_sql(headers, conn)
    controlled = set(conn.execute(controlled).scalars())
    in_case = set(conn.execute(select(audit_case_declarations.c.declaration_id)).scalars())
    frame = decided.rename(columns={"final_lane": "lane"}).merge(headers, on="declaration_id", how="inner")
    frame = frame[~frame["declaration_id"].isin(in_case)]
    frame["acceptance_datetime"] = pd.to_datetime(frame["acceptance_datetime"])
    frame["already_controlled"] = frame["declaration_id"].isin(controlled)
    return frame.reset_index(drop=True)


def store_cases(conn: Connection, selected: pd.DataFrame, chosen: pd.DataFrame, planned_by: str,
                at: datetime) -> list[int]:
    """Store the chosen cases of a plan (``control.audits.plan_audits``), state planned, with their declarations
    (`selected`); refused when one of them joined another case meanwhile. Returns the case IDs."""
    ids = selected["declaration_id"].tolist()
    taken = set(conn.execute(select(audit_case_declarations.c.declaration_id)).scalars()) & set(ids)
    if taken:
        raise AuditCaseError(f"declaration(s) {', '.join(sorted(taken))} joined another audit case meanwhile: "
                             f"plan again")
    case_ids = []
    for row in chosen.itertuples():
        case_ids.append(conn.execute(insert(audit_cases).values(
            importer_id=row.importer_id, period_start=row.period_start.to_pydatetime(),
            period_end=row.period_end.to_pydatetime(), state="planned",
            residual_risk=float(row.residual_risk), duty_at_stake=float(row.duty_at_stake),
            planned_by=planned_by, planned_at=at,
        ).returning(audit_cases.c.case_id)).scalar_one())
        members = selected.loc[selected["case_rank"] == row.rank, "declaration_id"]
        conn.execute(insert(audit_case_declarations),
                     [{"case_id": case_ids[-1], "declaration_id": d} for d in members])
    return case_ids


# --- life cycle -------------------------------------------------------------------------------------------------


def _case(conn: Connection, case_id: int):
    row = conn.execute(select(audit_cases).where(audit_cases.c.case_id == case_id)).first()
    if row is None:
        raise AuditCaseError(f"no audit case {case_id}")
    return row


def open_case(conn: Connection, case_id: int, auditor: str, *, at: datetime | None = None) -> None:
    """An auditor (an active officer who does audits) takes a planned case."""
    auditor = named(auditor, "the auditor")
    at = moment(at)
    case = _case(conn, case_id)
    if case.state != "planned":
        raise AuditCaseError(f"audit case {case_id} is {case.state}: only a planned case can be opened")
    not_before_planning(case, at, "opened")
    officer = conn.execute(select(officers.c.active, officers.c.modes)
                           .where(officers.c.officer_id == auditor)).first()
    if officer is None:
        raise AuditCaseError(f"no officer {auditor!r}")
    if not officer.active:
        raise AuditCaseError(f"officer {auditor} is not active")
    if "audit" not in [m.strip() for m in officer.modes.split(",")]:
        raise AuditCaseError(f"officer {auditor} does not do audits (modes: {officer.modes})")
    conn.execute(update(audit_cases).where(audit_cases.c.case_id == case_id)
                 .values(state="open", auditor=auditor))


def record_finding(conn: Connection, case_id: int, declaration_id: str, *, result: str, infringements,
                   duty_before: float, duty_after: float, penalty: float = 0.0, offence_code: str | None = None,
                   recorded_by: str, at: datetime | None = None) -> int:
    """Record the audit's finding on one declaration of an open case, as an outcome (one per declaration and
    case); returns the outcome ID. A discrepancy names its infringements; no discrepancy leaves the duty as it
    was and carries no infringement or penalty."""
    recorded_by = named(recorded_by, "whoever records the finding")
    if result not in RESULTS:
        raise AuditCaseError(f"result must be one of {', '.join(sorted(RESULTS))}, got {result!r}")
    found = infringements_named(infringements)
    before, after = amount(duty_before, "duty_before"), amount(duty_after, "duty_after")
    penalty = amount(penalty, "penalty")
    if result == "discrepancy" and not found:
        raise AuditCaseError(f"declaration {declaration_id}: a discrepancy must name its infringement(s), one of "
                             f"{', '.join(INFRINGEMENTS)}")
    if result == "no_discrepancy" and (found or penalty or round(after, 2) != round(before, 2) or offence_code):
        raise AuditCaseError(f"declaration {declaration_id}: no discrepancy means no infringement, no offence, no "
                             f"penalty and the duty unchanged")
    if offence_code is not None and not 0 < len(offence_code.strip()) <= 20:
        raise AuditCaseError(f"offence_code must be 1 to 20 characters, got {offence_code!r}")
    at = moment(at)
    case = _case(conn, case_id)
    if case.state != "open":
        raise AuditCaseError(f"audit case {case_id} is {case.state}: findings are recorded on an open case")
    not_before_planning(case, at, "finding recorded")
    member = conn.execute(select(audit_case_declarations.c.declaration_id).where(
        audit_case_declarations.c.case_id == case_id,
        audit_case_declarations.c.declaration_id == declaration_id)).first()
    if member is None:
        raise AuditCaseError(f"declaration {declaration_id} is not part of audit case {case_id}")
    earlier = conn.execute(select(outcomes.c.outcome_id).where(
        outcomes.c.case_id == case_id, outcomes.c.declaration_id == declaration_id)).first()
    if earlier is not None:
        raise AuditCaseError(f"audit case {case_id} already has a finding on declaration {declaration_id} "
                             f"(outcome {earlier.outcome_id})")
    return conn.execute(insert(outcomes).values(
        declaration_id=declaration_id, inspection_date=datetime.combine(at.date(), datetime.min.time()),
        control_type="audit", selection_reason="audit", result=result, infringement=",".join(found),
        duty_recovered=round(max(after - before, 0.0), 2), case_id=case_id, officer=recorded_by,
        duty_before=before, duty_after=after, penalty=penalty, seized=False,
        offence_code=offence_code.strip() if offence_code else None, recorded_at=at,
    ).returning(outcomes.c.outcome_id)).scalar_one()


def close_case(conn: Connection, case_id: int, *, at: datetime | None = None) -> None:
    """Close an open case once every one of its declarations has a finding."""
    at = moment(at)
    case = _case(conn, case_id)
    if case.state == "planned":
        raise AuditCaseError(f"audit case {case_id} is still planned: open it (and record findings) first")
    if case.state == "closed":
        raise AuditCaseError(f"audit case {case_id} is already closed")
    not_before_planning(case, at, "closed")
    members = set(conn.execute(select(audit_case_declarations.c.declaration_id)
                               .where(audit_case_declarations.c.case_id == case_id)).scalars())
    done = set(conn.execute(select(outcomes.c.declaration_id).where(outcomes.c.case_id == case_id)).scalars())
    if members - done:
        raise AuditCaseError(f"audit case {case_id} has no finding yet on {', '.join(sorted(members - done))}: "
                             f"record one for each (no_discrepancy when nothing was found)")
    conn.execute(update(audit_cases).where(audit_cases.c.case_id == case_id)
                 .values(state="closed", closed_at=at))


# --- reading ----------------------------------------------------------------------------------------------------


def cases_frame(conn: Connection, state: str | None = None) -> pd.DataFrame:
    """Audit cases, oldest first, with their number of declarations and findings, duty recovered and penalties."""
    counts = (select(audit_case_declarations.c.case_id, func.count().label("declarations"))
              .group_by(audit_case_declarations.c.case_id).subquery())
    found = (select(outcomes.c.case_id, func.count().label("findings"),
                    func.sum(sql_case((outcomes.c.result == "discrepancy", 1), else_=0)).label("discrepancies"),
                    func.sum(outcomes.c.duty_recovered).label("duty_recovered"),
                    func.sum(outcomes.c.penalty).label("penalties"))
             .where(outcomes.c.case_id.is_not(None)).group_by(outcomes.c.case_id).subquery())
    query = (select(audit_cases, counts.c.declarations, found.c.findings, found.c.discrepancies,
                    found.c.duty_recovered, found.c.penalties)
             .outerjoin(counts, counts.c.case_id == audit_cases.c.case_id)
             .outerjoin(found, found.c.case_id == audit_cases.c.case_id)
             .order_by(audit_cases.c.case_id))
    if state is not None:
        if state not in CASE_STATES:
            raise AuditCaseError(f"unknown case state {state!r}: allowed are {', '.join(CASE_STATES)}")
        query = query.where(audit_cases.c.state == state)
    frame = pd.read_sql(query, conn)
    for column in ("declarations", "findings", "discrepancies"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("duty_recovered", "penalties"):
        frame[column] = frame[column].fillna(0.0).astype(float)
    for column in ("period_start", "period_end", "planned_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def case_declarations(conn: Connection, case_id: int) -> pd.DataFrame:
    """The declarations of one case, with their finding where there is one."""
    query = (select(audit_case_declarations.c.declaration_id, outcomes.c.outcome_id, outcomes.c.result,
                    outcomes.c.infringement, outcomes.c.duty_before, outcomes.c.duty_after,
                    outcomes.c.duty_recovered, outcomes.c.penalty, outcomes.c.offence_code)
             .outerjoin(outcomes, (outcomes.c.case_id == audit_case_declarations.c.case_id)
                        & (outcomes.c.declaration_id == audit_case_declarations.c.declaration_id))
             .where(audit_case_declarations.c.case_id == case_id)
             .order_by(audit_case_declarations.c.declaration_id))
    _case(conn, case_id)
    return pd.read_sql(query, conn)
