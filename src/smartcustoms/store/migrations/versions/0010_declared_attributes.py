"""declared attributes targeting needs (issue 15): customs procedure (requested, previous, additional codes),
import type and use, method of payment, express carrier, and the mapping's additional attributes (JSON text)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = [
    ("requested_procedure", sa.String(10)),
    ("previous_procedure", sa.String(10)),
    ("additional_procedures", sa.String(99)),
    ("import_type", sa.String(10)),
    ("import_use", sa.String(10)),
    ("payment_method", sa.String(10)),
    ("carrier_id", sa.String(35)),
    ("attributes", sa.Text()),
]


def upgrade() -> None:
    # nullable columns: ADD COLUMN on SQLite and PostgreSQL alike, no table rebuild
    for name, kind in COLUMNS:
        op.add_column("declarations", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("declarations") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
