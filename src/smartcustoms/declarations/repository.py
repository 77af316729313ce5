"""Store validated declarations: new ones are inserted, identical ones left alone, changed ones refused."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
from smartcustoms.declarations.tables import declarations, goods_items, import_batches, import_rejects
from smartcustoms.frames import first_rows, records
from smartcustoms.store.db import bulk_insert, transaction

Bind = Engine | Connection


@dataclass
class Stored:
    imported: int = 0
    items: int = 0
    unchanged: int = 0
    conflicts: list[dict] = field(default_factory=list)  # reject rows of kind "conflict"

    def add(self, other: "Stored") -> None:
        self.imported += other.imported
        self.items += other.items
        self.unchanged += other.unchanged
        self.conflicts += other.conflicts


def start_batch(bind: Bind, source: str, fmt: str, mapping: str | None) -> int:
    """A new import batch; in its own transaction, or in the caller's when given a Connection."""
    with transaction(bind) as conn:
        return conn.execute(
            insert(import_batches).values(source=source, format=fmt, mapping=mapping, imported=0, unchanged=0,
                                          conflicts=0, rejected=0).returning(import_batches.c.batch_id)
        ).scalar_one()


def finish_batch(bind: Bind, batch_id: int, stored: Stored, rejects: pd.DataFrame, rejected: int) -> None:
    """Write the batch's counts and its rejects (invalid rows and conflicts) in one transaction (the caller's
    when given a Connection)."""
    invalid = records(rejects) if len(rejects) else []
    rows = [{**r, "kind": "invalid"} for r in invalid] + [{**r, "kind": "conflict"} for r in stored.conflicts]
    with transaction(bind) as conn:
        if rows:
            conn.execute(insert(import_rejects), [{**row, "batch_id": batch_id} for row in rows])
        conn.execute(
            update(import_batches).where(import_batches.c.batch_id == batch_id).values(
                finished_at=func.now(), imported=stored.imported, unchanged=stored.unchanged,
                conflicts=len(stored.conflicts), rejected=rejected,
            )
        )


def _store_chunk(conn: Connection, headers: pd.DataFrame, items: pd.DataFrame, batch_id: int, stored: Stored):
    ids = headers["declaration_id"].tolist()
    existing = dict(
        conn.execute(
            select(declarations.c.declaration_id, declarations.c.content_hash).where(
                declarations.c.declaration_id.in_(ids)
            )
        ).all()
    )
    if existing:
        known = headers["declaration_id"].isin(existing.keys())
        same = known & (headers["declaration_id"].map(existing) == headers["content_hash"])
        for row in headers[known & ~same].itertuples():
            stored.conflicts.append({
                "row_number": row.row_number, "declaration_id": row.declaration_id, "field": "declaration_id",
                "value": row.declaration_id,
                "reason": "already stored with different content: not overwritten (lodge an amendment instead)",
            })
        fresh = headers[~known]
        items = items[items["declaration_id"].isin(fresh["declaration_id"])]
        stored.unchanged += int(same.sum())
    else:
        fresh = headers
    bulk_insert(conn, declarations, fresh[[*HEADER_FIELDS, "content_hash"]].assign(batch_id=batch_id))
    bulk_insert(conn, goods_items, items[["declaration_id", *ITEM_FIELDS]])
    stored.items += len(items)
    stored.imported += len(fresh)


