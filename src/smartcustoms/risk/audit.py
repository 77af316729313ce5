"""The append-only audit trail of selectivity: assessment runs (provenance), decisions and officer overrides.

Rows are only ever inserted; database triggers (migration 0003) refuse UPDATE and DELETE.
"""

import json
from datetime import datetime

import pandas as pd
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from smartcustoms.frames import column_values
from smartcustoms.refusals import Kind, Refusal
from smartcustoms.store.db import insert_rows, metadata, transaction

assessments = Table(
    "assessments",
    metadata,
    Column("assessment_id", Integer, primary_key=True, autoincrement=True),
    Column("assessed_at", DateTime, nullable=False, server_default=func.now()),
    Column("actor", String(100), nullable=False),
    Column("settings_version", String(20), nullable=False),
    Column("settings", Text, nullable=False),  # JSON
    Column("profile_versions", Text, nullable=False),  # JSON {profile_id: version}
    Column("model_version", String(50)),
    Column("declarations", Integer, nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("assessment_id", Integer, ForeignKey("assessments.assessment_id"), nullable=False, index=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("lane", String(10), nullable=False),
    Column("source", String(10), nullable=False),  # profile | screen | model | random | none
    Column("random", Boolean, nullable=False),
    Column("risk_score", Float, nullable=False),
    Column("duty_at_risk", Float, nullable=False),
    Column("explanation", Text, nullable=False),  # JSON, see selectivity.explanation
    CheckConstraint("lane IN ('green', 'yellow', 'red', 'blue')", name="ck_decisions_lane"),
)

overrides = Table(
    "decision_overrides",
    metadata,
    Column("override_id", Integer, primary_key=True, autoincrement=True),
    Column("decision_id", Integer, ForeignKey("decisions.decision_id"), nullable=False, index=True),
    Column("lane", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("officer", String(100), nullable=False),
    Column("at", DateTime, nullable=False, server_default=func.now()),
    CheckConstraint("length(trim(reason)) >= 5", name="ck_overrides_reason"),
    CheckConstraint("lane IN ('green', 'yellow', 'red', 'blue')", name="ck_overrides_lane"),
)

APPEND_ONLY = ("assessments", "decisions", "decision_overrides")


class OverrideError(Refusal):
    """An override refused: ``code`` says why, ``field`` what it is about."""

    def __init__(self, code: str, message: str, *, field: str | None = None, kind: Kind = Kind.INVALID, **params):
        super().__init__(code, message, field=field, kind=kind, **params)


def record_assessment(bind: Engine | Connection, decided: pd.DataFrame, provenance: dict, actor: str) -> int:
    """Store one assessment run and its decisions in one transaction (the caller's when given a Connection);
    returns the assessment ID."""
    with transaction(bind) as conn:
        assessment_id = conn.execute(
            insert(assessments).values(
                actor=actor, settings_version=provenance["settings_version"],
                settings=json.dumps(provenance["settings"]), profile_versions=json.dumps(provenance["profiles"]),
                model_version=provenance.get("model_version"), declarations=len(decided),
            ).returning(assessments.c.assessment_id)
        ).scalar_one()
        columns = ["declaration_id", "lane", "source", "random", "risk_score", "duty_at_risk", "explanation"]
        values = [column_values(decided[name]) for name in columns]
        insert_rows(conn, decisions, [*columns, "assessment_id"], [(*row, assessment_id) for row in zip(*values)])
    return assessment_id


def override(engine: Engine, decision_id: int, lane: str, reason: str, officer: str) -> int:
    """Record an officer's override beside the original decision (which stays as it was)."""
    if not reason or len(reason.strip()) < 5:
        raise OverrideError("reason_needed", "an override needs a reason (at least a few words)", field="reason")
    if lane not in ("green", "yellow", "red", "blue"):
        raise OverrideError("lane_unknown", f"unknown lane {lane!r}", field="lane", lane=lane)
    with engine.begin() as conn:
        if conn.execute(select(decisions.c.decision_id).where(decisions.c.decision_id == decision_id)).first() is None:
            raise OverrideError("decision_unknown", f"no decision {decision_id}", kind=Kind.NOT_FOUND,
                                decision_id=decision_id)
        return conn.execute(
            insert(overrides).values(decision_id=decision_id, lane=lane, reason=reason.strip(), officer=officer)
            .returning(overrides.c.override_id)
        ).scalar_one()


def latest_decisions(bind: Engine | Connection, since: datetime | None = None,
                     ids: list[str] | None = None) -> pd.DataFrame:
    """The newest decision per declaration (of `ids` when given), with the lane after any override (a
    Connection: read inside the caller's transaction)."""
    last_override = (
        select(overrides.c.decision_id, func.max(overrides.c.override_id).label("override_id"))
        .group_by(overrides.c.decision_id).subquery()
    )
    query = (
        select(decisions, overrides.c.lane.label("override_lane"), overrides.c.reason.label("override_reason"),
               assessments.c.assessed_at, assessments.c.actor.label("assessed_by"))
        .join(assessments, assessments.c.assessment_id == decisions.c.assessment_id)
        .outerjoin(last_override, last_override.c.decision_id == decisions.c.decision_id)
        .outerjoin(overrides, overrides.c.override_id == last_override.c.override_id)
        .order_by(decisions.c.decision_id)
    )
    if since is not None:
        query = query.where(assessments.c.assessed_at >= since)
    if ids is not None:
        query = query.where(decisions.c.declaration_id.in_(list(ids)))
    if isinstance(bind, Connection):
        frame = pd.read_sql(query, bind)
    else:
        with bind.connect() as conn:
            frame = pd.read_sql(query, conn)
    frame = frame.drop_duplicates("declaration_id", keep="last")
    frame["final_lane"] = frame["override_lane"].fillna(frame["lane"])
    return frame
