"""Lodging through the web (web.submissions): what is stored of a batch's declarations, and the batch's one
transaction that stores the new declarations and records their decisions with the control chain they open."""

from collections.abc import Collection
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine

from smartcustoms.control import service
from smartcustoms.control.repository import lodging as lodging_sql
from smartcustoms.store.db import transaction, writing

StoredMeanwhile = lodging_sql.StoredMeanwhile  # another writer stored one of a lodging batch's declarations
__all__ = ["StoredMeanwhile"]


def lodged(db: Engine | Connection, ids: list[str]) -> tuple[dict[str, str], dict[str, dict], dict[str, str]]:
    """Of the given declarations: the content hash of those stored, the newest decision of those decided (by
    declaration), and the control status of those whose chain is open."""
    with transaction(db) as conn:
        return lodging_sql.lodged(conn, ids)


def any_stored(db: Engine | Connection, ids: list[str]) -> bool:
    """Whether one of the declarations is stored (by another writer, since a batch read them)."""
    with transaction(db) as conn:
        return lodging_sql.any_stored(conn, ids)


def record_lodging(db: Engine, actor: str, *, headers: list[tuple], items: list[tuple], lodged_by: list[tuple],
                   at: datetime, assessed: pd.DataFrame | None, provenance: dict,
                   remote_offices: Collection[str] = ()) -> None:
    """A lodging batch in one transaction: the declarations seen first (headers, goods items, who lodged them;
    see repository.lodging.store_lodged), then the assessment's decisions and the control chain they open
    (``record_decisions``). StoredMeanwhile when another writer stored one of the new declarations first."""
    with writing(db) as conn:
        if headers:
            lodging_sql.store_lodged(conn, actor, headers, items, lodged_by, at)
        if assessed is not None and len(assessed):
            service.record_decisions(conn, assessed, provenance, actor, remote_offices=remote_offices,
                                     stored_here=lodging_sql.as_stored(headers))
