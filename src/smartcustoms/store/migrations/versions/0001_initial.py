"""declarations, goods items, import batches and rejects

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 20:33:58.027009
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_batches',
    sa.Column('batch_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('mapping', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_import_batches'))
    )
    op.create_table('declarations',
    sa.Column('declaration_id', sa.String(length=35), nullable=False),
    sa.Column('declaration_type', sa.String(length=2), nullable=False),
    sa.Column('office_id', sa.String(length=35), nullable=False),
    sa.Column('acceptance_datetime', sa.DateTime(), nullable=False),
    sa.Column('declarant_id', sa.String(length=35), nullable=False),
    sa.Column('importer_id', sa.String(length=35), nullable=False),
    sa.Column('seller_id', sa.String(length=35), nullable=True),
    sa.Column('transport_mode', sa.String(length=1), nullable=False),
    sa.Column('incoterm', sa.String(length=3), nullable=True),
    sa.Column('invoice_currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.Float(), nullable=False),
    sa.Column('dispatch_country', sa.String(length=2), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.batch_id'], name=op.f('fk_declarations_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('declaration_id', name=op.f('pk_declarations'))
    )
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.create_index('ix_declarations_importer_date', ['importer_id', 'acceptance_datetime'], unique=False)
        batch_op.create_index('ix_declarations_office_date', ['office_id', 'acceptance_datetime'], unique=False)

    op.create_table('import_rejects',
    sa.Column('reject_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=True),
    sa.Column('declaration_id', sa.String(length=35), nullable=True),
    sa.Column('field', sa.String(length=100), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.batch_id'], name=op.f('fk_import_rejects_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('reject_id', name=op.f('pk_import_rejects'))
    )
    with op.batch_alter_table('import_rejects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_rejects_batch_id'), ['batch_id'], unique=False)

    op.create_table('goods_items',
    sa.Column('declaration_id', sa.String(length=35), nullable=False),
    sa.Column('item_number', sa.Integer(), nullable=False),
    sa.Column('commodity_code', sa.String(length=10), nullable=False),
    sa.Column('goods_description', sa.Text(), nullable=False),
    sa.Column('origin_country', sa.String(length=2), nullable=False),
    sa.Column('preference_claim', sa.String(length=35), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('quantity_unit', sa.String(length=3), nullable=False),
    sa.Column('net_mass', sa.Float(), nullable=False),
    sa.Column('gross_mass', sa.Float(), nullable=True),
    sa.Column('item_price', sa.Float(), nullable=False),
    sa.Column('customs_value', sa.Float(), nullable=False),
    sa.Column('duty_rate', sa.Float(), nullable=False),
    sa.Column('tax_type', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['declarations.declaration_id'], name=op.f('fk_goods_items_declaration_id_declarations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('declaration_id', 'item_number', name=op.f('pk_goods_items'))
    )
    with op.batch_alter_table('goods_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_items_commodity_code'), ['commodity_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('goods_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goods_items_commodity_code'))

    op.drop_table('goods_items')
    with op.batch_alter_table('import_rejects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_rejects_batch_id'))

    op.drop_table('import_rejects')
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.drop_index('ix_declarations_office_date')
        batch_op.drop_index('ix_declarations_importer_date')

    op.drop_table('declarations')
    op.drop_table('import_batches')
