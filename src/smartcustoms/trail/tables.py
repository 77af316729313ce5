"""The trail's table: one link per chained row, per table (migration 0009)."""

from sqlalchemy import Column, DateTime, Integer, PrimaryKeyConstraint, String, Table, UniqueConstraint

from smartcustoms.store.db import metadata

trail_links = Table(
    "trail_links",
    metadata,
    Column("table_name", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("row_id", Integer, nullable=False),
    Column("row_hash", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("link_hash", String(64), nullable=False),
    Column("sealed_at", DateTime, nullable=False),
    PrimaryKeyConstraint("table_name", "seq", name="pk_trail_links"),
    UniqueConstraint("table_name", "row_id", name="uq_trail_links_table_name"),
)
