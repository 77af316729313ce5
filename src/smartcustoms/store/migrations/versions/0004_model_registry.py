"""model registry: models and the append-only model_events log

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from smartcustoms.store.append_only import drop_append_only, make_append_only

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("model_id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("model_version", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("artifact_path", sa.Text(), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("window_end", sa.DateTime(), nullable=True),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.CheckConstraint("status IN ('registered', 'challenger', 'champion', 'retired')",
                           name=op.f("ck_models_status")),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_models")),
    )
    op.create_index("uq_models_one_champion", "models", ["status"], unique=True,
                    sqlite_where=sa.text("status = 'champion'"), postgresql_where=sa.text("status = 'champion'"))
    op.create_table(
        "model_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('registered', 'promoted', 'demoted', 'rolled_back', 'retired')",
                           name=op.f("ck_model_events_action")),
        sa.ForeignKeyConstraint(["model_id"], ["models.model_id"], name=op.f("fk_model_events_model_id_models")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_model_events")),
    )
    op.create_index(op.f("ix_model_events_model_id"), "model_events", ["model_id"])
    make_append_only("model_events")


def downgrade() -> None:
    drop_append_only("model_events")
    op.drop_index(op.f("ix_model_events_model_id"), table_name="model_events")
    op.drop_table("model_events")
    op.drop_index("uq_models_one_champion", table_name="models")
    op.drop_table("models")
