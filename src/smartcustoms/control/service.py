"""The control chain's use cases, the ones web and CLI call (one transaction each).

A decision and the opening of its control chain are one fact: ``record_decisions`` writes an assessment's
decisions and, in the same transaction, each declaration's clearance record and (red, yellow) inspection task.
"""

from collections.abc import Collection

import pandas as pd
from sqlalchemy import Connection, Engine

from smartcustoms.control import queries, repository
from smartcustoms.control.evidence import EvidenceLimits, store_evidence
from smartcustoms.control.inspections import CHUNK, open_chain, open_controls, unopened
from smartcustoms.control.kpis import BATCH_LANE
from smartcustoms.risk.assess import RiskEngine, assess, explain
from smartcustoms.risk.repository import record_assessment
from smartcustoms.store.db import writing

__all__ = ["BATCH_LANE", "answer_query", "assess_and_decide", "catch_up", "compliance_record", "declaration_detail",
           "declaration_page", "receive_document", "record_decisions"]


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
