"""The control chain's use cases, the ones web and CLI call (one transaction each).

A decision and the opening of its control chain are one fact: ``record_decisions`` writes an assessment's
decisions and, in the same transaction, each declaration's clearance record and (red, yellow) inspection task.
"""

from collections.abc import Collection

import pandas as pd
from sqlalchemy import Connection, Engine

from smartcustoms.control import kpis, queries, repository
from smartcustoms.control.audit_cases import (
    AuditCaseError,
    case_declarations,
    cases_frame,
    close_case,
    open_case,
    plan_and_store,
    record_finding,
)
from smartcustoms.control.audits import AuditPlanError
from smartcustoms.control.evidence import EvidenceError, EvidenceLimits, read_evidence, store_evidence
from smartcustoms.control.inspections import (
    CHUNK,
    add_officers,
    assign_open,
    complete,
    get_task,
    officer_frame,
    open_chain,
    open_controls,
    release,
    take_next,
    task_frame,
    task_history,
    transition,
    unopened,
)
from smartcustoms.control.kpis import BATCH_LANE
from smartcustoms.control.queries import (
    QueryError,
    decide_valuation_query,
    queries_frame,
    raise_valuation_query,
    request_documents,
)
from smartcustoms.control.scheduling import add_slots, book, cancel_booking, free_slots
from smartcustoms.control.tables import INFRINGEMENTS
from smartcustoms.control.workflow import ConflictError, ControlError, NotFoundError, OutcomeError, TransitionError
from smartcustoms.risk.assess import RiskEngine, assess, explain
from smartcustoms.risk.repository import record_assessment
from smartcustoms.store.db import transaction, utc_now, writing

QueryConflictError = queries.ConflictError  # a valuation query changed meanwhile (workflow's ConflictError: a task)

# Web and CLI call the chain's steps that hold their own transaction in the chain's modules (inspections,
# scheduling, audit cases) through this module too, imported above.
__all__ = [
    "ALL", "AuditCaseError", "AuditPlanError", "BATCH_LANE", "ConflictError", "ControlError", "EvidenceError",
    "INFRINGEMENTS", "KPI_CHARTS", "KpiError", "LANES", "NotFoundError", "OutcomeError", "QueryConflictError",
    "QueryError", "TransitionError", "add_officers", "add_slots", "answer_query", "assess_and_decide", "assign_open",
    "book", "cancel_booking", "case_declarations", "cases_frame", "catch_up", "close_case", "complete",
    "compliance_record", "decide_valuation_query", "declaration_detail", "declaration_page", "free_slots", "get_task",
    "kpi_chart", "kpi_frames", "kpi_offices", "kpi_tables", "officer_frame", "open_case", "open_controls",
    "plan_and_store", "profile_performance", "queries_frame", "raise_valuation_query", "read_evidence",
    "receive_document", "record_decisions", "record_finding", "release", "request_documents", "store_evidence",
    "take_next", "task_frame", "task_history", "transition",
]


def record_decisions(conn: Connection, decided: pd.DataFrame, provenance: dict, actor: str, *,
                     remote_offices: Collection[str] = (), lane_time: str = "assessed") -> dict[str, int]:
    """In the caller's transaction: record one assessment run and its decisions, and open the control chain of
    every declaration decided (see ``inspections.open_controls`` for `lane_time` and `remote_offices`). Returns
    the assessment ID and the opening counts (tasks, clearance, released, held, skipped)."""
    assessment_id = record_assessment(conn, decided, provenance, actor)
    opened = open_chain(conn, decided["declaration_id"].tolist(), lane_time=lane_time,
                        remote_offices=remote_offices)
    return {"assessment_id": assessment_id, **opened}


def assess_and_decide(db: Engine, frame: pd.DataFrame, engine: RiskEngine, actor: str, *,
                      remote_offices: Collection[str] = (),
                      lane_time: str = "assessed") -> tuple[pd.DataFrame, dict[str, int]]:
    """Assess declarations (CPU only, before the transaction), then record the decisions with their explanations
    and open their control chain in one transaction. Returns the decisions and the opening counts."""
    decided = explain(assess(frame, engine), list(engine.screens))
    with writing(db) as conn:
        counts = record_decisions(conn, decided, engine.provenance(), actor, remote_offices=remote_offices,
                                  lane_time=lane_time)
    return decided, counts


def catch_up(db: Engine, *, remote_offices: Collection[str] = (), lane_time: str = "assessed") -> dict[str, int]:
    """Open the chain of every decision recorded without it (a database from before, a process stopped between
    the two), a few hundred declarations per transaction: at a server's startup. Returns the opening counts."""
    ids = unopened(db)
    counts = {"tasks": 0, "clearance": 0, "released": 0, "held": 0, "skipped": 0}
    for start in range(0, len(ids), CHUNK):
        done = open_controls(db, lane_time=lane_time, remote_offices=remote_offices,
                             declaration_ids=ids[start:start + CHUNK])
        counts = {key: counts[key] + done[key] for key in counts}
    return counts


