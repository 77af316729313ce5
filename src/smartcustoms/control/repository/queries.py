"""The SQL of document requests and valuation queries (see control.queries for the rules): given a Connection,
never commits. Each step of a valuation query is also written once to the append-only ``valuation_query_events``.
"""

import json
import math
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, insert, select, update

from smartcustoms.control.queries import MIN_REASON_WORDS, ConflictError, DeadlineError, QueryError, named
from smartcustoms.control.tables import (
    DOCUMENT_TYPES,
    QUERY_STATES,
    document_requests,
    evidence,
    outcomes,
    tasks,
    valuation_queries,
    valuation_query_events,
)
from smartcustoms.declarations.tables import declarations, goods_items
from smartcustoms.refusals import Kind
from smartcustoms.store.db import moment


def _declaration_exists(conn: Connection, declaration_id: str) -> None:
    found = conn.execute(select(declarations.c.declaration_id)
                         .where(declarations.c.declaration_id == declaration_id)).first()
    if found is None:
        raise QueryError(f"no declaration {declaration_id!r}")


def _check_task(conn: Connection, task_id: int | None, declaration_id: str) -> str | None:
    """The task's selection source; the task must exist and belong to the declaration."""
    if task_id is None:
        return None
    row = conn.execute(select(tasks.c.declaration_id, tasks.c.source).where(tasks.c.task_id == task_id)).first()
    if row is None:
        raise QueryError(f"no inspection task {task_id}")
    if row.declaration_id != declaration_id:
        raise QueryError(f"inspection task {task_id} belongs to declaration {row.declaration_id}, "
                         f"not {declaration_id}")
    return row.source


# --- document requests ------------------------------------------------------------------------------------------


def request_documents(conn: Connection, declaration_id: str, document_types: list[str], *, requested_by: str,
                      due_in: timedelta = timedelta(days=5), task_id: int | None = None,
                      at: datetime | None = None) -> list[int]:
    """Ask the trader for documents (one request per type, due ``due_in`` from now); returns the request IDs.

    Refused: an unknown or repeated type, or a type already requested and not yet received for this
    declaration."""
    requested_by = named(requested_by, "the officer requesting documents")
    if isinstance(document_types, str):
        document_types = [document_types]
    types = [str(t).strip() for t in document_types]
    if not types:
        raise QueryError("name at least one document to request", code="documents_needed", field="document_types")
    unknown = [t for t in types if t not in DOCUMENT_TYPES]
    if unknown:
        raise QueryError(f"unknown document type(s) {', '.join(map(repr, unknown))}: "
                         f"allowed are {', '.join(DOCUMENT_TYPES)}")
    repeated = sorted({t for t in types if types.count(t) > 1})
    if repeated:
        raise QueryError(f"document type(s) listed twice: {', '.join(repeated)}")
    if due_in <= timedelta(0):
        raise QueryError(f"due_in must be positive, got {due_in}")
    at = moment(at)
    _declaration_exists(conn, declaration_id)
    _check_task(conn, task_id, declaration_id)
    pending = conn.execute(
        select(document_requests.c.document_type, document_requests.c.request_id)
        .where(document_requests.c.declaration_id == declaration_id,
               document_requests.c.state == "requested", document_requests.c.document_type.in_(types))
    ).all()
    if pending:
        listed = ", ".join(f"{row.document_type} (request {row.request_id})" for row in pending)
        raise QueryError(f"declaration {declaration_id}: already requested and not yet received: {listed}",
                         code="documents_pending", field="document_types", kind=Kind.CONFLICT)
    return [conn.execute(insert(document_requests).values(
        declaration_id=declaration_id, task_id=task_id, document_type=kind, state="requested",
        requested_by=requested_by, requested_at=at, due_at=at + due_in,
    ).returning(document_requests.c.request_id)).scalar_one() for kind in types]


def _request(conn: Connection, request_id: int):
    row = conn.execute(select(document_requests).where(document_requests.c.request_id == request_id)).first()
    if row is None:
        raise QueryError(f"no document request {request_id}")
    return row


