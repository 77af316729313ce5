"""SQL of the scale domain: the history read from the database in chunks (keyset pagination, so that no query
holds the whole history). Given a Connection; never commits. (Decisions are written back in bulk by
`control.service.record_decisions`, with the opening of their control chains.)"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from sqlalchemy import Connection, func, select

from smartcustoms.control.tables import outcomes
from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
from smartcustoms.declarations.tables import declarations, goods_items
from smartcustoms.scale.partitions import OUTCOME_COLUMNS


def high_water(conn: Connection) -> tuple[int, int]:
    """(the last import batch ID, the last outcome ID) stored now: what an export or append reaches up to."""
    batch = conn.execute(select(func.coalesce(func.max(declarations.c.batch_id), 0))).scalar_one()
    outcome = conn.execute(select(func.coalesce(func.max(outcomes.c.outcome_id), 0))).scalar_one()
    return int(batch), int(outcome)


def _available(table, names: list[str]) -> list[str]:
    return [name for name in names if name in table.c]


def declaration_chunks(conn: Connection, after_batch: int, upto_batch: int,
                       chunk: int = 50_000) -> Iterator[pd.DataFrame]:
    """Declarations of import batches in (after_batch, upto_batch], as goods-item rows (header repeated), at most
    `chunk` declarations per frame, in declaration ID order (keyset pagination on the ID)."""
    header = _available(declarations, HEADER_FIELDS)
    items = _available(goods_items, [name for name in ITEM_FIELDS if name != "declaration_id"])
    last = None
    while True:
        ids = (select(declarations.c.declaration_id)
               .where(declarations.c.batch_id > after_batch, declarations.c.batch_id <= upto_batch)
               .order_by(declarations.c.declaration_id).limit(chunk))
        if last is not None:
            ids = ids.where(declarations.c.declaration_id > last)
        ids = [row[0] for row in conn.execute(ids)]
        if not ids:
            return
        last = ids[-1]
        query = (select(*[declarations.c[n] for n in header], *[goods_items.c[n] for n in items])
                 .join(goods_items, goods_items.c.declaration_id == declarations.c.declaration_id)
                 .where(declarations.c.declaration_id >= ids[0], declarations.c.declaration_id <= last,
                        declarations.c.batch_id > after_batch, declarations.c.batch_id <= upto_batch)
                 .order_by(declarations.c.declaration_id, goods_items.c.item_number))
        frame = pd.read_sql(query, conn)
        frame["acceptance_datetime"] = pd.to_datetime(frame["acceptance_datetime"])
        yield frame


def outcome_chunks(conn: Connection, after_id: int, upto_id: int, chunk: int = 200_000) -> Iterator[pd.DataFrame]:
    """Outcomes with IDs in (after_id, upto_id], `chunk` at a time, in ID order."""
    last = after_id
    while last < upto_id:
        query = (select(outcomes.c.outcome_id, *[outcomes.c[name] for name in OUTCOME_COLUMNS])
                 .where(outcomes.c.outcome_id > last, outcomes.c.outcome_id <= upto_id)
                 .order_by(outcomes.c.outcome_id).limit(chunk))
        frame = pd.read_sql(query, conn)
        if frame.empty:
            return
        last = int(frame["outcome_id"].max())
        frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
        yield frame
