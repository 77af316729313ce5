"""The SQL of promise-based release (see control.undertakings for the rules): given a Connection, never commits."""

import json
from collections.abc import Collection
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from smartcustoms.control.facilitation import WINDOW_DAYS, trader_record
from smartcustoms.control.inspections import SYSTEM
from smartcustoms.control.tables import clearance, outcomes, tasks, undertakings
from smartcustoms.control.undertakings import CONTROLLED, RESULTS, Refusal, UndertakingError
from smartcustoms.declarations.tables import declarations
from smartcustoms.risk.repository import latest_decisions, overrides
from smartcustoms.store.db import moment


def _latest_decision(conn: Connection, declaration_id: str) -> tuple[int | None, str | None]:
    """(decision ID, lane after the latest override) of the declaration's newest decision (risk's one reader of
    the latest decision, ``latest_decisions``)."""
    decision = latest_decisions(conn, ids=[declaration_id], by_declaration=True).get(declaration_id)
    return (None, None) if decision is None else (decision["decision_id"], decision["final_lane"])


def _documentary_task(conn: Connection, declaration_id: str):
    return conn.execute(select(tasks.c.task_id, tasks.c.state).where(
        tasks.c.declaration_id == declaration_id, tasks.c.mode == "documentary")
        .order_by(tasks.c.task_id.desc()).limit(1)).first()


def refusals(conn: Connection, declaration_id: str) -> list[Refusal]:
    """What in the declaration's state refuses an undertaking, most telling first."""
    if conn.execute(select(declarations.c.declaration_id)
                    .where(declarations.c.declaration_id == declaration_id)).first() is None:
        return [Refusal("not_found", f"no declaration {declaration_id}")]
    signed = conn.execute(select(undertakings.c.undertaking_id, undertakings.c.signed_at)
                          .where(undertakings.c.declaration_id == declaration_id)).first()
    if signed is not None:
        return [Refusal("already_signed", f"declaration {declaration_id}: undertaking {signed.undertaking_id} was "
                                          f"signed on {signed.signed_at:%Y-%m-%d %H:%M}",
                        {"undertaking_id": signed.undertaking_id})]
    out = []
    task = _documentary_task(conn, declaration_id)
    checked = conn.execute(select(func.count()).select_from(outcomes)
                           .where(outcomes.c.declaration_id == declaration_id)).scalar_one()
    if checked or (task is not None and task.state in CONTROLLED):
        out.append(Refusal("already_controlled", f"declaration {declaration_id} has already been controlled: "
                                                 "there is nothing left to promise"))
    _, lane = _latest_decision(conn, declaration_id)
    if lane != "yellow":
        out.append(Refusal("not_yellow", f"declaration {declaration_id} is not in the yellow lane (documents "
                                         f"check): its lane is {lane or 'not given yet'}", {"lane": lane}))
    elif task is None:
        out.append(Refusal("no_control", f"declaration {declaration_id}: no documents check is open yet"))
    status = conn.execute(select(clearance.c.status).where(clearance.c.declaration_id == declaration_id)).scalar()
    if lane == "yellow" and task is not None and status != "held":
        out.append(Refusal("not_held", f"declaration {declaration_id} is not held (status {status or 'unknown'})",
                           {"status": status}))
    return out


def eligibility_inputs(conn: Connection, declaration_id: str, *, aeo_importers: Collection[str],
                       at: datetime) -> tuple[list[Refusal], str | None, dict]:
    """What an undertaking's eligibility is judged on: the refusals of the declaration's state, its importer, and
    the importer's record (empty when there is no importer)."""
    refused = refusals(conn, declaration_id)
    importer = conn.execute(select(declarations.c.importer_id)
                            .where(declarations.c.declaration_id == declaration_id)).scalar()
    record = importer_record(conn, importer, aeo_importers=aeo_importers, at=at) if importer else {}
    return refused, importer, record


