"""The SQL of evidence records (see control.evidence for the files): given a Connection, never commits."""

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, insert, select

from smartcustoms.control.evidence import KIND, Evidence, EvidenceError, safe_filename
from smartcustoms.control.repository.inspections import load_task
from smartcustoms.control.tables import evidence
from smartcustoms.control.workflow import NotFoundError
from smartcustoms.declarations.tables import declarations


def check_target(conn: Connection, declaration_id: str, task_id: int | None) -> None:
    """The declaration exists (and the task, when given, is about it)."""
    if not (declaration_id or "").strip():
        raise EvidenceError("evidence needs the declaration it belongs to")
    if task_id is not None:
        task = load_task(conn, task_id)
        if task.declaration_id != declaration_id:
            raise EvidenceError(f"task {task_id} is about declaration {task.declaration_id}, not {declaration_id}")
    elif conn.execute(select(declarations.c.declaration_id).where(
            declarations.c.declaration_id == declaration_id)).first() is None:
        raise NotFoundError(f"no declaration {declaration_id}")


def insert_evidence(conn: Connection, *, declaration_id: str, task_id: int | None, filename: str, content_type: str,
                    size: int, sha256: str, path: str, uploaded_by: str, at: datetime) -> int:
    """One evidence row for a file already stored; returns its ID."""
    return conn.execute(insert(evidence).values(
        declaration_id=declaration_id, task_id=task_id, kind=KIND[content_type],
        filename=safe_filename(filename), content_type=content_type, size_bytes=size, sha256=sha256,
        path=path, uploaded_by=uploaded_by, uploaded_at=at,
    ).returning(evidence.c.evidence_id)).scalar_one()


def get_evidence(conn: Connection, evidence_id: int) -> Evidence:
    row = conn.execute(select(evidence).where(evidence.c.evidence_id == evidence_id)).first()
    if row is None:
        raise NotFoundError(f"no evidence {evidence_id}")
    return Evidence(**row._mapping)


def evidence_frame(conn: Connection, declaration_id: str | None = None, task_id: int | None = None) -> pd.DataFrame:
    """Evidence records, oldest first (optionally of one declaration or task)."""
    query = select(evidence).order_by(evidence.c.evidence_id)
    if declaration_id is not None:
        query = query.where(evidence.c.declaration_id == declaration_id)
    if task_id is not None:
        query = query.where(evidence.c.task_id == task_id)
    return pd.DataFrame(conn.execute(query).mappings().all(), columns=evidence.c.keys())
