"""The control chain's SQL (given a Connection, never commits; one module per step: inspections, scheduling,
evidence, queries, undertakings, audit_cases, kpi_data; scoped: what the consoles and the portal read; lodging:
web lodging's writes), and here the permission-scoped reads of a declaration with its decision and control
chain, which the portal's and the consoles' pages and API share.

Permission lives in one place, ``visible_to(user)``: every query of declarations goes through it, so a route
cannot forget it. A declaration the user may not see reads exactly like one that does not exist.
"""

from sqlalchemy import ColumnElement, Connection, false, func, or_, select, true, union

from smartcustoms.accounts.schemas import User
from smartcustoms.accounts.tables import submissions
from smartcustoms.control.status import reasons, status_of
from smartcustoms.control.tables import (
    clearance,
    document_requests,
    outcomes,
    task_events,
    tasks,
    valuation_queries,
)
from smartcustoms.control.tables import (
    evidence as evidence_rows,
)
from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS, Declaration
from smartcustoms.declarations.tables import declarations, goods_items
from smartcustoms.risk.repository import assessments, decisions, latest_decisions, overrides


def kpi_offices(conn: Connection) -> list[str]:
    """Every office that has a declaration or a clearance record, sorted."""
    query = union(select(clearance.c.office_id), select(declarations.c.office_id))
    return sorted(str(v) for v in conn.execute(query).scalars() if v)


def request_task(conn: Connection, request_id: int) -> int | None:
    """The inspection task a document request belongs to (None: none, or no such request)."""
    return conn.execute(select(document_requests.c.task_id).where(document_requests.c.request_id == request_id)
                        ).scalar()


def query_task(conn: Connection, query_id: int) -> int | None:
    """The inspection task a valuation query belongs to (None: none, or no such query)."""
    return conn.execute(select(valuation_queries.c.task_id).where(valuation_queries.c.query_id == query_id)
                        ).scalar()


def stored_file(conn: Connection, evidence_id: int):
    """A stored file's name and SHA-256."""
    return conn.execute(select(evidence_rows.c.filename, evidence_rows.c.sha256)
                        .where(evidence_rows.c.evidence_id == evidence_id)
                        ).first()


def decision_explanations(conn: Connection, decision_ids: list[int]) -> dict[int, str | None]:
    """The explanations (JSON) of the given decisions, by decision ID."""
    return dict(conn.execute(select(decisions.c.decision_id, decisions.c.explanation).where(
        decisions.c.decision_id.in_(decision_ids))).all())


# --- permission-scoped reads ------------------------------------------------------------------------------------

SEE_ALL = ("analyst", "supervisor", "admin")
EVENT_ORDER = ("lodged", "lane", "override", "task", "outcome", "released")


def visible_to(user: User) -> ColumnElement[bool]:
    """Traders see the declarations of their importer or declarant IDs, officers those of their offices,
    analysts, supervisors and admins all of them."""
    c = declarations.c
    if user.role == "trader":
        parts = ([c.importer_id.in_(user.importer_ids)] if user.importer_ids else []) + (
            [c.declarant_id.in_(user.declarant_ids)] if user.declarant_ids else [])
        return or_(*parts) if parts else false()
    if user.role == "officer":
        return c.office_id.in_(user.office_ids) if user.office_ids else false()
    return true() if user.role in SEE_ALL else false()


