"""The control chain's SQL that the service's use cases need beside the chain's modules (inspections, queries,
scheduling, evidence, undertakings, which still hold theirs): given a connection, never committing."""

from sqlalchemy import Connection, select

from smartcustoms.control.tables import document_requests, evidence, valuation_queries


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
    return conn.execute(select(evidence.c.filename, evidence.c.sha256).where(evidence.c.evidence_id == evidence_id)
                        ).first()