def importer_record(conn: Connection, importer_id: str, *, aeo_importers: Collection[str] = (),
                    at: datetime | None = None, days: int = WINDOW_DAYS) -> dict:
    """The importer's record over the `days` before `at` (default now): declarations lodged, controls made and
    discrepancies found (facilitation.trader_record), and whether it is an authorised economic operator."""
    at = moment(at)
    start = at - pd.Timedelta(days=days)
    mine = select(declarations.c.declaration_id).where(declarations.c.importer_id == importer_id)
    lodged = pd.DataFrame(conn.execute(
        select(declarations.c.declaration_id, declarations.c.acceptance_datetime)
        .where(declarations.c.importer_id == importer_id, declarations.c.acceptance_datetime > start,
               declarations.c.acceptance_datetime <= at)).all(),
        columns=["declaration_id", "acceptance_datetime"])
    checked = pd.DataFrame(conn.execute(
        select(outcomes.c.declaration_id, outcomes.c.inspection_date, outcomes.c.result)
        .where(outcomes.c.declaration_id.in_(mine), outcomes.c.inspection_date > start,
               outcomes.c.inspection_date <= at)).all(),
        columns=["declaration_id", "inspection_date", "result"])
    return {**trader_record(lodged, checked, as_of=at, aeo=importer_id in set(aeo_importers), days=days),
            "importer_id": importer_id}


def sign(conn: Connection, declaration_id: str, signed_by: str, text: str, basis: dict, at: datetime) -> int:
    """The undertaking row, the override of the latest decision to blue and the release (see control.undertakings);
    UndertakingError (the caller's transaction to roll back) when a rule refuses it. Returns the undertaking ID."""
    conn.execute(select(clearance.c.declaration_id).where(clearance.c.declaration_id == declaration_id)
                 .with_for_update())  # PostgreSQL: two signatures of one declaration queue here
    refused = refusals(conn, declaration_id)
    if refused:
        raise UndertakingError(refused[0].code, refused[0].text)
    decision_id, _ = _latest_decision(conn, declaration_id)
    undertaking_id = conn.execute(insert(undertakings).values(
        declaration_id=declaration_id, signed_by=signed_by, signed_at=at, text=text,
        basis=json.dumps(basis, ensure_ascii=False, default=str),
    ).returning(undertakings.c.undertaking_id)).scalar_one()
    conn.execute(insert(overrides).values(
        decision_id=decision_id, lane="blue", officer=SYSTEM, at=at,
        reason=f"promise-based release: undertaking {undertaking_id} signed by {signed_by}"))
    released = conn.execute(update(clearance).where(clearance.c.declaration_id == declaration_id,
                                                    clearance.c.status == "held")
                            .values(status="released", released_at=at, lane="blue")).rowcount
    if released != 1:
        raise UndertakingError("not_held", f"declaration {declaration_id} is no longer held")
    return undertaking_id


def verify_undertaking(conn: Connection, undertaking_id: int, *, verified_by: str, result: str,
                       at: datetime | None = None) -> None:
    """Record what the verification after release found: documents_confirmed, discrepancy or not_provided.
    Once only, and not before the signature."""
    verified_by, at = (verified_by or "").strip(), moment(at)
    if not verified_by:
        raise UndertakingError("unsigned", "who verifies must be named")
    if result not in RESULTS:
        raise UndertakingError("bad_result", f"result must be one of {', '.join(RESULTS)}, got {result!r}")
    row = conn.execute(select(undertakings).where(undertakings.c.undertaking_id == undertaking_id)).first()
    if row is None:
        raise UndertakingError("not_found", f"no undertaking {undertaking_id}")
    if row.result is not None:
        raise UndertakingError("already_verified", f"undertaking {undertaking_id} was verified on "
                                                   f"{row.verified_at:%Y-%m-%d %H:%M}: {row.result}")
    if at < row.signed_at:
        raise UndertakingError("bad_time", f"undertaking {undertaking_id} was signed at "
                                           f"{row.signed_at:%Y-%m-%d %H:%M}: it cannot be verified before")
    conn.execute(update(undertakings).where(undertakings.c.undertaking_id == undertaking_id,
                                            undertakings.c.result.is_(None))
                 .values(verified_at=at, verified_by=verified_by, result=result))


def undertaking_of(conn: Connection, declaration_id: str) -> dict | None:
    """The declaration's undertaking (basis decoded), or None."""
    row = conn.execute(select(undertakings).where(undertakings.c.declaration_id == declaration_id)).first()
    if row is None:
        return None
    return {**row._asdict(), "basis": json.loads(row.basis)}


def undertakings_frame(conn: Connection, *, unverified: bool = False) -> pd.DataFrame:
    """Undertakings, oldest first (only those awaiting verification with `unverified`)."""
    query = select(undertakings).order_by(undertakings.c.undertaking_id)
    if unverified:
        query = query.where(undertakings.c.result.is_(None))
    return pd.DataFrame(conn.execute(query).mappings().all(), columns=undertakings.c.keys())
