"""undertakings: promise-based release

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('undertakings',
    sa.Column('undertaking_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('declaration_id', sa.String(length=35), nullable=False),
    sa.Column('signed_by', sa.String(length=100), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('verified_by', sa.String(length=100), nullable=True),
    sa.Column('result', sa.String(length=20), nullable=True),
    sa.CheckConstraint("result IS NULL OR result IN ('documents_confirmed', 'discrepancy', 'not_provided')",
                       name='ck_undertakings_result'),
    sa.CheckConstraint('(result IS NULL) = (verified_at IS NULL) AND (result IS NULL) = (verified_by IS NULL)',
                       name='ck_undertakings_verified'),
    sa.ForeignKeyConstraint(['declaration_id'], ['declarations.declaration_id'],
                            name=op.f('fk_undertakings_declaration_id_declarations')),
    sa.PrimaryKeyConstraint('undertaking_id', name=op.f('pk_undertakings')),
    sa.UniqueConstraint('declaration_id', name=op.f('uq_undertakings_declaration_id'))
    )


def downgrade() -> None:
    op.drop_table('undertakings')
