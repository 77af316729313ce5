"""Tables for declarations, their goods items and import batches with their rejects."""

from sqlalchemy import (
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

import_batches = Table(
    "import_batches",
    metadata,
    Column("batch_id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("format", String(10), nullable=False),
    Column("mapping", String(100)),
    Column("started_at", DateTime, nullable=False, server_default=func.now()),
    Column("finished_at", DateTime),
    Column("imported", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("conflicts", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
)

import_rejects = Table(
    "import_rejects",
    metadata,
    Column("reject_id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("import_batches.batch_id"), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # invalid | conflict
    Column("row_number", Integer),
    Column("declaration_id", String(35)),
    Column("field", String(100)),
    Column("value", Text),
    Column("reason", Text, nullable=False),
)

declarations = Table(
    "declarations",
    metadata,
    Column("declaration_id", String(35), primary_key=True),
    Column("declaration_type", String(2), nullable=False),
    Column("office_id", String(35), nullable=False),
    Column("acceptance_datetime", DateTime, nullable=False),
    Column("declarant_id", String(35), nullable=False),
    Column("importer_id", String(35), nullable=False),
    Column("seller_id", String(35)),
    Column("transport_mode", String(1), nullable=False),
    Column("incoterm", String(3)),
    Column("invoice_currency", String(3), nullable=False),
    Column("exchange_rate", Float, nullable=False),
    Column("dispatch_country", String(2), nullable=False),
    # declared attributes targeting needs (migration 0010)
    Column("requested_procedure", String(10)),
    Column("previous_procedure", String(10)),
    Column("additional_procedures", String(99)),
    Column("import_type", String(10)),
    Column("import_use", String(10)),
    Column("payment_method", String(10)),
    Column("carrier_id", String(35)),
    Column("attributes", Text),  # canonical JSON of the mapping's additional attributes
    Column("content_hash", String(64), nullable=False),
    Column("batch_id", Integer, ForeignKey("import_batches.batch_id"), nullable=False),
    Index("ix_declarations_importer_date", "importer_id", "acceptance_datetime"),
    Index("ix_declarations_office_date", "office_id", "acceptance_datetime"),
)

goods_items = Table(
    "goods_items",
    metadata,
    Column("declaration_id", String(35), primary_key=True),
    Column("item_number", Integer, primary_key=True),
    Column("commodity_code", String(10), nullable=False, index=True),
    Column("goods_description", Text, nullable=False),
    Column("origin_country", String(2), nullable=False),
    Column("preference_claim", String(35)),
    Column("quantity", Float, nullable=False),
    Column("quantity_unit", String(3), nullable=False),
    Column("net_mass", Float, nullable=False),
    Column("gross_mass", Float),
    Column("item_price", Float, nullable=False),
    Column("customs_value", Float, nullable=False),
    Column("duty_rate", Float, nullable=False),
    Column("tax_type", String(10)),
    ForeignKeyConstraint(["declaration_id"], ["declarations.declaration_id"], ondelete="CASCADE"),
)
