"""non-intrusive inspection: scans and their analyses (issue 17)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('nii_scans',
    sa.Column('scan_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('scan_ref', sa.String(length=64), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('declaration_id', sa.String(length=35), nullable=True),
    sa.Column('container_id', sa.String(length=20), nullable=True),
    sa.Column('vehicle_id', sa.String(length=20), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('cols', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('received_by', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("kind IN ('parcel', 'bag', 'container')", name='ck_nii_scans_kind'),
    sa.PrimaryKeyConstraint('scan_id', name=op.f('pk_nii_scans'))
    )
    op.create_index(op.f('ix_nii_scans_container_id'), 'nii_scans', ['container_id'], unique=False)
    op.create_index(op.f('ix_nii_scans_declaration_id'), 'nii_scans', ['declaration_id'], unique=False)
    op.create_index(op.f('ix_nii_scans_sha256'), 'nii_scans', ['sha256'], unique=False)
    op.create_table('nii_units',
    sa.Column('unit_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('declaration_id', sa.String(length=35), nullable=False),
    sa.Column('container_id', sa.String(length=20), nullable=False),
    sa.Column('vehicle_id', sa.String(length=20), nullable=True),
    sa.Column('registered_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_nii_units')),
    sa.UniqueConstraint('declaration_id', 'container_id', name='uq_nii_units_declaration_container')
    )
    op.create_index(op.f('ix_nii_units_container_id'), 'nii_units', ['container_id'], unique=False)
    op.create_index(op.f('ix_nii_units_declaration_id'), 'nii_units', ['declaration_id'], unique=False)
    op.create_table('nii_analyses',
    sa.Column('analysis_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.String(length=35), nullable=True),
    sa.Column('model_version', sa.String(length=80), nullable=False),
    sa.Column('image_score', sa.Float(), nullable=False),
    sa.Column('alarm', sa.Boolean(), nullable=False),
    sa.Column('boxes', sa.Text(), nullable=False),
    sa.Column('estimated_kg', sa.Float(), nullable=False),
    sa.Column('declared_kg', sa.Float(), nullable=True),
    sa.Column('declared_hs', sa.String(length=10), nullable=True),
    sa.Column('manifest_score', sa.Float(), nullable=True),
    sa.Column('manifest_alarm', sa.Boolean(), nullable=False),
    sa.Column('signals', sa.Text(), nullable=False),
    sa.Column('material_kg', sa.Text(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('lane_before', sa.String(length=10), nullable=True),
    sa.Column('lane_after', sa.String(length=10), nullable=True),
    sa.Column('analysed_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['scan_id'], ['nii_scans.scan_id'], name=op.f('fk_nii_analyses_scan_id_nii_scans')),
    sa.PrimaryKeyConstraint('analysis_id', name=op.f('pk_nii_analyses'))
    )
    op.create_index(op.f('ix_nii_analyses_declaration_id'), 'nii_analyses', ['declaration_id'], unique=False)
    op.create_index(op.f('ix_nii_analyses_scan_id'), 'nii_analyses', ['scan_id'], unique=False)
    op.create_table('nii_findings',
    sa.Column('finding_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=True),
    sa.Column('declaration_id', sa.String(length=35), nullable=True),
    sa.Column('container_id', sa.String(length=20), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('found_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("kind IN ('unmatched_scan', 'never_scanned')", name='ck_nii_findings_kind'),
    sa.ForeignKeyConstraint(['scan_id'], ['nii_scans.scan_id'], name=op.f('fk_nii_findings_scan_id_nii_scans')),
    sa.PrimaryKeyConstraint('finding_id', name=op.f('pk_nii_findings'))
    )
    op.create_index(op.f('ix_nii_findings_declaration_id'), 'nii_findings', ['declaration_id'], unique=False)


def downgrade() -> None:
    op.drop_table('nii_findings')
    op.drop_table('nii_analyses')
    op.drop_table('nii_units')
    op.drop_table('nii_scans')
