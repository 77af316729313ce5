"""outcomes, assessments, decisions and overrides (append-only audit trail)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from smartcustoms.store.append_only import drop_append_only, make_append_only

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AUDIT = ("assessments", "decisions", "decision_overrides")


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("outcome_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("declaration_id", sa.String(length=35), nullable=False),
        sa.Column("inspection_date", sa.DateTime(), nullable=False),
        sa.Column("control_type", sa.String(length=20), nullable=False),
        sa.Column("selection_reason", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("infringement", sa.Text(), nullable=False),
        sa.Column("duty_recovered", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("outcome_id", name=op.f("pk_outcomes")),
    )
    op.create_index(op.f("ix_outcomes_declaration_id"), "outcomes", ["declaration_id"])
    op.create_index(op.f("ix_outcomes_inspection_date"), "outcomes", ["inspection_date"])
    op.create_table(
        "assessments",
        sa.Column("assessment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assessed_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("settings_version", sa.String(length=20), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("profile_versions", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=50), nullable=True),
        sa.Column("declarations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_assessments")),
    )
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.String(length=35), nullable=False),
        sa.Column("lane", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("random", sa.Boolean(), nullable=False),
        sa.Column("risk_score", sa.Float(), nullable=False),
        sa.Column("duty_at_risk", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.CheckConstraint("lane IN ('green', 'yellow', 'red', 'blue')", name=op.f("ck_decisions_lane")),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.assessment_id"],
                                name=op.f("fk_decisions_assessment_id_assessments")),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_assessment_id"), "decisions", ["assessment_id"])
    op.create_index(op.f("ix_decisions_declaration_id"), "decisions", ["declaration_id"])
    op.create_table(
        "decision_overrides",
        sa.Column("override_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("lane", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("length(trim(reason)) >= 5", name=op.f("ck_overrides_reason")),
        sa.CheckConstraint("lane IN ('green', 'yellow', 'red', 'blue')", name=op.f("ck_overrides_lane")),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.decision_id"],
                                name=op.f("fk_decision_overrides_decision_id_decisions")),
        sa.PrimaryKeyConstraint("override_id", name=op.f("pk_decision_overrides")),
    )
    op.create_index(op.f("ix_decision_overrides_decision_id"), "decision_overrides", ["decision_id"])
    for table in AUDIT:
        make_append_only(table)


def downgrade() -> None:
    for table in reversed(AUDIT):
        drop_append_only(table)
        op.drop_table(table)
    op.drop_table("outcomes")
