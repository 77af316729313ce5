"""Tables of the risk domain: the risk profiles (committed versions, their publication log and suppressions) and
the audit trail of selectivity (assessment runs with their provenance, decisions and officer overrides).

``risk_profile_versions`` and ``risk_profile_log`` are append-only: database triggers (migration 0002) refuse
UPDATE and DELETE on both, on SQLite and PostgreSQL alike; so are ``assessments``, ``decisions`` and
``decision_overrides`` (migration 0003).
"""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
)

from smartcustoms.store.db import metadata

LOG_ACTIONS = ("committed", "approved", "published", "retired", "suppressed")

risk_profile_versions = Table(
    "risk_profile_versions",
    metadata,
    Column("profile_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("yaml", Text, nullable=False),  # the profile as YAML (canonical form, re-parsable)
    Column("content", Text, nullable=False),  # canonical JSON: equal text means an unchanged profile
    Column("lane", String(10), nullable=False),
    Column("weight", Float, nullable=False),
    Column("mode", String(10), nullable=False),
    Column("owner", String(100), nullable=False),
    Column("source", Text, nullable=False),  # the file it was committed from
    Column("author", String(100), nullable=False),
    Column("committed_at", DateTime, nullable=False),
)

risk_profile_log = Table(
    "risk_profile_log",
    metadata,
    Column("log_id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(64), nullable=False),
    Column("version", Integer),  # null for a suppression of a profile with no published version
    Column("action", String(12), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("note", Text),
    CheckConstraint("action IN ('committed', 'approved', 'published', 'retired', 'suppressed')",
                    name="ck_risk_profile_log_action"),
    ForeignKeyConstraint(["profile_id", "version"],
                         ["risk_profile_versions.profile_id", "risk_profile_versions.version"]),
    Index("ix_risk_profile_log_profile_at", "profile_id", "at"),
)

risk_suppressions = Table(
    "risk_suppressions",
    metadata,
    Column("suppression_id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(64), nullable=False, index=True),
    Column("importer_id", String(35)),
    Column("commodity_prefix", String(10)),
    Column("reason", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    CheckConstraint("(importer_id IS NULL) <> (commodity_prefix IS NULL)", name="ck_risk_suppressions_one_target"),
    CheckConstraint("expires_at > created_at", name="ck_risk_suppressions_expiry"),
)

assessments = Table(
    "assessments",
    metadata,
    Column("assessment_id", Integer, primary_key=True, autoincrement=True),
    Column("assessed_at", DateTime, nullable=False, server_default=func.now()),
    Column("actor", String(100), nullable=False),
    Column("settings_version", String(20), nullable=False),
    Column("settings", Text, nullable=False),  # JSON
    Column("profile_versions", Text, nullable=False),  # JSON {profile_id: version}
    Column("model_version", String(50)),
    Column("declarations", Integer, nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("assessment_id", Integer, ForeignKey("assessments.assessment_id"), nullable=False, index=True),
    Column("declaration_id", String(35), nullable=False, index=True),
    Column("lane", String(10), nullable=False),
    Column("source", String(10), nullable=False),  # profile | screen | model | random | none
    Column("random", Boolean, nullable=False),
    Column("risk_score", Float, nullable=False),
    Column("duty_at_risk", Float, nullable=False),
    Column("explanation", Text, nullable=False),  # JSON, see selectivity.explanation
    CheckConstraint("lane IN ('green', 'yellow', 'red', 'blue')", name="ck_decisions_lane"),
)

overrides = Table(
    "decision_overrides",
    metadata,
    Column("override_id", Integer, primary_key=True, autoincrement=True),
    Column("decision_id", Integer, ForeignKey("decisions.decision_id"), nullable=False, index=True),
    Column("lane", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("officer", String(100), nullable=False),
    Column("at", DateTime, nullable=False, server_default=func.now()),
    CheckConstraint("length(trim(reason)) >= 5", name="ck_overrides_reason"),
    CheckConstraint("lane IN ('green', 'yellow', 'red', 'blue')", name="ck_overrides_lane"),
)

APPEND_ONLY = ("assessments", "decisions", "decision_overrides")
