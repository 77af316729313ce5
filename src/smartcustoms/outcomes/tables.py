"""The outcomes table: one row per control (inspection, audit, or an imported historic control)."""

from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Integer, String, Table, Text

from smartcustoms.store.db import metadata

outcomes = Table(
    "outcomes",
    metadata,
    Column("outcome_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("inspection_date", DateTime, nullable=False, index=True),
    Column("control_type", String(20), nullable=False),  # documentary | physical | scan | remote | audit
    Column("selection_reason", String(20), nullable=False),  # risk | random | profile | model | screen | audit
    Column("result", String(20), nullable=False),  # discrepancy | no_discrepancy
    Column("infringement", Text, nullable=False, default=""),  # comma-separated INFRINGEMENTS (or world types)
    Column("duty_recovered", Float, nullable=False, default=0.0),
    Column("task_id", Integer, ForeignKey("inspection_tasks.task_id"), nullable=True, index=True),
    Column("case_id", Integer, ForeignKey("audit_cases.case_id"), nullable=True, index=True),
    Column("officer", String(100), nullable=True),
    Column("duty_before", Float, nullable=True),
    Column("duty_after", Float, nullable=True),
    Column("penalty", Float, nullable=True),
    Column("seized", Boolean, nullable=False, default=False),
    Column("offence_code", String(20), nullable=True),
    Column("recorded_at", DateTime, nullable=True),
)
