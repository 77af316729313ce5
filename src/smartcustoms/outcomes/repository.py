"""Store and load outcomes (SQL; given the Engine: one transaction each)."""

import pandas as pd
from sqlalchemy import Engine, select

from smartcustoms.outcomes.models import COLUMNS
from smartcustoms.outcomes.tables import outcomes
from smartcustoms.store.db import bulk_insert


def store_outcomes(engine: Engine, frame: pd.DataFrame) -> int:
    """Append outcomes not already stored (same declaration, date, control type and result)."""
    key = ["declaration_id", "inspection_date", "control_type", "result"]
    with engine.begin() as conn:
        known = pd.read_sql(select(*[outcomes.c[c] for c in key]), conn)
        known["inspection_date"] = pd.to_datetime(known["inspection_date"])
        fresh = frame.merge(known.drop_duplicates(), on=key, how="left", indicator=True)
        fresh = fresh[fresh["_merge"] == "left_only"].drop(columns="_merge")
        bulk_insert(conn, outcomes, fresh[COLUMNS])
    return len(fresh)


def load_outcomes(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(select(*[outcomes.c[c] for c in COLUMNS]), conn)
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    return frame