def receive_document(conn: Connection, request_id: int, evidence_id: int, *, at: datetime | None = None) -> bool:
    """Mark a requested document received, linked to its evidence row (a file of the same declaration).
    Late documents are accepted; returns whether it came after the due date."""
    at = moment(at)
    request = _request(conn, request_id)
    if request.state != "requested":
        raise QueryError(f"document request {request_id} is {request.state}: only a requested document can "
                         f"be received")
    item = conn.execute(select(evidence.c.declaration_id).where(evidence.c.evidence_id == evidence_id)).first()
    if item is None:
        raise QueryError(f"no evidence {evidence_id}")
    if item.declaration_id != request.declaration_id:
        raise QueryError(f"evidence {evidence_id} belongs to declaration {item.declaration_id}, not "
                         f"{request.declaration_id} of document request {request_id}")
    if at < request.requested_at:
        raise QueryError(f"document request {request_id}: received at {at:%Y-%m-%d %H:%M}, before it was "
                         f"requested ({request.requested_at:%Y-%m-%d %H:%M})")
    conn.execute(update(document_requests).where(document_requests.c.request_id == request_id)
                 .values(state="received", evidence_id=evidence_id, received_at=at))
    return at > request.due_at


def waive_document(conn: Connection, request_id: int, *, at: datetime | None = None) -> None:
    """Withdraw a request that is still open (the document is no longer needed). The table has no column for
    who waived it or when: ``at`` is only checked (not before the request)."""
    at = moment(at)
    request = _request(conn, request_id)
    if request.state != "requested":
        raise QueryError(f"document request {request_id} is {request.state}: only a requested document can "
                         f"be waived")
    if at < request.requested_at:
        raise QueryError(f"document request {request_id}: waived at {at:%Y-%m-%d %H:%M}, before it was "
                         f"requested ({request.requested_at:%Y-%m-%d %H:%M})")
    conn.execute(update(document_requests).where(document_requests.c.request_id == request_id)
                 .values(state="waived"))


