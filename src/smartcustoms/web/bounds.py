"""Bounds of the web's query and body parameters (issue 14): a number or a day beyond what the database and
pandas can hold is refused with its field (422), never handed down to fail there (500).

- offsets and IDs: at most ``MAX_OFFSET`` (2**31 - 1; SQLite's integers stop at 2**63 - 1, and no list is that
  long);
- days of a period (KPIs, replays, lists): from ``EARLIEST_DAY`` to ``LATEST_DAY`` (the database's CHECK on stored
  datetimes allows the years 1900 to 2199; pandas' nanosecond timestamps end in 2262).
"""

from datetime import date
from typing import Annotated

from fastapi import Query

MAX_OFFSET = 2**31 - 1
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]


def day_problem(value: date | None, field: str, loc: tuple = ()) -> dict | None:
    """An Invalid's problem when `value` lies outside [EARLIEST_DAY, LATEST_DAY], else None."""
    if value is None or EARLIEST_DAY <= value <= LATEST_DAY:
        return None
    return {"loc": [*loc, field], "type": "out_of_range",
            "msg": f"{field} must lie between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"}
