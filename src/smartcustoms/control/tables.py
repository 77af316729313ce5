"""Tables of the control chain: officers, inspection tasks and their event log, slots and bookings, evidence,
document requests, valuation queries, post-clearance audit cases, clearance times, undertakings, and outcomes."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from smartcustoms.outcomes.tables import outcomes  # noqa: F401 - control records outcomes
from smartcustoms.store.db import metadata

TASK_STATES = ("created", "assigned", "scheduled", "in_progress", "completed", "released", "detained", "seized")
TASK_MODES = ("physical", "documentary", "remote")
SLOT_MODES = ("on_site", "remote")
DOCUMENT_TYPES = ("invoice", "certificate_of_origin", "packing_list", "transport_document", "licence", "other")
REQUEST_STATES = ("requested", "received", "waived")
QUERY_STATES = ("open", "answered", "accepted", "adjusted", "expired")
CASE_STATES = ("planned", "open", "closed")
INFRINGEMENTS = ("valuation", "classification", "origin", "quantity", "prohibited", "ipr", "other")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


officers = Table(
    "officers",
    metadata,
    Column("officer_id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("office_id", String(20), nullable=False, index=True),
    Column("modes", String(100), nullable=False),  # comma-separated: physical,documentary,remote,audit
    Column("active", Boolean, nullable=False, default=True),
)

tasks = Table(
    "inspection_tasks",
    metadata,
    Column("task_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("decision_id", Integer, ForeignKey("decisions.decision_id"), nullable=True, unique=True),
    Column("office_id", String(20), nullable=False, index=True),
    Column("lane", String(10), nullable=False),
    Column("mode", String(12), nullable=False),
    Column("state", String(12), nullable=False, index=True),
    Column("officer_id", String(40), ForeignKey("officers.officer_id"), nullable=True, index=True),
    Column("source", String(10), nullable=False),  # what selected it: profile | screen | model | random
    Column("reasons", Text, nullable=False),  # JSON list of the selection reasons, in words
    Column("checklist", Text, nullable=False),  # JSON list of what the officer must check
    Column("created_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),  # optimistic locking
    _one_of("state", TASK_STATES, "ck_inspection_tasks_state"),
    _one_of("mode", TASK_MODES, "ck_inspection_tasks_mode"),
)

task_events = Table(  # append-only
    "task_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("inspection_tasks.task_id"), nullable=False, index=True),
    Column("from_state", String(12), nullable=True),
    Column("to_state", String(12), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("note", Text, nullable=True),
)

slots = Table(
    "inspection_slots",
    metadata,
    Column("slot_id", Integer, primary_key=True, autoincrement=True),
    Column("office_id", String(20), nullable=False, index=True),
    Column("mode", String(10), nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("capacity", Integer, nullable=False),
    UniqueConstraint("office_id", "mode", "starts_at", name="uq_inspection_slots_office_mode_start"),
    CheckConstraint("capacity > 0", name="ck_inspection_slots_capacity"),
    CheckConstraint("ends_at > starts_at", name="ck_inspection_slots_times"),
    _one_of("mode", SLOT_MODES, "ck_inspection_slots_mode"),
)

bookings = Table(
    "slot_bookings",
    metadata,
    Column("booking_id", Integer, primary_key=True, autoincrement=True),
    Column("slot_id", Integer, ForeignKey("inspection_slots.slot_id"), nullable=False, index=True),
    Column("task_id", Integer, ForeignKey("inspection_tasks.task_id"), nullable=False, unique=True),
    Column("booked_by", String(100), nullable=False),
    Column("booked_at", DateTime, nullable=False),
)

evidence = Table(
    "evidence",
    metadata,
    Column("evidence_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("task_id", Integer, ForeignKey("inspection_tasks.task_id"), nullable=True, index=True),
    Column("kind", String(10), nullable=False),  # photo | video | document
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),  # relative to the evidence folder
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
)

document_requests = Table(
    "document_requests",
    metadata,
    Column("request_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("task_id", Integer, ForeignKey("inspection_tasks.task_id"), nullable=True, index=True),
    Column("document_type", String(30), nullable=False),
    Column("state", String(10), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.evidence_id"), nullable=True),
    Column("received_at", DateTime, nullable=True),
    _one_of("document_type", DOCUMENT_TYPES, "ck_document_requests_type"),
    _one_of("state", REQUEST_STATES, "ck_document_requests_state"),
)

valuation_queries = Table(
    "valuation_queries",
    metadata,
    Column("query_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("task_id", Integer, ForeignKey("inspection_tasks.task_id"), nullable=True, index=True),
    Column("state", String(10), nullable=False),
    Column("reasons_to_doubt", Text, nullable=False),
    Column("declared_value", Float, nullable=False),
    Column("duty_rate", Float, nullable=False),
    Column("raised_by", String(100), nullable=False),
    Column("raised_at", DateTime, nullable=False),
    Column("deadline", DateTime, nullable=False),
    Column("answer", Text, nullable=True),
    Column("answered_by", String(100), nullable=True),
    Column("answered_at", DateTime, nullable=True),
    Column("decided_value", Float, nullable=True),
    Column("duty_before", Float, nullable=True),
    Column("duty_after", Float, nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", DateTime, nullable=True),
    Column("version", Integer, nullable=False, default=1),
    _one_of("state", QUERY_STATES, "ck_valuation_queries_state"),
)

valuation_query_events = Table(  # append-only: who raised, answered, decided or expired a query, when, and what
    "valuation_query_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("query_id", Integer, ForeignKey("valuation_queries.query_id"), nullable=False, index=True),
    Column("action", String(10), nullable=False),  # raised | answered | accepted | adjusted | expired
    Column("actor", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("details", Text, nullable=False),  # JSON
)

audit_cases = Table(
    "audit_cases",
    metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=True),
    Column("importer_id", String(35), nullable=False, index=True),
    Column("period_start", DateTime, nullable=False),
    Column("period_end", DateTime, nullable=False),
    Column("state", String(10), nullable=False),
    Column("residual_risk", Float, nullable=False),
    Column("duty_at_stake", Float, nullable=False),
    Column("planned_by", String(100), nullable=False),
    Column("planned_at", DateTime, nullable=False),
    Column("auditor", String(40), ForeignKey("officers.officer_id"), nullable=True),
    Column("closed_at", DateTime, nullable=True),
    _one_of("state", CASE_STATES, "ck_audit_cases_state"),
)

audit_case_declarations = Table(
    "audit_case_declarations",
    metadata,
    Column("case_id", Integer, ForeignKey("audit_cases.case_id"), primary_key=True),
    Column("declaration_id", String(35), primary_key=True),
    UniqueConstraint("declaration_id", name="uq_audit_case_declarations_declaration_id"),  # one case each
)

clearance = Table(  # one row per declaration given a lane: the Time Release Study's timestamps
    "clearance",
    metadata,
    Column("declaration_id", String(35), primary_key=True),
    Column("office_id", String(20), nullable=False, index=True),
    Column("lane", String(10), nullable=False),
    Column("lodged_at", DateTime, nullable=False),
    Column("lane_at", DateTime, nullable=False),
    Column("released_at", DateTime, nullable=True),
    Column("status", String(10), nullable=False),  # held | released | detained | seized
)

undertakings = Table(  # promise-based release (control.undertakings)
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


APPEND_ONLY = ("task_events", "valuation_query_events")
