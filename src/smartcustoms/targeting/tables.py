"""Tables of the model registry: registered targeting models and the append-only log of their life.

``models`` holds one row per registered model; its ``status`` (registered | challenger | champion | retired) is
the current state and is updated in place. ``model_events`` is the history: every registration, promotion,
demotion, rollback and retirement is one row, and database triggers (migration 0004) refuse UPDATE and DELETE
on it, on SQLite and PostgreSQL alike. A partial unique index allows at most one champion.
"""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from smartcustoms.store.db import metadata

STATUSES = ("registered", "challenger", "champion", "retired")
ACTIONS = ("registered", "promoted", "demoted", "rolled_back", "retired")

models = Table(
    "models",
    metadata,
    Column("model_id", String(40), primary_key=True),
    Column("label", String(100), nullable=False),  # a human label, e.g. "v3" or "2025-10 retrain"
    Column("model_version", String(50), nullable=False),  # the artifact format, e.g. smartcustoms.targeting.model/1
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("artifact_path", Text, nullable=False),
    Column("artifact_sha256", String(64), nullable=False),
    Column("window_start", DateTime),  # first declaration date of the training frame
    Column("window_end", DateTime),  # training window end (the --until date, or the last declaration date)
    Column("features", Text, nullable=False),  # JSON list of feature columns, in model order
    Column("metrics", Text, nullable=False),  # JSON object
    Column("data_fingerprint", String(64), nullable=False),  # sha256 of declaration IDs + label counts
    Column("status", String(12), nullable=False),
    CheckConstraint("status IN ('registered', 'challenger', 'champion', 'retired')", name="ck_models_status"),
    Index("uq_models_one_champion", "status", unique=True,
          sqlite_where=text("status = 'champion'"), postgresql_where=text("status = 'champion'")),
)

model_events = Table(
    "model_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(40), ForeignKey("models.model_id"), nullable=False, index=True),
    Column("action", String(12), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("note", Text),
    CheckConstraint("action IN ('registered', 'promoted', 'demoted', 'rolled_back', 'retired')",
                    name="ck_model_events_action"),
)
