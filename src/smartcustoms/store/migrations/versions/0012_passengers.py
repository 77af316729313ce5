"""passengers: flights, passengers, documents, bags, watchlists (issue 18)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pax_flights',
    sa.Column('flight_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('carrier', sa.String(length=3), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('origin', sa.String(length=5), nullable=False),
    sa.Column('destination', sa.String(length=5), nullable=False),
    sa.Column('departure_at', sa.DateTime(), nullable=True),
    sa.Column('arrival_at', sa.DateTime(), nullable=True),
    sa.Column('legs', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('flight_id', name=op.f('pk_pax_flights')),
    sa.UniqueConstraint('carrier', 'number', 'departure_at', name='uq_pax_flights_key')
    )
    op.create_index(op.f('ix_pax_flights_arrival_at'), 'pax_flights', ['arrival_at'], unique=False)
    op.create_table('pax_rule_versions',
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('yaml', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.CheckConstraint("status IN ('active', 'retired', 'replaced')", name='ck_pax_rule_versions_status'),
    sa.PrimaryKeyConstraint('rule_id', 'version', name=op.f('pk_pax_rule_versions'))
    )
    op.create_table('pax_watchlist',
    sa.Column('entry_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('list_name', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=40), nullable=False),
    sa.Column('surname', sa.String(length=100), nullable=False),
    sa.Column('given_names', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('nationality', sa.String(length=3), nullable=True),
    sa.Column('document_number', sa.String(length=35), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_pax_watchlist')),
    sa.UniqueConstraint('list_name', 'external_id', name='uq_pax_watchlist_entry')
    )
    op.create_table('pax_passengers',
    sa.Column('passenger_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flight_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('surname', sa.String(length=70), nullable=False),
    sa.Column('given_names', sa.String(length=70), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('nationality', sa.String(length=3), nullable=True),
    sa.Column('residence_country', sa.String(length=3), nullable=True),
    sa.Column('embarkation', sa.String(length=5), nullable=True),
    sa.Column('debarkation', sa.String(length=5), nullable=True),
    sa.Column('seat', sa.String(length=5), nullable=True),
    sa.Column('bag_count', sa.Integer(), nullable=True),
    sa.Column('bag_weight_kg', sa.Float(), nullable=True),
    sa.Column('pnr_locator', sa.String(length=20), nullable=True),
    sa.Column('booked_at', sa.DateTime(), nullable=True),
    sa.Column('payment', sa.String(length=10), nullable=True),
    sa.Column('agency', sa.String(length=35), nullable=True),
    sa.Column('travellers', sa.Integer(), nullable=True),
    sa.Column('itinerary', sa.Text(), nullable=True),
    sa.Column('sources', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('passenger', 'crew')", name='ck_pax_passengers_role'),
    sa.ForeignKeyConstraint(['flight_id'], ['pax_flights.flight_id'], name=op.f('fk_pax_passengers_flight_id_pax_flights')),
    sa.PrimaryKeyConstraint('passenger_id', name=op.f('pk_pax_passengers'))
    )
    op.create_index(op.f('ix_pax_passengers_flight_id'), 'pax_passengers', ['flight_id'], unique=False)
    op.create_table('pax_assessments',
    sa.Column('assessment_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flight_id', sa.Integer(), nullable=False),
    sa.Column('passenger_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('selected', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('assessed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['flight_id'], ['pax_flights.flight_id'], name=op.f('fk_pax_assessments_flight_id_pax_flights')),
    sa.ForeignKeyConstraint(['passenger_id'], ['pax_passengers.passenger_id'], name=op.f('fk_pax_assessments_passenger_id_pax_passengers')),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_pax_assessments'))
    )
    op.create_index(op.f('ix_pax_assessments_flight_id'), 'pax_assessments', ['flight_id'], unique=False)
    op.create_index(op.f('ix_pax_assessments_passenger_id'), 'pax_assessments', ['passenger_id'], unique=False)
    op.create_table('pax_bags',
    sa.Column('bag_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flight_id', sa.Integer(), nullable=False),
    sa.Column('passenger_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=20), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=True),
    sa.Column('screen_score', sa.Float(), nullable=True),
    sa.Column('screen_source', sa.String(length=40), nullable=True),
    sa.Column('screened_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['flight_id'], ['pax_flights.flight_id'], name=op.f('fk_pax_bags_flight_id_pax_flights')),
    sa.ForeignKeyConstraint(['passenger_id'], ['pax_passengers.passenger_id'], name=op.f('fk_pax_bags_passenger_id_pax_passengers')),
    sa.PrimaryKeyConstraint('bag_id', name=op.f('pk_pax_bags')),
    sa.UniqueConstraint('flight_id', 'tag', name='uq_pax_bags_tag')
    )
    op.create_index(op.f('ix_pax_bags_passenger_id'), 'pax_bags', ['passenger_id'], unique=False)
    op.create_table('pax_dispositions',
    sa.Column('disposition_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('passenger_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('officer', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("result IN ('no_finding', 'undeclared_goods', 'prohibited_goods', 'currency', 'referred')", name='ck_pax_dispositions_result'),
    sa.ForeignKeyConstraint(['passenger_id'], ['pax_passengers.passenger_id'], name=op.f('fk_pax_dispositions_passenger_id_pax_passengers')),
    sa.PrimaryKeyConstraint('disposition_id', name=op.f('pk_pax_dispositions'))
    )
    op.create_index(op.f('ix_pax_dispositions_passenger_id'), 'pax_dispositions', ['passenger_id'], unique=False)
    op.create_table('pax_documents',
    sa.Column('document_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('passenger_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=3), nullable=False),
    sa.Column('number', sa.String(length=35), nullable=False),
    sa.Column('issuing_country', sa.String(length=3), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['passenger_id'], ['pax_passengers.passenger_id'], name=op.f('fk_pax_documents_passenger_id_pax_passengers')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_pax_documents')),
    sa.UniqueConstraint('passenger_id', 'number', name='uq_pax_documents_number')
    )
    op.create_index(op.f('ix_pax_documents_passenger_id'), 'pax_documents', ['passenger_id'], unique=False)
    op.create_table('pax_matches',
    sa.Column('match_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('passenger_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'confirmed', 'dismissed')", name='ck_pax_matches_status'),
    sa.ForeignKeyConstraint(['entry_id'], ['pax_watchlist.entry_id'], name=op.f('fk_pax_matches_entry_id_pax_watchlist')),
    sa.ForeignKeyConstraint(['passenger_id'], ['pax_passengers.passenger_id'], name=op.f('fk_pax_matches_passenger_id_pax_passengers')),
    sa.PrimaryKeyConstraint('match_id', name=op.f('pk_pax_matches')),
    sa.UniqueConstraint('passenger_id', 'entry_id', name='uq_pax_matches_pair')
    )
    op.create_index(op.f('ix_pax_matches_passenger_id'), 'pax_matches', ['passenger_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pax_flights_arrival_at'), table_name='pax_flights')
    op.drop_table('pax_dispositions')
    op.drop_table('pax_matches')
    op.drop_table('pax_assessments')
    op.drop_table('pax_bags')
    op.drop_table('pax_documents')
    op.drop_table('pax_passengers')
    op.drop_table('pax_watchlist')
    op.drop_table('pax_rule_versions')
    op.drop_table('pax_flights')