def clearance_statuses(conn: Connection, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(conn.execute(select(clearance.c.declaration_id, clearance.c.status).where(
        clearance.c.declaration_id.in_(ids))).all())


def page(conn: Connection, user: User, limit: int, offset: int) -> tuple[list[dict], int]:
    """One page of the declarations the user may see, newest first, with lane and status; and their total."""
    c = declarations.c
    total = conn.execute(select(func.count()).select_from(declarations).where(visible_to(user))).scalar_one()
    rows = conn.execute(
        select(c.declaration_id, c.acceptance_datetime, c.office_id, c.importer_id, c.declarant_id)
        .where(visible_to(user)).order_by(c.acceptance_datetime.desc(), c.declaration_id.desc())
        .limit(limit).offset(offset)
    ).all()
    ids = [row.declaration_id for row in rows]
    decided = latest_decisions(conn, ids=ids, by_declaration=True)
    statuses = clearance_statuses(conn, ids)
    return [{**row._asdict(), "lane": decided.get(row.declaration_id, {}).get("final_lane"),
             "status": status_of(row.declaration_id, decided, statuses)} for row in rows], total


def detail(conn: Connection, user: User, declaration_id: str) -> dict | None:
    """A declaration as declared, its lane, reasons, status and timeline; None when the user may not see it
    (or it does not exist: the caller cannot tell which)."""
    header = conn.execute(select(declarations).where(declarations.c.declaration_id == declaration_id,
                                                      visible_to(user))).first()
    if header is None:
        return None
    items = conn.execute(select(goods_items).where(goods_items.c.declaration_id == declaration_id)
                         .order_by(goods_items.c.item_number)).all()
    decided = latest_decisions(conn, ids=[declaration_id], by_declaration=True)
    statuses = clearance_statuses(conn, [declaration_id])
    events = timeline(conn, declaration_id, header.batch_id, with_notes=user.role != "trader")
    data = {name: getattr(header, name) for name in HEADER_FIELDS}
    data["items"] = [{name: getattr(item, name) for name in ITEM_FIELDS} for item in items]
    decision = decided.get(declaration_id)
    return {
        "declaration": Declaration.model_validate(data),
        "lane": decision["final_lane"] if decision else None,
        "source": decision["source"] if decision else None,
        "risk_score": round(float(decision["risk_score"]), 4) if decision else None,
        "reasons": reasons(decision["explanation"]) if decision else [],
        "status": status_of(declaration_id, decided, statuses),
        "timeline": events,
    }


def timeline(conn: Connection, declaration_id: str, batch_id: int, with_notes: bool = False) -> list[dict]:
    """What happened to a declaration, oldest first: each event ``{at, event, value, note}`` where ``value`` is
    a code (lane, task state, control result) and ``note`` a detail (officers' notes only ``with_notes``)."""
    events = []

    def add(at, event, value=None, note=None):
        if at is not None:
            events.append({"at": at, "event": event, "value": value, "note": note})

    cleared = conn.execute(select(clearance).where(clearance.c.declaration_id == declaration_id)).first()
    submitted = conn.execute(select(submissions.c.submitted_at, submissions.c.channel).where(
        submissions.c.declaration_id == declaration_id)).first()
    if cleared is not None:
        add(cleared.lodged_at, "lodged", submitted.channel if submitted else None)
    elif submitted is not None:
        add(submitted.submitted_at, "lodged", submitted.channel)
    else:  # imported history: lodged when customs accepted it, not when the file was imported
        add(conn.execute(select(declarations.c.acceptance_datetime).where(
            declarations.c.declaration_id == declaration_id)).scalar_one_or_none(), "lodged")
    lodged = events[0]["at"] if events else None
    for row in conn.execute(select(assessments.c.assessed_at, decisions.c.lane, decisions.c.decision_id)
                            .join(assessments, assessments.c.assessment_id == decisions.c.assessment_id)
                            .where(decisions.c.declaration_id == declaration_id).order_by(decisions.c.decision_id)):
        add(row.assessed_at, "lane", row.lane)
    for row in conn.execute(select(overrides.c.at, overrides.c.lane, overrides.c.reason)
                            .join(decisions, decisions.c.decision_id == overrides.c.decision_id)
                            .where(decisions.c.declaration_id == declaration_id).order_by(overrides.c.override_id)):
        add(row.at, "override", row.lane, row.reason if with_notes else None)
    for row in conn.execute(select(task_events.c.at, task_events.c.to_state, tasks.c.mode, task_events.c.note)
                            .join(tasks, tasks.c.task_id == task_events.c.task_id)
                            .where(tasks.c.declaration_id == declaration_id).order_by(task_events.c.event_id)):
        add(row.at, "task", row.to_state, row.note if with_notes else None)
    completed = {row.task_id: row.at for row in conn.execute(
        select(task_events.c.task_id, func.max(task_events.c.at).label("at"))
        .join(tasks, tasks.c.task_id == task_events.c.task_id)
        .where(tasks.c.declaration_id == declaration_id, task_events.c.to_state == "completed")
        .group_by(task_events.c.task_id))}
    for row in conn.execute(select(outcomes.c.inspection_date, outcomes.c.result, outcomes.c.control_type,
                                   outcomes.c.task_id)
                            .where(outcomes.c.declaration_id == declaration_id).order_by(outcomes.c.outcome_id)):
        # a control result is dated by its day (00:00): shown when its task was completed, never before lodging
        at = completed.get(row.task_id) or row.inspection_date
        add(max(at, lodged) if lodged is not None and at is not None else at, "outcome", row.result,
            row.control_type)
    if cleared is not None:
        add(cleared.released_at, "released")
    # assessed_at has the database clock's resolution (seconds on SQLite): order within a second by the chain
    return sorted(events, key=lambda e: (e["at"].replace(microsecond=0), EVENT_ORDER.index(e["event"]), e["at"]))


def compliance_record(conn: Connection, user: User, recent: int = 10) -> dict:
    """The user's declarations by lane, the controls of them, the discrepancies found, and the latest
    controls: what a trader's compliance record is made of."""
    mine = select(declarations.c.declaration_id).where(visible_to(user))
    latest = (select(func.max(decisions.c.decision_id).label("decision_id"))
              .where(decisions.c.declaration_id.in_(mine)).group_by(decisions.c.declaration_id).subquery())
    last_override = (select(func.max(overrides.c.override_id).label("override_id"))
                     .group_by(overrides.c.decision_id).subquery())
    final_lane = func.coalesce(overrides.c.lane, decisions.c.lane)
    total = conn.execute(select(func.count()).select_from(declarations).where(visible_to(user))).scalar_one()
    lanes = dict(conn.execute(
        select(final_lane, func.count())
        .select_from(decisions.join(latest, latest.c.decision_id == decisions.c.decision_id)
                     .outerjoin(overrides, (overrides.c.decision_id == decisions.c.decision_id)
                                & overrides.c.override_id.in_(select(last_override.c.override_id))))
        .group_by(final_lane)).all())
    controls = conn.execute(
        select(func.count(), func.count().filter(outcomes.c.result == "discrepancy"),
               func.coalesce(func.sum(outcomes.c.duty_recovered), 0.0))
        .where(outcomes.c.declaration_id.in_(mine))).one()
    latest_controls = [row._asdict() for row in conn.execute(
        select(outcomes.c.declaration_id, outcomes.c.inspection_date, outcomes.c.control_type,
               outcomes.c.result, outcomes.c.duty_recovered)
        .where(outcomes.c.declaration_id.in_(mine))
        .order_by(outcomes.c.inspection_date.desc(), outcomes.c.outcome_id.desc()).limit(recent))]
    checked, found, recovered = controls
    return {"declarations": total, "lanes": lanes, "controls": checked, "discrepancies": found,
            "discrepancy_rate": found / checked if checked else None, "duty_recovered": float(recovered),
            "latest_controls": latest_controls}
