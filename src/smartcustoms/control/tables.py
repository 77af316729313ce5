"""The outcomes of controls: one row per control of a declaration."""

from sqlalchemy import Column, DateTime, Float, Integer, String, Table, Text

from smartcustoms.store.db import metadata

outcomes = Table(
    "outcomes",
    metadata,
    Column("outcome_id", Integer, primary_key=True, autoincrement=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("inspection_date", DateTime, nullable=False, index=True),
    Column("control_type", String(20), nullable=False),  # documentary | physical | scan | remote | audit
    Column("selection_reason", String(20), nullable=False),  # risk | random | profile | model | ...
    Column("result", String(20), nullable=False),  # discrepancy | no_discrepancy
    Column("infringement", Text, nullable=False, default=""),
    Column("duty_recovered", Float, nullable=False, default=0.0),
)
