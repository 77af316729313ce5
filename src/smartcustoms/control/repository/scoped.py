"""The SQL of what the officer console, the staff pages and the trader portal read of the control chain, each
query scoped to what the user may see (``visible_to``): given a Connection, never commits."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, and_, exists, false, func, select

from smartcustoms.accounts.schemas import User
from smartcustoms.control.repository import clearance_statuses, status_of, visible_to
from smartcustoms.control.tables import (
    document_requests,
    evidence,
    officers,
    outcomes,
    tasks,
    undertakings,
    valuation_queries,
)
from smartcustoms.declarations.tables import declarations
from smartcustoms.risk.repository import decisions, latest_decisions

OFFICER_ID_LENGTH = officers.c.officer_id.type.length


def visible_declaration(conn: Connection, user: User, declaration_id: str) -> dict | None:
    """The declaration's ID, office, importer and declarant if the user may see it; else (or when it does not
    exist) None."""
    c = declarations.c
    row = conn.execute(select(c.declaration_id, c.office_id, c.importer_id, c.declarant_id)
                       .where(c.declaration_id == declaration_id, visible_to(user))).first()
    return row._asdict() if row is not None else None


def officer_offices(conn: Connection, officer_ids: Collection[str]) -> dict[str, str]:
    """officer ID -> office of the given officer records that exist."""
    return {row.officer_id: row.office_id for row in conn.execute(
        select(officers.c.officer_id, officers.c.office_id).where(officers.c.officer_id.in_(list(officer_ids))))}


def active_officers(conn: Connection, office_id: str) -> list[tuple[str, str]]:
    """(officer ID, modes) of the active officers of an office."""
    return [tuple(row) for row in conn.execute(select(officers.c.officer_id, officers.c.modes).where(
        officers.c.office_id == office_id, officers.c.active))]


def task_queue(conn: Connection, user: User, *, office: str | None, lane: str | None, states: Collection[str] | None,
               mine: list[str] | None, unassigned: bool, q: str | None, sort: str, limit: int,
               offset: int) -> tuple[list[dict], int]:
    """A page of the task rows the user may see (`states`: only those; `mine`: only those locked to these
    officer records; `unassigned`: only those locked to nobody; `q`: a declaration ID or its beginning, an
    importer or declarant ID), by `sort` (declaration, lane, state, office) then due time and ID; and their
    total."""
    query = select(tasks).select_from(tasks.join(declarations, declarations.c.declaration_id == tasks.c.declaration_id))
    query = query.where(visible_to(user))
    if office:
        query = query.where(tasks.c.office_id == office)
    if lane:
        query = query.where(tasks.c.lane == lane)
    if states is not None:
        query = query.where(tasks.c.state.in_(list(states)))
    if mine is not None:
        query = query.where(tasks.c.officer_id.in_(mine) if mine else false())
    if unassigned:
        query = query.where(tasks.c.officer_id.is_(None))
    if q and q.strip():
        wanted = q.strip().upper()
        escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.upper(tasks.c.declaration_id).like(escaped + "%", escape="\\")
                            | (func.upper(declarations.c.importer_id) == wanted)
                            | (func.upper(declarations.c.declarant_id) == wanted))
    order = {"declaration": [tasks.c.declaration_id], "lane": [tasks.c.lane.desc()], "state": [tasks.c.state],
             "office": [tasks.c.office_id]}.get(sort, [])
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(*order, tasks.c.due_at, tasks.c.task_id).limit(limit).offset(offset)).all()
    return [dict(row._mapping) for row in rows], total


def task_offices(conn: Connection) -> list[str]:
    """Every office with a task, sorted."""
    return list(conn.execute(select(tasks.c.office_id).distinct().order_by(tasks.c.office_id)).scalars())


def declaration_tasks(conn: Connection, declaration_id: str) -> list[dict]:
    """The declaration's inspection tasks, oldest first: task_id, mode, state, office_id, due_at."""
    return [row._asdict() for row in conn.execute(
        select(tasks.c.task_id, tasks.c.mode, tasks.c.state, tasks.c.office_id, tasks.c.due_at)
        .where(tasks.c.declaration_id == declaration_id).order_by(tasks.c.task_id))]


def inspection_task(conn: Connection, declaration_id: str):
    """The declaration's newest physical or remote inspection task, with its decision's explanation."""
    return conn.execute(
        select(tasks.c.task_id, tasks.c.office_id, tasks.c.mode, tasks.c.state, tasks.c.due_at, tasks.c.version,
               decisions.c.explanation)
        .outerjoin(decisions, decisions.c.decision_id == tasks.c.decision_id)
        .where(tasks.c.declaration_id == declaration_id, tasks.c.mode.in_(("physical", "remote")))
        .order_by(tasks.c.task_id.desc()).limit(1)).first()


def outcome_page(conn: Connection, user: User | None, *, declaration_id: str | None = None,
                 since: datetime | None = None, task_ids: list[int] | None = None, limit: int = 100,
                 offset: int = 0, with_total: bool = False) -> tuple[list[dict], int | None]:
    """Outcome rows (newest first) of the declarations the user may see (all when `user` is None), and their
    total `with_total`."""
    query = select(outcomes).select_from(outcomes.join(declarations,
                                                       declarations.c.declaration_id == outcomes.c.declaration_id))
    if user is not None:
        query = query.where(visible_to(user))
    if declaration_id is not None:
        query = query.where(outcomes.c.declaration_id == declaration_id)
    if since is not None:
        query = query.where(outcomes.c.inspection_date >= since)
    if task_ids is not None:
        query = query.where(outcomes.c.task_id.in_(task_ids))
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one() if with_total else None
    rows = conn.execute(query.order_by(outcomes.c.inspection_date.desc(), outcomes.c.outcome_id.desc())
                        .limit(limit).offset(offset)).mappings().all()
    return [dict(row) for row in rows], total