def requests_frame(conn: Connection, declaration_id: str | None = None, state: str | None = None) -> pd.DataFrame:
    """Document requests, oldest first, with ``late``: received after the due date."""
    query = select(document_requests).order_by(document_requests.c.request_id)
    if declaration_id is not None:
        query = query.where(document_requests.c.declaration_id == declaration_id)
    if state is not None:
        if state not in ("requested", "received", "waived"):
            raise QueryError(f"unknown request state {state!r}: allowed are requested, received, waived")
        query = query.where(document_requests.c.state == state)
    frame = pd.read_sql(query, conn)
    for column in ("requested_at", "due_at", "received_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame["late"] = (frame["received_at"] > frame["due_at"]).fillna(False).astype(bool)
    return frame


def open_requests(conn: Connection, declaration_id: str | None = None, *, at: datetime | None = None) -> pd.DataFrame:
    """Requests still waiting for their document, with ``overdue``: past the due date at ``at`` (default now)."""
    frame = requests_frame(conn, declaration_id, state="requested")
    frame["overdue"] = frame["due_at"] < pd.Timestamp(moment(at))
    return frame


# --- valuation queries ------------------------------------------------------------------------------------------


def declared_duty(conn: Connection, declaration_id: str) -> tuple[float, float]:
    """(customs value, effective duty rate in %) of a stored declaration: the sum of its items' customs values,
    and the duty they owe (sum of value x rate / 100) as a share of it (the mean item rate if the value is 0)."""
    rows = conn.execute(select(goods_items.c.customs_value, goods_items.c.duty_rate)
                        .where(goods_items.c.declaration_id == declaration_id)).all()
    if not rows:
        _declaration_exists(conn, declaration_id)
        raise QueryError(f"declaration {declaration_id} has no goods items: no value to query", code="no_goods_items",
                         field="reasons_to_doubt", declaration_id=declaration_id)
    value = sum(row.customs_value for row in rows)
    duty = sum(row.customs_value * row.duty_rate / 100 for row in rows)
    rate = duty / value * 100 if value > 0 else sum(row.duty_rate for row in rows) / len(rows)
    return float(value), float(rate)


def raise_valuation_query(conn: Connection, declaration_id: str, *, reasons_to_doubt: str, raised_by: str,
                          deadline_days: float = 10, task_id: int | None = None,
                          at: datetime | None = None) -> int:
    """Open a valuation query: the reasons to doubt the declared value go to the trader, who may answer within
    ``deadline_days``. One query at a time per declaration. Returns the query ID."""
    raised_by = named(raised_by, "the officer raising the query")
    reasons = " ".join((reasons_to_doubt or "").split())
    if len(reasons.split()) < MIN_REASON_WORDS:
        raise QueryError(f"a valuation query must state the reasons to doubt the truth or accuracy of the declared "
                         f"value (WTO Decision 6.1), in at least {MIN_REASON_WORDS} words; got {reasons!r}",
                         code="reasons_needed", field="reasons_to_doubt", min_words=MIN_REASON_WORDS)
    if not deadline_days > 0:
        raise QueryError(f"deadline_days must be positive, got {deadline_days}")
    at = moment(at)
    _check_task(conn, task_id, declaration_id)
    value, rate = declared_duty(conn, declaration_id)
    pending = conn.execute(select(valuation_queries.c.query_id, valuation_queries.c.state).where(
        valuation_queries.c.declaration_id == declaration_id,
        valuation_queries.c.state.in_(("open", "answered", "expired")))).first()
    if pending is not None:
        raise QueryError(f"declaration {declaration_id} already has valuation query {pending.query_id} "
                         f"({pending.state}, not decided): decide it first", code="query_pending",
                         field="reasons_to_doubt", kind=Kind.CONFLICT, query_id=pending.query_id)
    deadline = at + timedelta(days=deadline_days)
    query_id = conn.execute(insert(valuation_queries).values(
        declaration_id=declaration_id, task_id=task_id, state="open", reasons_to_doubt=reasons,
        declared_value=value, duty_rate=rate, raised_by=raised_by, raised_at=at, deadline=deadline, version=1,
    ).returning(valuation_queries.c.query_id)).scalar_one()
    _log(conn, query_id, "raised", raised_by, at, reasons_to_doubt=reasons, declared_value=value,
         deadline=f"{deadline:%Y-%m-%d %H:%M}")
    return query_id


def _log(conn: Connection, query_id: int, action: str, actor: str, at: datetime, **details) -> None:
    conn.execute(insert(valuation_query_events).values(
        query_id=query_id, action=action, actor=actor, at=at, details=json.dumps(details, ensure_ascii=False)))


def _query(conn: Connection, query_id: int, expected_version: int | None):
    row = conn.execute(select(valuation_queries).where(valuation_queries.c.query_id == query_id)).first()
    if row is None:
        raise QueryError(f"no valuation query {query_id}")
    if expected_version is not None and row.version != expected_version:
        raise ConflictError(f"valuation query {query_id} was changed meanwhile (version {row.version}, you had "
                            f"{expected_version}): reload it and try again")
    return row


def _save(conn: Connection, row, **values) -> int:
    """Update the query if its version is still the one read; returns the new version."""
    done = conn.execute(update(valuation_queries).where(
        valuation_queries.c.query_id == row.query_id, valuation_queries.c.version == row.version,
    ).values(**values, version=row.version + 1))
    if done.rowcount != 1:
        raise ConflictError(f"valuation query {row.query_id} was changed meanwhile: reload it and try again")
    return row.version + 1


def answer_valuation_query(conn: Connection, query_id: int, *, answer: str, answered_by: str,
                           at: datetime | None = None, expected_version: int | None = None) -> int:
    """Record the trader's answer (until the deadline, inclusive); returns the query's new version."""
    answered_by = named(answered_by, "whoever answers")
    answer = (answer or "").strip()
    if not answer:
        raise QueryError(f"valuation query {query_id}: the answer is empty")
    at = moment(at)
    row = _query(conn, query_id, expected_version)
    if row.state in ("open", "expired") and at > row.deadline:
        raise DeadlineError(f"valuation query {query_id}: the deadline was {row.deadline:%Y-%m-%d %H:%M}; "
                            f"answers are no longer accepted")
    if row.state != "open":
        raise QueryError(f"valuation query {query_id} is {row.state}: only an open query can be answered")
    if at < row.raised_at:
        raise QueryError(f"valuation query {query_id}: answered at {at:%Y-%m-%d %H:%M}, before it was raised")
    version = _save(conn, row, state="answered", answer=answer, answered_by=answered_by, answered_at=at)
    _log(conn, query_id, "answered", answered_by, at, answer=answer)
    return version


def decide_valuation_query(conn: Connection, query_id: int, *, decision: str, decided_by: str,
                           adjusted_value: float | None = None, at: datetime | None = None,
                           expected_version: int | None = None) -> dict:
    """Accept the declared value or adjust it; the duty is recomputed at the query's effective rate and the
    decision written as a documentary outcome. Allowed once answered, or once the deadline passed unanswered.

    Returns ``duty_before``, ``duty_after``, ``duty_recovered`` (never negative), ``outcome_id`` and ``state``."""
    decided_by = named(decided_by, "the deciding officer")
    if decision not in ("accept", "adjust"):
        raise QueryError(f"decision must be 'accept' or 'adjust', got {decision!r}")
    if decision == "accept" and adjusted_value is not None:
        raise QueryError("an accepted value stands as declared: give adjusted_value only with 'adjust'",
                         code="accepted_value_adjusted", field="adjusted_value")
    if decision == "adjust" and (adjusted_value is None or not math.isfinite(adjusted_value) or adjusted_value <= 0):
        raise QueryError(f"'adjust' needs the adjusted customs value (a number > 0), got {adjusted_value!r}",
                         code="adjusted_value_needed", field="adjusted_value")
    at = moment(at)
    row = _query(conn, query_id, expected_version)
    if row.state == "open" and at <= row.deadline:
        raise QueryError(f"valuation query {query_id} awaits the trader's answer until "
                         f"{row.deadline:%Y-%m-%d %H:%M}: decide after the answer or after the deadline",
                         code="answer_awaited", field="decision", kind=Kind.CONFLICT)
    if row.state not in ("open", "answered", "expired"):
        raise QueryError(f"valuation query {query_id} is already decided ({row.state})", code="query_decided",
                         field="decision", kind=Kind.CONFLICT)
    if decision == "adjust" and round(adjusted_value, 2) == round(row.declared_value, 2):
        raise QueryError(f"valuation query {query_id}: the adjusted value equals the declared value "
                         f"({row.declared_value:.2f}): accept it instead", code="adjusted_equals_declared",
                         field="adjusted_value")
    value = row.declared_value if decision == "accept" else float(adjusted_value)
    duty_before = round(row.declared_value * row.duty_rate / 100, 2)
    duty_after = round(value * row.duty_rate / 100, 2)
    recovered = round(max(duty_after - duty_before, 0.0), 2)
    state = "accepted" if decision == "accept" else "adjusted"
    source = _check_task(conn, row.task_id, row.declaration_id)
    _save(conn, row, state=state, decided_value=value, duty_before=duty_before, duty_after=duty_after,
          decided_by=decided_by, decided_at=at)
    _log(conn, query_id, state, decided_by, at, decided_value=value, duty_before=duty_before,
         duty_after=duty_after)
    found = duty_after > duty_before
    outcome_id = conn.execute(insert(outcomes).values(
        declaration_id=row.declaration_id, inspection_date=datetime.combine(at.date(), datetime.min.time()),
        control_type="documentary", selection_reason=source or "query",
        result="discrepancy" if found else "no_discrepancy", infringement="valuation" if found else "",
        duty_recovered=recovered, task_id=row.task_id, officer=decided_by, duty_before=duty_before,
        duty_after=duty_after, penalty=0.0, seized=False, recorded_at=at,
    ).returning(outcomes.c.outcome_id)).scalar_one()
    return {"duty_before": duty_before, "duty_after": duty_after, "duty_recovered": recovered,
            "outcome_id": outcome_id, "state": state}


def expire_overdue(conn: Connection, *, at: datetime | None = None) -> list[int]:
    """Mark open queries whose deadline has passed ``expired`` (a decision is still due); returns their IDs."""
    at = moment(at)
    due = conn.execute(select(valuation_queries.c.query_id).where(
        valuation_queries.c.state == "open", valuation_queries.c.deadline < at)
        .order_by(valuation_queries.c.query_id)).scalars().all()
    if due:
        conn.execute(update(valuation_queries).where(valuation_queries.c.query_id.in_(due))
                     .values(state="expired", version=valuation_queries.c.version + 1))
        for query_id in due:
            _log(conn, query_id, "expired", "system", at)
    return list(due)


def queries_frame(conn: Connection, declaration_id: str | None = None, state: str | None = None) -> pd.DataFrame:
    """Valuation queries, oldest first."""
    query = select(valuation_queries).order_by(valuation_queries.c.query_id)
    if declaration_id is not None:
        query = query.where(valuation_queries.c.declaration_id == declaration_id)
    if state is not None:
        if state not in QUERY_STATES:
            raise QueryError(f"unknown query state {state!r}: allowed are {', '.join(QUERY_STATES)}")
        query = query.where(valuation_queries.c.state == state)
    frame = pd.read_sql(query, conn)
    for column in ("raised_at", "deadline", "answered_at", "decided_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame

