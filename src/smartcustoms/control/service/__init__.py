"""The control chain's use cases, the ones web and CLI call (one transaction each; a Connection given instead of
the Engine joins the caller's transaction). The rules live in the chain's pure modules (workflow, inspections,
scheduling, evidence, queries, undertakings, audit_cases, kpis), the SQL in ``control.repository``.

A decision and the opening of its control chain are one fact: ``record_decisions`` writes an assessment's
decisions and, in the same transaction, each declaration's clearance record and (red, yellow) inspection task.
"""

from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from smartcustoms.control import evidence, kpis, queries, repository
from smartcustoms.control.audit_cases import AuditCaseError, named
from smartcustoms.control.audits import AuditPlanError, plan_audits
from smartcustoms.control.evidence import KIND, Evidence, EvidenceError, EvidenceLimits
from smartcustoms.control.inspections import CHUNK, Task, named_actor
from smartcustoms.control.kpis import BATCH_LANE
from smartcustoms.control.modes import NAMES as MODE_NAMES
from smartcustoms.control.modes import SETTINGS as MODE_SETTINGS
from smartcustoms.control.queries import DeadlineError, QueryError
from smartcustoms.control.repository import audit_cases as audit_sql
from smartcustoms.control.repository import evidence as evidence_sql
from smartcustoms.control.repository import inspections as task_sql
from smartcustoms.control.repository import queries as query_sql
from smartcustoms.control.repository import scheduling as slot_sql
from smartcustoms.control.scheduling import BookingError
from smartcustoms.control.status import reasons
from smartcustoms.control.tables import DOCUMENT_TYPES, INFRINGEMENTS
from smartcustoms.control.undertakings import Eligibility, UndertakingError
from smartcustoms.control.workflow import (
    SLOT_MODE,
    STATES,
    TRANSITIONS,
    AssignmentError,
    ConflictError,
    ControlError,
    NotFoundError,
    OutcomeError,
    TransitionError,
    profile_checks,
    remote_fit,
)
from smartcustoms.risk.assess import RiskEngine, assess, explain
from smartcustoms.risk.repository import DECISION_COLUMNS, decision_rows, store_assessment
from smartcustoms.store.db import moment, transaction, utc_now, writing

QueryConflictError = queries.ConflictError  # a valuation query changed meanwhile (workflow's ConflictError: a task)

# What web and CLI read beside the use cases: the chain's refusals, constants and the records the use cases return.
__all__ = [
    "AuditCaseError", "AuditPlanError", "BATCH_LANE", "BookingError", "ConflictError", "ControlError", "DeadlineError",
    "DOCUMENT_TYPES", "Eligibility", "Evidence", "EvidenceError", "EvidenceLimits", "INFRINGEMENTS", "NotFoundError",
    "KIND", "MODE_NAMES", "MODE_SETTINGS", "OutcomeError", "QueryConflictError", "QueryError", "SLOT_MODE", "STATES",
    "TRANSITIONS", "Task", "TransitionError", "UndertakingError", "profile_checks", "reasons",
    "remote_fit",
]


def record_decisions(conn: Connection, decided: pd.DataFrame, provenance: dict, actor: str, *,
                     remote_offices: Collection[str] = (), lane_time: str = "assessed",
                     stored_here: Mapping[str, tuple[str, datetime]] | None = None) -> dict[str, int]:
    """In the caller's transaction: record one assessment run and its decisions, and open the control chain of
    every declaration decided (see ``open_controls`` for `lane_time` and `remote_offices`). `stored_here`: the
    declarations this transaction stored (ID -> office ID, acceptance time, as stored), whose chain is built
    from what is at hand (``open_stored_here``: the same rows); the others' is read from the database. Returns
    the assessment ID and the opening counts (tasks, clearance, released, held, skipped)."""
    rows = decision_rows(decided)
    assessment_id, assessed_at = store_assessment(conn, rows, provenance, actor)
    ids = [row[0] for row in rows]
    stored_here = stored_here or {}
    here = [key in stored_here for key in ids]
    counts = {"tasks": 0, "clearance": 0, "released": 0, "held": 0, "skipped": 0}
    if any(here):  # first: their tasks are numbered in the order decided, as open_chain's are
        at = [DECISION_COLUMNS.index(name) for name in ("declaration_id", "lane", "source", "explanation")]
        counts = task_sql.open_stored_here(conn, [tuple(row[i] for i in at) for row, new in zip(rows, here) if new],
                                           stored_here, assessment_id, assessed_at, lane_time=lane_time,
                                           remote_offices=remote_offices)
    if not all(here):
        opened = task_sql.open_chain(conn, [key for key, new in zip(ids, here) if not new], lane_time=lane_time,
                                     remote_offices=remote_offices)
        counts = {key: counts[key] + opened[key] for key in counts}
    return {"assessment_id": assessment_id, **counts}


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
        late = query_sql.receive_document(conn, request_id, evidence_id)
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
        query_sql.answer_valuation_query(conn, query_id, answer=answer, answered_by=answered_by,
                                       expected_version=expected_version)


def declaration_page(db, user, limit: int, offset: int) -> tuple[list[dict], int]:
    """The declarations the user may see, newest first (a page of them), with lane and status; and how many."""
    with transaction(db) as conn:
        return repository.page(conn, user, limit, offset)


def declaration_detail(db, user, declaration_id: str) -> dict | None:
    """A declaration the user may see, with its lane, reasons, status and timeline (None: not there for them)."""
    with transaction(db) as conn:
        return repository.detail(conn, user, declaration_id)


def compliance_record(db, user, recent: int = 10) -> dict:
    """The trader's compliance record: declarations, controls, discrepancies, and the latest declarations."""
    with transaction(db) as conn:
        return repository.compliance_record(conn, user, recent)


KPI_CHARTS = ("release_times", "lanes_per_day", "control_times", "hit_rates", "revenue")


def kpi_chart(name: str, frames: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame], fmt: str = "png",
              currency: str = "") -> bytes:
    """One KPI chart (control.charts, one of `KPI_CHARTS`) drawn from the KPI frames and tables."""
    from smartcustoms.control.charts import kpi_chart as draw

    return draw(name, frames, tables, fmt, currency)


# --- inspection tasks -------------------------------------------------------------------------------------------


def get_task(db: Engine | Connection, task_id: int) -> Task:
    """One inspection task (NotFoundError: none)."""
    with transaction(db) as conn:
        return task_sql.load_task(conn, task_id)


def add_officers(db: Engine | Connection, frame: pd.DataFrame) -> int:
    """Add officers (columns officer_id, name, office_id, modes as a list or comma-separated text of
    physical, documentary, remote, audit; optional active). An officer already there is refused."""
    with transaction(db) as conn:
        return task_sql.add_officers(conn, frame)


def officer_frame(db: Engine | Connection, office_id: str | None = None) -> pd.DataFrame:
    """Officers with their open tasks (assigned, scheduled, in progress)."""
    with transaction(db) as conn:
        return task_sql.officer_frame(conn, office_id)


def open_controls(db: Engine, *, lane_time: str = "assessed", remote_offices: Collection[str] = (),
                  due: dict[str, timedelta] | None = None, at: datetime | None = None,
                  declaration_ids: Collection[str] | None = None) -> dict[str, int]:
    """Open an inspection task for every latest red or yellow decision whose declaration has none yet, and one
    clearance row per decided declaration (green and blue are released at their lane time, red and yellow held).

    A decision opens its own chain when it is recorded (``record_decisions``, in the decision's transaction);
    this catches up with decisions recorded without it (older databases, a process stopped between the two).

    lane_time: "assessed" (the lane was given when the assessment ran) or "lodged" (the decisions replay past
    traffic: the lane is taken as given one second after the declaration was lodged). Each task is due its
    mode's delay (`due`, default inspections.DUE) after the lane time; a red task is remote when its office is in
    `remote_offices` and its reasons fit (workflow.remote_fit). Tasks are created, and their "created" event
    stamped, at the lane time (or at `at` when given). Declarations not stored are skipped. Running it again
    creates nothing new. With `declaration_ids`, only those declarations are looked at. Returns counts: tasks,
    clearance, released, held, skipped.
    """
    task_sql.check_lane_time(lane_time)
    ids = None if declaration_ids is None else list(dict.fromkeys(declaration_ids))
    with db.connect() as conn:
        planned = task_sql.plan_chain(conn, ids, lane_time, remote_offices, due, at)
    if planned is None or isinstance(planned, int):
        return task_sql.chain_counts(pd.DataFrame(columns=["status"]), [], planned or 0)
    # the write lock is held for the writes alone; what another writer opened meanwhile is left as it is
    with writing(db) as conn:
        return task_sql.write_chain(conn, ids, *planned)


def unopened(db: Engine | Connection) -> list[str]:
    """The stored declarations with a decision and no clearance row yet (their control chain is not open)."""
    with transaction(db) as conn:
        return task_sql.unopened(conn)


def assign(db: Engine | Connection, task_id: int, *, actor: str, rng: int | np.random.Generator | None = None,
           at: datetime | None = None) -> str:
    """Assign a created task (or reassign an assigned one) to an officer drawn among the active officers of its
    office qualified for its mode, with the least workload (workflow.pick_officer). Returns the officer ID."""
    with transaction(db) as conn:
        return task_sql.assign(conn, task_id, actor=actor, rng=rng, at=at)


def assign_open(db: Engine, *, actor: str, rng: int | np.random.Generator | None = None,
                office_id: str | None = None, at: datetime | None = None) -> dict[str, int]:
    """Assign every created task (optionally of one office), most urgent first, one transaction each. Returns
    counts: assigned, no_officer (left created), taken (someone else assigned it meanwhile)."""
    actor, rng = named_actor(actor), np.random.default_rng(rng)
    with db.connect() as conn:
        ids = task_sql.created_tasks(conn, office_id)
    counts = {"assigned": 0, "no_officer": 0, "taken": 0}
    for task_id in ids:
        try:
            with db.begin() as conn:
                task = task_sql.load_task(conn, task_id)
                if task.state != "created":
                    counts["taken"] += 1
                    continue
                task_sql.assign_task(conn, task, actor=actor, rng=rng, at=moment(at))
            counts["assigned"] += 1
        except AssignmentError:
            counts["no_officer"] += 1
        except ConflictError:
            counts["taken"] += 1
    return counts


def take_next(db: Engine, officer_id: str, *, at: datetime | None = None) -> Task | None:
    """The officer's case queue: their assigned task due first that they can work now (a desk check; a physical or
    remote inspection waits for the trader to book a slot and is passed over, not handed out again and again);
    else the created task of their office due first that they are qualified for, which is assigned to them
    (another officer taking it at the same moment makes this one try the next). None when there is nothing to
    do."""
    at = moment(at)
    with db.connect() as conn:
        own, pool = task_sql.officer_queue(conn, officer_id)
    if own is not None:
        return own
    for task_id in pool:
        try:
            with db.begin() as conn:
                task = task_sql.load_task(conn, task_id)
                if task.state != "created":
                    continue
                task_sql.move(conn, task, "assigned", actor=officer_id, expected_version=task.version, at=at,
                              officer_id=officer_id, note=f"officer {officer_id} (taken from the office queue)")
                return task_sql.load_task(conn, task_id)
        except ConflictError:
            continue
    return None


def transition(db: Engine | Connection, task_id: int, to_state: str, *, actor: str, expected_version: int,
               at: datetime | None = None, note: str | None = None) -> int:
    """Move a task to `to_state` if the state machine allows it and nobody changed it since `expected_version`.
    Assigning, booking and completing have their own use cases (they record more than the state); released,
    detained and seized also update the clearance row. Returns the new version."""
    with transaction(db) as conn:
        return task_sql.transition(conn, task_id, to_state, actor=actor, expected_version=expected_version, at=at,
                                   note=note)


def release(db: Engine | Connection, task_id: int, *, actor: str, expected_version: int,
            decision: str = "released", at: datetime | None = None, note: str | None = None) -> int:
    """End the control: released (goods go), detained (held pending payment, a licence, an investigation) or
    seized. The clearance row gets the status, and the release time when released."""
    if decision not in ("released", "detained", "seized"):
        raise TransitionError(f"a release decision is released, detained or seized, got {decision!r}")
    return transition(db, task_id, decision, actor=actor, expected_version=expected_version, at=at, note=note)


def change_mode(db: Engine | Connection, task_id: int, mode: str, *, actor: str, expected_version: int,
                at: datetime | None = None, note: str | None = None) -> int:
    """Switch a task between physical and remote inspection before it is scheduled (the trader asked for a remote
    inspection, or the officer wants to see the goods). Logged as an event that keeps the state."""
    with transaction(db) as conn:
        return task_sql.change_mode(conn, task_id, mode, actor=actor, expected_version=expected_version, at=at,
                                    note=note)


def complete(db: Engine | Connection, task_id: int, *, actor: str, expected_version: int, result: str,
             infringements: list[str] | tuple[str, ...] = (), duty_before: float, duty_after: float,
             seized: bool = False, offence_code: str | None = None, penalty: float | None = None,
             note: str | None = None, at: datetime | None = None) -> int:
    """Record the control's outcome and move the task from in_progress to completed, in one transaction.

    The outcome row is the label of the targeting model and the hit of the profiles: control_type is the task's
    mode, selection_reason its source, duty_recovered max(duty_after - duty_before, 0). Returns the outcome ID.
    """
    with transaction(db) as conn:
        return task_sql.complete(conn, task_id, actor=actor, expected_version=expected_version, result=result,
                                 infringements=infringements, duty_before=duty_before, duty_after=duty_after,
                                 seized=seized, offence_code=offence_code, penalty=penalty, note=note, at=at)


def task_frame(db: Engine | Connection, office_id: str | None = None, state: str | None = None,
               officer_id: str | None = None) -> pd.DataFrame:
    """Tasks (reasons and checklist as lists), most urgent first."""
    with transaction(db) as conn:
        return task_sql.task_frame(conn, office_id, state, officer_id)


def task_history(db: Engine | Connection, task_id: int) -> pd.DataFrame:
    """The task's events, oldest first: from_state, to_state, actor, at, note."""
    with transaction(db) as conn:
        return task_sql.task_history(conn, task_id)


def clearance_frame(db: Engine | Connection, office_id: str | None = None) -> pd.DataFrame:
    """The clearance rows: lodged, lane given, released (None while held) and status, per declaration."""
    with transaction(db) as conn:
        return task_sql.clearance_frame(conn, office_id)


def decision_explanations(db: Engine | Connection, decision_ids: list[int]) -> dict[int, str | None]:
    """The explanations (JSON) of the given decisions, by decision ID."""
    with transaction(db) as conn:
        return repository.decision_explanations(conn, decision_ids)


# --- slots and bookings -----------------------------------------------------------------------------------------


def add_slots(db: Engine | Connection, office_id: str, mode: str, start: datetime, end: datetime, *,
              every: timedelta = timedelta(hours=1), length: timedelta | None = None, capacity: int = 2,
              hours: tuple[int, int] | None = None) -> int:
    """Slots starting at `start`, `start + every`, ... before `end`, each `length` long (default `every`) for
    `capacity` inspections; with `hours` (first, last) only those starting at an hour in [first, last). A slot
    already there (same office, mode, start) is kept as it is. Returns the number created."""
    with transaction(db) as conn:
        return slot_sql.add_slots(conn, office_id, mode, start, end, every=every, length=length, capacity=capacity,
                                  hours=hours)


def free_slots(db: Engine | Connection, office_id: str, mode: str, after: datetime | None = None,
               limit: int | None = None) -> pd.DataFrame:
    """Slots of an office and mode starting after `after` (default now) with room left, earliest first:
    slot_id, starts_at, ends_at, capacity, booked, free."""
    with transaction(db) as conn:
        return slot_sql.free_slots(conn, office_id, mode, after, limit)


def book(db: Engine | Connection, task_id: int, slot_id: int, *, booked_by: str, at: datetime | None = None) -> int:
    """Book a slot for an assigned physical (on-site slot) or remote (remote slot) inspection of the slot's
    office; the slot must start after `at` and have room. The task moves to scheduled. Returns the booking ID."""
    with transaction(db) as conn:
        return slot_sql.book(conn, task_id, slot_id, booked_by=booked_by, at=at)


def cancel_booking(db: Engine | Connection, task_id: int, *, cancelled_by: str, at: datetime | None = None) -> None:
    """Cancel the booking of a scheduled inspection whose slot has not started (starts after `at`): the booking
    row goes (the slot's place is free again) and the task moves back to assigned, with an event naming who
    cancelled which slot, so that another slot can be booked."""
    with transaction(db) as conn:
        slot_sql.cancel_booking(conn, task_id, cancelled_by=cancelled_by, at=at)


def booking_of(db: Engine | Connection, task_id: int) -> dict | None:
    """The task's booking with its slot (slot_id, office_id, mode, starts_at, ends_at, booked_by, booked_at)."""
    with transaction(db) as conn:
        return slot_sql.booking_of(conn, task_id)


# --- evidence ---------------------------------------------------------------------------------------------------


def store_evidence(db: Engine | Connection, folder, *, declaration_id: str, task_id: int | None = None,
                   filename: str, data, content_type: str, uploaded_by: str, at: datetime | None = None,
                   limits: EvidenceLimits | None = None) -> int:
    """Store one file for a declaration (and its inspection task): checks type, size and content, writes the file
    under its checksum and one ``evidence`` row. Returns the evidence ID."""
    limits, at = limits or EvidenceLimits(), moment(at)
    content_type, uploaded_by = evidence.checked_upload(content_type, uploaded_by, limits)
    with transaction(db) as conn:  # check where it belongs before reading a large file
        evidence_sql.check_target(conn, declaration_id, task_id)
    path, sha256, size = evidence.write_file(folder, data, content_type, limits)
    # the file comes first: should the row fail, an unreferenced file is left, never a row without its file
    with transaction(db) as conn:
        evidence_sql.check_target(conn, declaration_id, task_id)
        return evidence_sql.insert_evidence(conn, declaration_id=declaration_id, task_id=task_id, filename=filename,
                                            content_type=content_type, size=size, sha256=sha256, path=path,
                                            uploaded_by=uploaded_by, at=at)


def get_evidence(db: Engine | Connection, evidence_id: int) -> Evidence:
    """One evidence record (NotFoundError: none)."""
    with transaction(db) as conn:
        return evidence_sql.get_evidence(conn, evidence_id)


def read_evidence(db: Engine | Connection, folder, evidence_id: int) -> tuple[Evidence, bytes]:
    """The stored file and its record; EvidenceError if the file is gone or no longer matches its checksum."""
    record = get_evidence(db, evidence_id)
    return record, evidence.read_file(folder, record)


def evidence_frame(db: Engine | Connection, declaration_id: str | None = None,
                   task_id: int | None = None) -> pd.DataFrame:
    """Evidence records, oldest first (optionally of one declaration or task)."""
    with transaction(db) as conn:
        return evidence_sql.evidence_frame(conn, declaration_id, task_id)


# --- document requests and valuation queries (control.queries) ------------------------------------------------


def request_documents(db: Engine | Connection, declaration_id: str, document_types: list[str], *,
                      requested_by: str, due_in: timedelta = timedelta(days=5), task_id: int | None = None,
                      at: datetime | None = None) -> list[int]:
    """Ask the trader for documents (one request per type, due ``due_in`` from now); returns the request IDs.
    Refused: an unknown or repeated type, or a type already requested and not yet received for this
    declaration."""
    with transaction(db) as conn:
        return query_sql.request_documents(conn, declaration_id, document_types, requested_by=requested_by,
                                           due_in=due_in, task_id=task_id, at=at)


def mark_document_received(db: Engine | Connection, request_id: int, evidence_id: int, *,
                           at: datetime | None = None) -> bool:
    """Mark a requested document received, linked to its evidence row (a file of the same declaration).
    Late documents are accepted; returns whether it came after the due date."""
    with transaction(db) as conn:
        return query_sql.receive_document(conn, request_id, evidence_id, at=at)


def waive_document(db: Engine | Connection, request_id: int, *, at: datetime | None = None) -> None:
    """Withdraw a request that is still open (the document is no longer needed)."""
    with transaction(db) as conn:
        query_sql.waive_document(conn, request_id, at=at)


def requests_frame(db: Engine | Connection, declaration_id: str | None = None,
                   state: str | None = None) -> pd.DataFrame:
    """Document requests, oldest first, with ``late``: received after the due date."""
    with transaction(db) as conn:
        return query_sql.requests_frame(conn, declaration_id, state)


def open_requests(db: Engine | Connection, declaration_id: str | None = None, *,
                  at: datetime | None = None) -> pd.DataFrame:
    """Requests still waiting for their document, with ``overdue``: past the due date at ``at`` (default now)."""
    with transaction(db) as conn:
        return query_sql.open_requests(conn, declaration_id, at=at)


def declared_duty(db: Engine | Connection, declaration_id: str) -> tuple[float, float]:
    """(customs value, effective duty rate in %) of a stored declaration (what a valuation query reads)."""
    with transaction(db) as conn:
        return query_sql.declared_duty(conn, declaration_id)


def raise_valuation_query(db: Engine | Connection, declaration_id: str, *, reasons_to_doubt: str, raised_by: str,
                          deadline_days: float = 10, task_id: int | None = None,
                          at: datetime | None = None) -> int:
    """Open a valuation query: the reasons to doubt the declared value go to the trader, who may answer within
    ``deadline_days``. One query at a time per declaration. Returns the query ID."""
    with transaction(db) as conn:
        return query_sql.raise_valuation_query(conn, declaration_id, reasons_to_doubt=reasons_to_doubt,
                                               raised_by=raised_by, deadline_days=deadline_days, task_id=task_id,
                                               at=at)


def answer_valuation_query(db: Engine | Connection, query_id: int, *, answer: str, answered_by: str,
                           at: datetime | None = None, expected_version: int | None = None) -> int:
    """Record the trader's answer (until the deadline, inclusive); returns the query's new version."""
    with transaction(db) as conn:
        return query_sql.answer_valuation_query(conn, query_id, answer=answer, answered_by=answered_by, at=at,
                                                expected_version=expected_version)


def decide_valuation_query(db: Engine | Connection, query_id: int, *, decision: str, decided_by: str,
                           adjusted_value: float | None = None, at: datetime | None = None,
                           expected_version: int | None = None) -> dict:
    """Accept the declared value or adjust it; the duty is recomputed at the query's effective rate and the
    decision written as a documentary outcome. Allowed once answered, or once the deadline passed unanswered.
    Returns ``duty_before``, ``duty_after``, ``duty_recovered`` (never negative), ``outcome_id`` and ``state``."""
    with transaction(db) as conn:
        return query_sql.decide_valuation_query(conn, query_id, decision=decision, decided_by=decided_by,
                                                adjusted_value=adjusted_value, at=at,
                                                expected_version=expected_version)


def expire_overdue(db: Engine | Connection, *, at: datetime | None = None) -> list[int]:
    """Mark open queries whose deadline has passed ``expired`` (a decision is still due); returns their IDs."""
    with transaction(db) as conn:
        return query_sql.expire_overdue(conn, at=at)


def queries_frame(db: Engine | Connection, declaration_id: str | None = None,
                  state: str | None = None) -> pd.DataFrame:
    """Valuation queries, oldest first."""
    with transaction(db) as conn:
        return query_sql.queries_frame(conn, declaration_id, state)


# --- post-clearance audit cases (control.audit_cases) ----------------------------------------------------------


def audit_candidates(db: Engine | Connection, *, as_of: datetime | None = None) -> pd.DataFrame:
    """Released declarations (final lane green or blue in the latest decision) with their importer, acceptance
    time, risk score and duty at risk; ``already_controlled`` where an outcome (dated before ``as_of`` when
    given) exists. Declarations already in an audit case are left out."""
    with transaction(db) as conn:
        return audit_sql.audit_candidates(conn, as_of=as_of)