def receive_document(db: Engine, folder, limits: EvidenceLimits, *, declaration_id: str, request_id: int,
                     filename: str, data, content_type: str, uploaded_by: str) -> tuple[int, bool]:
    """A trader's file for a requested document: stored, and the request marked received, in one transaction (a
    refused file stores no row). Returns the evidence ID and whether it came after its due date."""
    with db.begin() as conn:
        evidence_id = store_evidence(conn, folder, declaration_id=declaration_id,
                                     task_id=repository.request_task(conn, request_id), filename=filename, data=data,
                                     content_type=content_type, uploaded_by=uploaded_by, limits=limits)
        late = queries.receive_document(conn, request_id, evidence_id)
    return evidence_id, late


def answer_query(db: Engine, folder, limits: EvidenceLimits, *, declaration_id: str, query_id: int, answer: str,
                 answered_by: str, expected_version: int | None = None, upload: tuple | None = None) -> None:
    """A trader's answer to a valuation query, with an optional file (``upload``: filename, data, content type)
    stored in the same transaction and named in the answer (a refused answer stores no row)."""
    with db.begin() as conn:
        if upload is not None:
            filename, data, content_type = upload
            evidence_id = store_evidence(conn, folder, declaration_id=declaration_id,
                                         task_id=repository.query_task(conn, query_id), filename=filename, data=data,
                                         content_type=content_type, uploaded_by=answered_by, limits=limits)
            stored = repository.stored_file(conn, evidence_id)
            answer += f"\n\n[attached: {stored.filename}, evidence {evidence_id}, SHA-256 {stored.sha256}]"
        queries.answer_valuation_query(conn, query_id, answer=answer, answered_by=answered_by,
                                       expected_version=expected_version)


def declaration_page(db, user, limit: int, offset: int) -> tuple[list[dict], int]:
    """The declarations the user may see, newest first (a page of them), with lane and status; and how many."""
    return repository.page(db, user, limit, offset)


def declaration_detail(db, user, declaration_id: str) -> dict | None:
    """A declaration the user may see, with its lane, reasons, status and timeline (None: not there for them)."""
    return repository.detail(db, user, declaration_id)


def compliance_record(db, user, recent: int = 10) -> dict:
    """The trader's compliance record: declarations, controls, discrepancies, and the latest declarations."""
    return repository.compliance_record(db, user, recent)


KPI_CHARTS = ("release_times", "lanes_per_day", "control_times", "hit_rates", "revenue")


def kpi_chart(name: str, frames: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame], fmt: str = "png",
              currency: str = "") -> bytes:
    """One KPI chart (control.charts, one of `KPI_CHARTS`) drawn from the KPI frames and tables."""
    from smartcustoms.control.charts import kpi_chart as draw

    return draw(name, frames, tables, fmt, currency)


# --- KPIs and profile feedback --------------------------------------------------------------------------------

ALL, LANES, KpiError = kpis.ALL, kpis.LANES, kpis.KpiError  # the "all" rows of a KPI table, lanes in order; refusal


def kpi_offices(db: Engine) -> list[str]:
    """Every office that has a declaration or a clearance record, sorted (the KPI filter's choices)."""
    with transaction(db) as conn:
        return repository.kpi_offices(conn)


def kpi_frames(db: Engine, since=None, until=None, office: str | None = None) -> dict[str, pd.DataFrame]:
    """The KPI inputs of the declarations lodged in [since, until] (at `office`): control.kpi_data's frames
    (clearance, tasks, events, decisions, outcomes). KpiError for a period that makes no sense."""
    from smartcustoms.control.kpi_data import load_kpi_frames

    return load_kpi_frames(db, since, until, office)


def kpi_tables(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every KPI summary table (control.kpis.summary) of `kpi_frames`. KpiError when they cannot be computed."""
    return kpis.summary(**frames)


def profile_performance(db: Engine, *, retire_after_days: int = 180, min_selections: int = 20):
    """How each profile performs (control.feedback.profile_performance), as of the latest control outcome (now
    when there is none): (as_of, frame), the frame None when no decision has hit a profile yet."""
    from smartcustoms.control.feedback import profile_hits
    from smartcustoms.control.feedback import profile_performance as performance
    from smartcustoms.outcomes.service import load_outcomes
    from smartcustoms.risk.repository import latest_decisions

    hits = profile_hits(latest_decisions(db))
    outcomes = load_outcomes(db) if not hits.empty else None
    as_of = outcomes["inspection_date"].max() if outcomes is not None and len(outcomes) else utc_now()
    as_of = as_of if pd.notna(as_of) else utc_now()
    if hits.empty:
        return as_of, None
    return as_of, performance(hits, outcomes, as_of=as_of, retire_after_days=retire_after_days,
                              min_selections=min_selections)
