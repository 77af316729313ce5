"""Promise-based release: a trader in good standing signs an undertaking instead of sending the supporting
documents of a yellow-lane declaration up front; the declaration is released at once (blue lane) and its
documents are verified after release.

Signing (``sign_undertaking``) is one transaction that writes

- the ``undertakings`` row (one per declaration: who signed, when, the text signed, and the basis, i.e. why the
  trader was in good standing, as JSON),
- an override of the latest decision to the blue lane, with the reason "promise-based release: undertaking N
  signed by X" (the append-only ``decision_overrides`` of ``risk.tables``), and
- the release of the clearance row (status released, released now, lane blue).

The documentary task stays open: it is the verification after release, and ``verify_undertaking`` records its
result on the undertaking. Refused, with a ``code`` and a message, and nothing written: a declaration not in the
yellow lane (``not_yellow``), without a documentary check opened (``no_control``), already controlled
(``already_controlled``: the documentary check is completed or an outcome exists), no longer held
(``not_held``), already signed (``already_signed``), or a trader not in good standing
(``not_in_good_standing``: the basis must say ``good_standing: true``, see ``eligibility``).

Functions take the Engine (their own transaction) or a Connection (the caller owns the transaction).
"""

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from smartcustoms.control.facilitation import WINDOW_DAYS, Finding, good_standing, trader_record
from smartcustoms.control.inspections import SYSTEM, moment
from smartcustoms.control.tables import clearance, outcomes, tasks
from smartcustoms.declarations.tables import declarations
from smartcustoms.risk.repository import decisions, overrides
from smartcustoms.store.db import metadata, transaction

Bind = Engine | Connection
RESULTS = ("documents_confirmed", "discrepancy", "not_provided")  # what the verification after release found
CONTROLLED = ("completed", "released", "detained", "seized")  # a documentary task in these states has been done