def plan_and_store(db: Engine, *, capacity_cases: int, period: str = "quarter", planned_by: str,
                   capacity_declarations: int | None = None, min_duty: float = 0.0, blue_boost: float = 1.5,
                   as_of: datetime | None = None, at: datetime | None = None) -> pd.DataFrame:
    """Plan audit cases (``control.audits.plan_audits`` on ``audit_candidates``) and store the chosen ones,
    state planned, in one transaction. ``capacity_cases`` counts the new cases of this round. Returns the stored
    cases (with ``case_id``), best first."""
    planned_by = named(planned_by, "the planner")
    at = moment(at)
    candidates = audit_candidates(db, as_of=as_of)
    selected, cases = plan_audits(candidates, capacity_cases=capacity_cases,
                                  capacity_declarations=capacity_declarations, period=period, min_duty=min_duty,
                                  blue_boost=blue_boost, as_of=as_of)
    chosen = cases[cases["selected"].astype(bool)].reset_index(drop=True)
    with transaction(db) as conn:
        case_ids = audit_sql.store_cases(conn, selected, chosen, planned_by, at)
    chosen.insert(0, "case_id", pd.Series(case_ids, dtype="int64"))
    return chosen.assign(state="planned", planned_by=planned_by, planned_at=at).drop(columns="selected")


def open_case(db: Engine | Connection, case_id: int, auditor: str, *, at: datetime | None = None) -> None:
    """An auditor (an active officer who does audits) takes a planned case."""
    with transaction(db) as conn:
        audit_sql.open_case(conn, case_id, auditor, at=at)


def record_finding(db: Engine | Connection, case_id: int, declaration_id: str, *, result: str, infringements,
                   duty_before: float, duty_after: float, penalty: float = 0.0, offence_code: str | None = None,
                   recorded_by: str, at: datetime | None = None) -> int:
    """Record the audit's finding on one declaration of an open case, as an outcome (one per declaration and
    case); returns the outcome ID. A discrepancy names its infringements; no discrepancy leaves the duty as it
    was and carries no infringement or penalty."""
    with transaction(db) as conn:
        return audit_sql.record_finding(conn, case_id, declaration_id, result=result, infringements=infringements,
                                        duty_before=duty_before, duty_after=duty_after, penalty=penalty,
                                        offence_code=offence_code, recorded_by=recorded_by, at=at)


def close_case(db: Engine | Connection, case_id: int, *, at: datetime | None = None) -> None:
    """Close an open case once every one of its declarations has a finding."""
    with transaction(db) as conn:
        audit_sql.close_case(conn, case_id, at=at)


def cases_frame(db: Engine | Connection, state: str | None = None) -> pd.DataFrame:
    """Audit cases, oldest first, with their number of declarations and findings, duty recovered and penalties."""
    with transaction(db) as conn:
        return audit_sql.cases_frame(conn, state)


def case_declarations(db: Engine | Connection, case_id: int) -> pd.DataFrame:
    """The declarations of one case, with their finding where there is one."""
    with transaction(db) as conn:
        return audit_sql.case_declarations(conn, case_id)


# --- the officer console's steps beyond the chain's own ----------------------------------------------------------


def lock_task(db: Engine | Connection, task_id: int, officer_id: str, *, actor: str, expected_version: int,
              note: str, check: Callable[[Task], None] | None = None) -> int:
    """Lock a task to an officer (assigned), `check` (which raises to refuse) looking at the task first, in one
    transaction. Returns the new version; ConflictError when the task changed meanwhile."""
    with transaction(db) as conn:
        task = task_sql.load_task(conn, task_id)
        if check is not None:
            check(task)
        return task_sql.move(conn, task, "assigned", actor=actor, expected_version=expected_version, at=utc_now(),
                             officer_id=officer_id, note=note)


# --- KPIs and profile feedback --------------------------------------------------------------------------------

ALL, LANES, KpiError = kpis.ALL, kpis.LANES, kpis.KpiError  # the "all" rows of a KPI table, lanes in order; refusal


def kpi_offices(db: Engine) -> list[str]:
    """Every office that has a declaration or a clearance record, sorted (the KPI filter's choices)."""
    with transaction(db) as conn:
        return repository.kpi_offices(conn)


def kpi_frames(db: Engine | Connection, since=None, until=None, office: str | None = None, *,
               as_of: datetime | None = None) -> dict[str, pd.DataFrame]:
    """The KPI inputs of the declarations lodged in [since, until] (``until`` excluded; a date counts to its end)
    at `office`, as seen at `as_of` (control.repository.kpi_data: clearance, tasks, events, decisions, outcomes).
    KpiError for a period that makes no sense."""
    from smartcustoms.control.repository.kpi_data import load_kpi_frames

    with transaction(db) as conn:
        return load_kpi_frames(conn, since, until, office, as_of=as_of)


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
