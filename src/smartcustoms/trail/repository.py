"""The trail's SQL: the chained tables' rows and their links (given a connection; never commits)."""

from sqlalchemy import Connection, Table, insert, select

from smartcustoms.control.tables import outcomes, task_events
from smartcustoms.risk.tables import decisions, overrides
from smartcustoms.store.db import utc_now
from smartcustoms.trail.chain import Link
from smartcustoms.trail.tables import trail_links

CHAINED: dict[str, tuple[Table, str]] = {  # table name: (table, its integer key)
    "decisions": (decisions, "decision_id"),
    "decision_overrides": (overrides, "override_id"),
    "task_events": (task_events, "event_id"),
    "outcomes": (outcomes, "outcome_id"),
}


def rows(conn: Connection, name: str, after: int = 0) -> list[tuple[int, dict]]:
    table, key = CHAINED[name]
    query = select(table).where(table.c[key] > after).order_by(table.c[key])
    return [(row[key], dict(row)) for row in conn.execute(query).mappings()]


def links(conn: Connection, name: str) -> list[Link]:
    query = (select(trail_links.c.seq, trail_links.c.row_id, trail_links.c.row_hash, trail_links.c.prev_hash,
                    trail_links.c.link_hash).where(trail_links.c.table_name == name).order_by(trail_links.c.seq))
    return [Link(*row) for row in conn.execute(query)]


def last_link(conn: Connection, name: str) -> Link | None:
    query = (select(trail_links.c.seq, trail_links.c.row_id, trail_links.c.row_hash, trail_links.c.prev_hash,
                    trail_links.c.link_hash).where(trail_links.c.table_name == name)
             .order_by(trail_links.c.seq.desc()).limit(1))
    row = conn.execute(query).first()
    return Link(*row) if row else None


def add_links(conn: Connection, name: str, new: list[Link]) -> None:
    if new:
        at = utc_now()
        conn.execute(insert(trail_links), [{"table_name": name, "seq": link.seq, "row_id": link.row_id,
                                            "row_hash": link.row_hash, "prev_hash": link.prev_hash,
                                            "link_hash": link.link_hash, "sealed_at": at} for link in new])