undertakings = Table(
    "undertakings",
    metadata,
    Column("undertaking_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), ForeignKey("declarations.declaration_id"), nullable=False, unique=True),
    Column("signed_by", String(100), nullable=False),
    Column("signed_at", DateTime, nullable=False),
    Column("text", Text, nullable=False),  # the undertaking as the trader read and signed it
    Column("basis", Text, nullable=False),  # JSON: why the trader was in good standing
    Column("verified_at", DateTime, nullable=True),
    Column("verified_by", String(100), nullable=True),
    Column("result", String(20), nullable=True),
    CheckConstraint("result IS NULL OR result IN ('documents_confirmed', 'discrepancy', 'not_provided')",
                    name="ck_undertakings_result"),
    CheckConstraint("(result IS NULL) = (verified_at IS NULL) AND (result IS NULL) = (verified_by IS NULL)",
                    name="ck_undertakings_verified"),
)


class UndertakingError(ValueError):
    """An undertaking refused or a verification not allowed; ``code`` says which rule (see the module doc)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Refusal:
    code: str
    text: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Eligibility:
    """Whether a declaration may be released on an undertaking now, and why (not)."""

    eligible: bool
    refusals: list[Refusal]  # the rules of the declaration's state that refuse it (empty: none)
    in_good_standing: bool
    findings: list[Finding]  # good standing, criterion by criterion
    record: dict  # the importer's record (facilitation.trader_record)
    basis: dict  # what sign_undertaking stores as the basis


def _latest_decision(conn: Connection, declaration_id: str) -> tuple[int | None, str | None]:
    """(decision ID, lane after the latest override) of the declaration's newest decision."""
    decision = conn.execute(select(decisions.c.decision_id, decisions.c.lane)
                            .where(decisions.c.declaration_id == declaration_id)
                            .order_by(decisions.c.decision_id.desc()).limit(1)).first()
    if decision is None:
        return None, None
    changed = conn.execute(select(overrides.c.lane).where(overrides.c.decision_id == decision.decision_id)
                           .order_by(overrides.c.override_id.desc()).limit(1)).scalar()
    return decision.decision_id, changed or decision.lane


def _documentary_task(conn: Connection, declaration_id: str):
    return conn.execute(select(tasks.c.task_id, tasks.c.state).where(
        tasks.c.declaration_id == declaration_id, tasks.c.mode == "documentary")
        .order_by(tasks.c.task_id.desc()).limit(1)).first()


def _refusals(conn: Connection, declaration_id: str) -> list[Refusal]:
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


def importer_record(bind: Bind, importer_id: str, *, aeo_importers: Collection[str] = (),
                    at: datetime | None = None, days: int = WINDOW_DAYS) -> dict:
    """The importer's record over the `days` before `at` (default now): declarations lodged, controls made and
    discrepancies found (facilitation.trader_record), and whether it is an authorised economic operator."""
    at = moment(at)
    start = at - pd.Timedelta(days=days)
    mine = select(declarations.c.declaration_id).where(declarations.c.importer_id == importer_id)
    with transaction(bind) as conn:
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


def eligibility(bind: Bind, declaration_id: str, *, aeo_importers: Collection[str] = (), at: datetime | None = None,
                **thresholds) -> Eligibility:
    """Whether the declaration may be released on an undertaking now: its state (yellow lane, documents check
    open and not done, held, not signed) and its importer's good standing (``good_standing`` with
    `thresholds`). The basis it returns is what ``sign_undertaking`` stores."""
    at = moment(at)
    with transaction(bind) as conn:
        refusals = _refusals(conn, declaration_id)
        importer = conn.execute(select(declarations.c.importer_id)
                                .where(declarations.c.declaration_id == declaration_id)).scalar()
        record = importer_record(conn, importer, aeo_importers=aeo_importers, at=at) if importer else {}
    standing, findings = good_standing(record, **thresholds) if importer else (False, [])
    if importer and not standing:
        refusals.append(Refusal("not_in_good_standing", f"importer {importer} is not in good standing: "
                        + "; ".join(f.text for f in findings if not f.met)))
    basis = {"good_standing": standing, "importer_id": importer, "aeo": bool(record.get("aeo")),
             "window_days": record.get("window_days"), "declarations": record.get("declarations"),
             "controls": record.get("controls"), "discrepancies": record.get("discrepancies"),
             "as_of": f"{at:%Y-%m-%d %H:%M:%S}", "findings": [f.text for f in findings if f.met]}
    return Eligibility(not refusals, refusals, standing, findings, record, basis)


def sign_undertaking(engine: Bind, declaration_id: str, *, signed_by: str, text: str, basis: dict,
                     at: datetime | None = None) -> int:
    """Sign an undertaking for a yellow-lane declaration whose documents check is not done: in one
    transaction, the undertaking row, the override to blue and the release (see the module doc). `basis` says
    why the trader is in good standing (``eligibility(...).basis``) and must hold ``good_standing: true``.
    Returns the undertaking ID; raises UndertakingError (nothing written) when a rule refuses it."""
    signed_by, text, at = (signed_by or "").strip(), (text or "").strip(), moment(at)
    if not signed_by:
        raise UndertakingError("unsigned", "who signs the undertaking must be named")
    if not text:
        raise UndertakingError("unsigned", "the undertaking's text is empty")
    if not (basis or {}).get("good_standing"):
        raise UndertakingError("not_in_good_standing", f"declaration {declaration_id}: the trader is not in good "
                                                       "standing, so the documents are needed before release")
    for attempt in range(3):
        try:
            return _sign(engine, declaration_id, signed_by, text, basis, at)
        except IntegrityError as exc:  # another signature of the same declaration won the race
            raise UndertakingError("already_signed", f"declaration {declaration_id}: an undertaking was signed "
                                                     "meanwhile") from exc
        except OperationalError:  # SQLite: another writer committed after this one read; read again
            if attempt == 2 or not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
                raise
    raise AssertionError("unreachable")


def _sign(engine, declaration_id: str, signed_by: str, text: str, basis: dict, at: datetime) -> int:
    with transaction(engine) as conn:
        conn.execute(select(clearance.c.declaration_id).where(clearance.c.declaration_id == declaration_id)
                     .with_for_update())  # PostgreSQL: two signatures of one declaration queue here
        refusals = _refusals(conn, declaration_id)
        if refusals:
            raise UndertakingError(refusals[0].code, refusals[0].text)
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


def verify_undertaking(bind: Bind, undertaking_id: int, *, verified_by: str, result: str,
                       at: datetime | None = None) -> None:
    """Record what the verification after release found: documents_confirmed, discrepancy or not_provided.
    Once only, and not before the signature."""
    verified_by, at = (verified_by or "").strip(), moment(at)
    if not verified_by:
        raise UndertakingError("unsigned", "who verifies must be named")
    if result not in RESULTS:
        raise UndertakingError("bad_result", f"result must be one of {', '.join(RESULTS)}, got {result!r}")
    with transaction(bind) as conn:
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


def undertaking_of(bind: Bind, declaration_id: str) -> dict | None:
    """The declaration's undertaking (basis decoded), or None."""
    with transaction(bind) as conn:
        row = conn.execute(select(undertakings).where(undertakings.c.declaration_id == declaration_id)).first()
    if row is None:
        return None
    return {**row._asdict(), "basis": json.loads(row.basis)}


def undertakings_frame(bind: Bind, *, unverified: bool = False) -> pd.DataFrame:
    """Undertakings, oldest first (only those awaiting verification with `unverified`)."""
    query = select(undertakings).order_by(undertakings.c.undertaking_id)
    if unverified:
        query = query.where(undertakings.c.result.is_(None))
    with transaction(bind) as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=undertakings.c.keys())