def store(
    bind: Bind,
    valid: pd.DataFrame,
    batch_id: int,
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> Stored:
    """Insert declarations chunk by chunk, each chunk in one transaction (never half a declaration).

    Given a Connection, everything goes into the caller's transaction, and an IntegrityError (another writer
    stored one of these IDs meanwhile) is raised for the caller to roll back and retry; given an Engine, a chunk
    that meets one is classified again (up to three times)."""
    stored = Stored()
    if isinstance(bind, Connection):
        _store_chunk(bind, valid.take(first_rows(valid["declaration_id"])), valid, batch_id, stored)
        if progress:
            progress(stored.imported + stored.unchanged + len(stored.conflicts))
        return stored
    engine = bind
    headers = valid.drop_duplicates("declaration_id")
    chunk_of = pd.Series(range(len(headers)), index=headers["declaration_id"].to_numpy()) // chunk_size
    header_chunks = headers.groupby(chunk_of.to_numpy(), sort=True)
    item_chunks = dict(list(valid.groupby(valid["declaration_id"].map(chunk_of).to_numpy())))
    for number, chunk in header_chunks:
        items = item_chunks[number]
        for attempt in range(3):
            partial = Stored()
            try:
                with engine.begin() as conn:
                    _store_chunk(conn, chunk, items, batch_id, partial)
                break
            except IntegrityError:  # another import stored one of these IDs meanwhile: classify again
                if attempt == 2:
                    raise
        stored.add(partial)
        if progress:
            progress(len(chunk))
    return stored


def count_declarations(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(declarations)).scalar_one(),
            conn.execute(select(func.count()).select_from(goods_items)).scalar_one(),
        )


def latest_acceptance(bind: Bind) -> datetime | None:
    """When the latest declaration stored was accepted (None when there is none)."""
    with transaction(bind) as conn:
        return conn.execute(select(func.max(declarations.c.acceptance_datetime))).scalar_one_or_none()


def load_declarations(engine: Engine, start=None, end=None, ids: list[str] | None = None) -> pd.DataFrame:
    """Stored declarations as goods-item rows (header repeated), ordered by ID and item number; optionally
    those accepted in [start, end) or with the given IDs."""
    query = (
        select(*[declarations.c[name] for name in HEADER_FIELDS], *[goods_items.c[name] for name in ITEM_FIELDS])
        .join(goods_items, goods_items.c.declaration_id == declarations.c.declaration_id)
        .order_by(declarations.c.declaration_id, goods_items.c.item_number)
    )
    moment = declarations.c.acceptance_datetime
    if start is not None:
        query = query.where(moment >= start)
    if end is not None:
        query = query.where(moment < end)
    if ids is not None:
        query = query.where(declarations.c.declaration_id.in_(ids))
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


SEARCHED = ("declaration_id", "importer_id", "declarant_id", "seller_id", "carrier_id")


def search(conn: Connection, text: str, *, where=None, limit: int = 50) -> list[dict]:
    """Declarations a staff member looks for by what they hold on paper: the declaration ID (whole or its
    beginning), an importer, declarant, seller or carrier ID, or a transport document or container number (in
    the declaration's additional attributes). Case-insensitive; `where` narrows to what the user may see;
    newest first, at most `limit`. Each row: declaration_id, acceptance_datetime, office_id, importer_id,
    declarant_id, matched (the field that matched)."""
    text = (text or "").strip()
    if not text:
        return []
    c = declarations.c
    wanted = text.upper()
    escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matches = [func.upper(c.declaration_id).like(escaped + "%", escape="\\")]
    matches += [func.upper(getattr(c, name)) == wanted for name in SEARCHED[1:]]
    matches.append(func.upper(c.attributes).like("%" + escaped + "%", escape="\\"))
    query = (select(c.declaration_id, c.acceptance_datetime, c.office_id, c.importer_id, c.declarant_id,
                    c.seller_id, c.carrier_id, c.attributes)
             .where(or_(*matches)).order_by(c.acceptance_datetime.desc(), c.declaration_id.desc()).limit(limit))
    if where is not None:
        query = query.where(where)
    rows = []
    for row in conn.execute(query):
        found = row._asdict()
        matched = next((name for name in SEARCHED if (found.get(name) or "").upper() == wanted), None)
        if matched is None:
            matched = "declaration_id" if found["declaration_id"].upper().startswith(wanted) else "documents"
        rows.append({key: found[key] for key in ("declaration_id", "acceptance_datetime", "office_id",
                                                 "importer_id", "declarant_id")} | {"matched": matched})
    return rows