def importer_history(conn: Connection, user: User, declaration, limit: int = 20) -> dict:
    """The importer's other declarations lodged up to this one (those the user may see), newest first, with their
    lane, status and outcome rows; and the totals over all of them."""
    c = declarations.c
    earlier = [c.importer_id == declaration.importer_id, c.declaration_id != declaration.declaration_id,
               c.acceptance_datetime <= declaration.acceptance_datetime, visible_to(user)]
    ids_query = select(c.declaration_id).where(*earlier)
    total = conn.execute(select(func.count()).select_from(declarations).where(*earlier)).scalar_one()
    controls = conn.execute(select(func.count(), func.count().filter(outcomes.c.result == "discrepancy"),
                                   func.coalesce(func.sum(outcomes.c.duty_recovered), 0.0))
                            .where(outcomes.c.declaration_id.in_(ids_query))).one()
    rows = conn.execute(select(c.declaration_id, c.acceptance_datetime, c.office_id).where(*earlier)
                        .order_by(c.acceptance_datetime.desc(), c.declaration_id.desc()).limit(limit)).all()
    ids = [row.declaration_id for row in rows]
    decided = latest_decisions(conn, ids=ids, by_declaration=True)
    statuses = clearance_statuses(conn, ids)
    found: dict[str, list[dict]] = {}
    if ids:
        for row in conn.execute(select(outcomes).where(outcomes.c.declaration_id.in_(ids))
                                .order_by(outcomes.c.inspection_date, outcomes.c.outcome_id)).mappings():
            found.setdefault(row["declaration_id"], []).append(dict(row))
    checked, discrepancies, recovered = controls
    return {
        "total": total, "controls": checked, "discrepancies": discrepancies, "duty_recovered": float(recovered),
        "rows": [{**row._asdict(), "lane": decided.get(row.declaration_id, {}).get("final_lane"),
                  "status": status_of(row.declaration_id, decided, statuses),
                  "outcomes": found.get(row.declaration_id, [])} for row in rows],
    }


def visible_decision(conn: Connection, user: User, decision_id: int) -> dict | None:
    """A decision (declaration_id, lane, office, the latest decision's ID and final lane) if the user may see its
    declaration, else None."""
    row = conn.execute(
        select(decisions.c.decision_id, decisions.c.declaration_id, decisions.c.lane, declarations.c.office_id)
        .join(declarations, declarations.c.declaration_id == decisions.c.declaration_id)
        .where(decisions.c.decision_id == decision_id, visible_to(user))).first()
    if row is None:
        return None
    latest = latest_decisions(conn, ids=[row.declaration_id], by_declaration=True)[row.declaration_id]
    return {**row._asdict(), "latest_decision_id": latest["decision_id"], "final_lane": latest["final_lane"]}


def trader_todo(conn: Connection, user: User, now: datetime, limit: int) -> dict[str, list]:
    """Across the user's declarations: documents requested (``documents``), valuation queries open before their
    deadline (``queries``), inspections to book or waiting for an officer and remote inspections booked without
    evidence (``inspections``), and the declarations with an open documentary check and no undertaking
    (``yellow``)."""
    mine = visible_to(user)
    d = declarations.c
    documents = [row._asdict() for row in conn.execute(
        select(document_requests.c.request_id, document_requests.c.declaration_id,
               document_requests.c.document_type, document_requests.c.due_at)
        .join(declarations, d.declaration_id == document_requests.c.declaration_id)
        .where(mine, document_requests.c.state == "requested")
        .order_by(document_requests.c.due_at, document_requests.c.request_id).limit(limit))]
    answers = [row._asdict() for row in conn.execute(
        select(valuation_queries.c.query_id, valuation_queries.c.declaration_id, valuation_queries.c.deadline)
        .join(declarations, d.declaration_id == valuation_queries.c.declaration_id)
        .where(mine, valuation_queries.c.state == "open", valuation_queries.c.deadline >= now)
        .order_by(valuation_queries.c.deadline, valuation_queries.c.query_id).limit(limit))]
    has_files = exists().where(evidence.c.task_id == tasks.c.task_id)
    controls = [row._asdict() for row in conn.execute(
        select(tasks.c.task_id, tasks.c.declaration_id, tasks.c.mode, tasks.c.state, tasks.c.due_at)
        .join(declarations, d.declaration_id == tasks.c.declaration_id)
        .where(mine, tasks.c.mode.in_(("physical", "remote")),
               tasks.c.state.in_(("created", "assigned"))
               | and_(tasks.c.mode == "remote", tasks.c.state == "scheduled", ~has_files))
        .order_by(tasks.c.due_at, tasks.c.task_id).limit(limit))]
    yellow = list(conn.execute(
        select(tasks.c.declaration_id)
        .join(declarations, d.declaration_id == tasks.c.declaration_id)
        .where(mine, tasks.c.mode == "documentary", tasks.c.state.in_(("created", "assigned", "in_progress")),
               ~exists().where(undertakings.c.declaration_id == tasks.c.declaration_id))
        .order_by(tasks.c.due_at, tasks.c.task_id).limit(limit)).scalars())
    return {"documents": documents, "queries": answers, "inspections": controls, "yellow": yellow}
