"""The SQL of lodging through the web (web.submissions): what is stored of a batch's declarations, and storing the
declarations a batch lodges (one import batch row for the timeline) with who lodged them. Given a Connection,
never commits."""

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, select

from smartcustoms.accounts.tables import submissions
from smartcustoms.control.repository import clearance_statuses
from smartcustoms.declarations import repository as declaration_sql
from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
from smartcustoms.declarations.tables import declarations, goods_items
from smartcustoms.declarations.validate import REJECT_COLUMNS
from smartcustoms.risk.repository import latest_decisions
from smartcustoms.store.db import insert_rows

_NO_REJECTS = pd.DataFrame(columns=REJECT_COLUMNS)


class StoredMeanwhile(Exception):
    """Another writer stored one of the batch's new declarations between our read and our write."""


def lodged(conn: Connection, ids: list[str]) -> tuple[dict[str, str], dict[str, dict], dict[str, str]]:
    """Of the given declarations: the content hash of those stored, the newest decision of those decided (by
    declaration), and the control status of those whose chain is open."""
    stored = dict(conn.execute(select(declarations.c.declaration_id, declarations.c.content_hash)
                               .where(declarations.c.declaration_id.in_(ids))).all())
    # only stored ones can have any
    decided = latest_decisions(conn, ids=[key for key in ids if key in stored], by_declaration=True)
    statuses = clearance_statuses(conn, [key for key in ids if key in decided])
    return stored, decided, statuses


def any_stored(conn: Connection, ids: list[str]) -> bool:
    """Whether one of the declarations is stored."""
    return conn.execute(select(declarations.c.declaration_id)
                        .where(declarations.c.declaration_id.in_(ids)).limit(1)).first() is not None


def store_lodged(conn: Connection, actor: str, headers: list[tuple], items: list[tuple], lodged_by: list[tuple],
                 at: datetime) -> None:
    """Store declarations seen first in a batch: their headers (HEADER_FIELDS, content hash), goods items
    (declaration ID, ITEM_FIELDS) and who lodged each (declaration ID, user ID, channel), in one import batch row
    of `actor`. Raises StoredMeanwhile when another writer stored one of them first."""
    ids = [header[HEADER_FIELDS.index("declaration_id")] for header in headers]
    if any_stored(conn, ids):
        raise StoredMeanwhile
    batch_id = declaration_sql.start_batch(conn, actor, "json", None)
    insert_rows(conn, declarations, [*HEADER_FIELDS, "content_hash", "batch_id"],
                [(*header, batch_id) for header in headers])
    insert_rows(conn, goods_items, ["declaration_id", *ITEM_FIELDS], items)
    declaration_sql.finish_batch(conn, batch_id, declaration_sql.Stored(imported=len(headers), items=len(items)),
                                 _NO_REJECTS, 0)
    insert_rows(conn, submissions, ["declaration_id", "user_id", "channel", "submitted_at"],
                [(*who, at) for who in lodged_by])
