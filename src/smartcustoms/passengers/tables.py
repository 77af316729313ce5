"""The passenger domain's tables (migration 0012)."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from smartcustoms.store.db import metadata

flights = Table(
    "pax_flights",
    metadata,
    Column("flight_id", Integer, primary_key=True, autoincrement=True),
    Column("carrier", String(3), nullable=False),
    Column("number", String(8), nullable=False),
    Column("origin", String(5), nullable=False),
    Column("destination", String(5), nullable=False),
    Column("departure_at", DateTime),
    Column("arrival_at", DateTime, index=True),
    Column("legs", Text, nullable=False),  # JSON list of legs
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("carrier", "number", "departure_at", name="uq_pax_flights_key"),
)

passengers = Table(
    "pax_passengers",
    metadata,
    Column("passenger_id", Integer, primary_key=True, autoincrement=True),
    Column("flight_id", Integer, ForeignKey("pax_flights.flight_id"), nullable=False, index=True),
    Column("role", String(10), nullable=False),
    Column("surname", String(70), nullable=False),
    Column("given_names", String(70), nullable=False),
    Column("date_of_birth", Date),
    Column("sex", String(1)),  # recorded as sent, never used by a rule
    Column("nationality", String(3)),
    Column("residence_country", String(3)),
    Column("embarkation", String(5)),
    Column("debarkation", String(5)),
    Column("seat", String(5)),
    Column("bag_count", Integer),
    Column("bag_weight_kg", Float),
    Column("pnr_locator", String(20)),
    Column("booked_at", DateTime),
    Column("payment", String(10)),
    Column("agency", String(35)),
    Column("travellers", Integer),
    Column("itinerary", Text),  # JSON list of legs from the PNR
    Column("sources", String(20), nullable=False),  # paxlst, pnrgov or both
    CheckConstraint("role IN ('passenger', 'crew')", name="ck_pax_passengers_role"),
)

documents = Table(
    "pax_documents",
    metadata,
    Column("document_id", Integer, primary_key=True, autoincrement=True),
    Column("passenger_id", Integer, ForeignKey("pax_passengers.passenger_id"), nullable=False, index=True),
    Column("doc_type", String(3), nullable=False),
    Column("number", String(35), nullable=False),
    Column("issuing_country", String(3)),
    Column("expiry_date", Date),
    UniqueConstraint("passenger_id", "number", name="uq_pax_documents_number"),
)

bags = Table(
    "pax_bags",
    metadata,
    Column("bag_id", Integer, primary_key=True, autoincrement=True),
    Column("flight_id", Integer, ForeignKey("pax_flights.flight_id"), nullable=False),
    Column("passenger_id", Integer, ForeignKey("pax_passengers.passenger_id"), nullable=False, index=True),
    Column("tag", String(20), nullable=False),
    Column("weight_kg", Float),
    Column("screen_score", Float),  # bag pre-screening: 0..1, null until screened
    Column("screen_source", String(40)),
    Column("screened_at", DateTime),
    UniqueConstraint("flight_id", "tag", name="uq_pax_bags_tag"),
)

watchlist = Table(
    "pax_watchlist",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("list_name", String(40), nullable=False),
    Column("external_id", String(40), nullable=False),
    Column("surname", String(100), nullable=False),
    Column("given_names", String(100), nullable=False),
    Column("date_of_birth", Date),
    Column("nationality", String(3)),
    Column("document_number", String(35)),
    Column("added_at", DateTime, nullable=False),
    UniqueConstraint("list_name", "external_id", name="uq_pax_watchlist_entry"),
)

rule_versions = Table(
    "pax_rule_versions",
    metadata,
    Column("rule_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("yaml", Text, nullable=False),
    Column("content", Text, nullable=False),  # canonical JSON: equal text means an unchanged rule
    Column("author", String(100), nullable=False),
    Column("committed_at", DateTime, nullable=False),
    Column("status", String(10), nullable=False),
    CheckConstraint("status IN ('active', 'retired', 'replaced')", name="ck_pax_rule_versions_status"),
)

assessments = Table(
    "pax_assessments",
    metadata,
    Column("assessment_id", Integer, primary_key=True, autoincrement=True),
    Column("flight_id", Integer, ForeignKey("pax_flights.flight_id"), nullable=False, index=True),
    Column("passenger_id", Integer, ForeignKey("pax_passengers.passenger_id"), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("selected", Boolean, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of {source, rule, version, words}
    Column("assessed_at", DateTime, nullable=False),
)

matches = Table(
    "pax_matches",
    metadata,
    Column("match_id", Integer, primary_key=True, autoincrement=True),
    Column("passenger_id", Integer, ForeignKey("pax_passengers.passenger_id"), nullable=False, index=True),
    Column("entry_id", Integer, ForeignKey("pax_watchlist.entry_id"), nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("decided_by", String(100)),
    Column("decided_at", DateTime),
    UniqueConstraint("passenger_id", "entry_id", name="uq_pax_matches_pair"),
    CheckConstraint("status IN ('open', 'confirmed', 'dismissed')", name="ck_pax_matches_status"),
)

dispositions = Table(
    "pax_dispositions",
    metadata,
    Column("disposition_id", Integer, primary_key=True, autoincrement=True),
    Column("passenger_id", Integer, ForeignKey("pax_passengers.passenger_id"), nullable=False, index=True),
    Column("result", String(20), nullable=False),
    Column("note", Text, nullable=False),
    Column("officer", String(100), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    CheckConstraint("result IN ('no_finding', 'undeclared_goods', 'prohibited_goods', 'currency', 'referred')",
                    name="ck_pax_dispositions_result"),
)
