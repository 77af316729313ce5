"""risk profiles: versions, publication log, suppressions; the versions and the log are append-only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from smartcustoms.store.append_only import drop_append_only, make_append_only

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

APPEND_ONLY = ('risk_profile_versions', 'risk_profile_log')


def upgrade() -> None:
    op.create_table('risk_profile_versions',
    sa.Column('profile_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('yaml', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('lane', sa.String(length=10), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('profile_id', 'version', name=op.f('pk_risk_profile_versions'))
    )
    op.create_table('risk_profile_log',
    sa.Column('log_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('profile_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("action IN ('committed', 'approved', 'published', 'retired', 'suppressed')", name='ck_risk_profile_log_action'),
    sa.ForeignKeyConstraint(['profile_id', 'version'], ['risk_profile_versions.profile_id', 'risk_profile_versions.version'], name=op.f('fk_risk_profile_log_profile_id_risk_profile_versions')),
    sa.PrimaryKeyConstraint('log_id', name=op.f('pk_risk_profile_log'))
    )
    with op.batch_alter_table('risk_profile_log', schema=None) as batch_op:
        batch_op.create_index('ix_risk_profile_log_profile_at', ['profile_id', 'at'], unique=False)

    op.create_table('risk_suppressions',
    sa.Column('suppression_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('profile_id', sa.String(length=64), nullable=False),
    sa.Column('importer_id', sa.String(length=35), nullable=True),
    sa.Column('commodity_prefix', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(importer_id IS NULL) <> (commodity_prefix IS NULL)', name='ck_risk_suppressions_one_target'),
    sa.CheckConstraint('expires_at > created_at', name='ck_risk_suppressions_expiry'),
    sa.PrimaryKeyConstraint('suppression_id', name=op.f('pk_risk_suppressions'))
    )
    with op.batch_alter_table('risk_suppressions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_suppressions_profile_id'), ['profile_id'], unique=False)

    # Append-only at the database level: UPDATE and DELETE are refused (and TRUNCATE on PostgreSQL).
    for table in APPEND_ONLY:
        make_append_only(table)
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")


def downgrade() -> None:
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        drop_append_only(table)

    with op.batch_alter_table('risk_suppressions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_suppressions_profile_id'))

    op.drop_table('risk_suppressions')
    with op.batch_alter_table('risk_profile_log', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_profile_log_profile_at')

    op.drop_table('risk_profile_log')
    op.drop_table('risk_profile_versions')
