"""The SQL of lodging through the web (web.submissions): what is stored of a batch's declarations, and storing the
declarations a batch lodges (one import batch row for the timeline) with who lodged them. Given a Connection,
never commits."""

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select

from smartcustoms.accounts.tables import submissions
from smartcustoms.control.repository import clearance_statuses
from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
from smartcustoms.declarations.tables import declarations, goods_items, import_batches
from smartcustoms.risk.repository import latest_decisions
from smartcustoms.store.db import insert_rows


class StoredMeanwhile(Exception):
    """Another writer stored one of the batch's new declarations between our read and our write."""


_STORED = (select(declarations.c.declaration_id, declarations.c.content_hash)
           .where(declarations.c.declaration_id.in_(bindparam("ids", expanding=True))))
_ANY_STORED = (select(declarations.c.declaration_id)
               .where(declarations.c.declaration_id.in_(bindparam("ids", expanding=True))).limit(1))


def lodged(conn: Connection, ids: list[str]) -> tuple[dict[str, str], dict[str, dict], dict[str, str]]:
    """Of the given declarations: the content hash of those stored, the newest decision of those decided (by
    declaration), and the control status of those whose chain is open."""
    stored = dict(conn.execute(_STORED, {"ids": ids}).all())
    # only stored ones can have any
    decided = latest_decisions(conn, ids=[key for key in ids if key in stored], by_declaration=True)
    statuses = clearance_statuses(conn, [key for key in ids if key in decided])
    return stored, decided, statuses


def any_stored(conn: Connection, ids: list[str]) -> bool:
    """Whether one of the declarations is stored."""
    return conn.execute(_ANY_STORED, {"ids": ids}).first() is not None


# one import batch row, started and finished at once (as declarations.repository's start_batch and finish_batch
# write it for a batch without rejects)
_NEW_BATCH = insert(import_batches).values(finished_at=func.now()).returning(import_batches.c.batch_id)
_AT = {name: at for at, name in enumerate(HEADER_FIELDS)}


def store_lodged(conn: Connection, actor: str, headers: list[tuple], items: list[tuple], lodged_by: list[tuple],
                 at: datetime) -> None:
    """Store declarations seen first in a batch: their headers (HEADER_FIELDS, content hash), goods items
    (declaration ID, ITEM_FIELDS) and who lodged each (declaration ID, user ID, channel), in one import batch row
    of `actor`. Raises StoredMeanwhile when another writer stored one of them first."""
    ids = [header[_AT["declaration_id"]] for header in headers]
    if any_stored(conn, ids):
        raise StoredMeanwhile
    batch_id = conn.execute(_NEW_BATCH, {"source": actor, "format": "json", "mapping": None,
                                         "imported": len(headers), "unchanged": 0, "conflicts": 0,
                                         "rejected": 0}).scalar_one()
    insert_rows(conn, declarations, [*HEADER_FIELDS, "content_hash", "batch_id"],
                [(*header, batch_id) for header in headers])
    insert_rows(conn, goods_items, ["declaration_id", *ITEM_FIELDS], items)
    insert_rows(conn, submissions, ["declaration_id", "user_id", "channel", "submitted_at"],
                [(*who, at) for who in lodged_by])


def as_stored(headers: list[tuple]) -> dict[str, tuple]:
    """The declarations that store_lodged stores from `headers`: ID -> office ID, acceptance time."""
    return {header[_AT["declaration_id"]]: (header[_AT["office_id"]], header[_AT["acceptance_datetime"]])
            for header in headers}
