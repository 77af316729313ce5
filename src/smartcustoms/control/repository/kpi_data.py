"""The SQL of the frames the KPIs are computed from (control/kpis.py) for a period, an office and a moment: given
a Connection, never commits."""

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Connection, or_, select, union

from smartcustoms.control.kpis import KpiError
from smartcustoms.control.tables import clearance, outcomes, task_events, tasks
from smartcustoms.declarations.tables import declarations
from smartcustoms.risk.repository import latest_decisions


def _start(day: date | datetime | None) -> datetime | None:
    if day is None or isinstance(day, datetime):
        return None if day is None else day.replace(tzinfo=None)
    return datetime.combine(day, time())


def _end(day: date | datetime | None) -> datetime | None:
    """The end of a period, excluded: a date counts to its end."""
    if day is None or isinstance(day, datetime):
        return None if day is None else day.replace(tzinfo=None)
    return datetime.combine(day + timedelta(days=1), time())


def _within(column, start: datetime | None, end: datetime | None, as_of: datetime | None) -> list:
    where = []
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column < end)
    if as_of is not None:
        where.append(column <= as_of)
    return where


def load_kpi_frames(conn: Connection, since: date | datetime | None = None, until: date | datetime | None = None,
                    office: str | None = None, *, as_of: datetime | None = None) -> dict[str, pd.DataFrame]:
    """The inputs of ``kpis.summary``, by name: clearance (declarations lodged in the period), tasks (created in
    it) and their events, decisions (assessed in it; the newest per declaration, after overrides) and outcomes
    (inspected in it). ``until`` is excluded; a date counts to its end. With ``office``, only that office's
    declarations and tasks. With ``as_of``, nothing later is seen: a release after it counts as still held,
    and later task events, decisions and outcomes are left out."""
    start, end = _start(since), _end(until)
    if start is not None and end is not None and start >= end:
        raise KpiError(f"the period is empty: since {start:%Y-%m-%d %H:%M} is not before until {end:%Y-%m-%d %H:%M}")
    as_of = None if as_of is None else as_of.replace(tzinfo=None)
    ids = None
    if office is not None:  # the office's declarations, wherever they are recorded
        ids = union(select(clearance.c.declaration_id).where(clearance.c.office_id == office),
                    select(declarations.c.declaration_id).where(declarations.c.office_id == office),
                    select(tasks.c.declaration_id).where(tasks.c.office_id == office)).subquery()

    cleared = select(clearance).where(*_within(clearance.c.lodged_at, start, end, as_of))
    given = select(tasks).where(*_within(tasks.c.created_at, start, end, as_of))
    controlled = select(outcomes).where(*_within(outcomes.c.inspection_date, start, end, as_of))
    if office is not None:
        cleared = cleared.where(clearance.c.office_id == office)
        given = given.where(tasks.c.office_id == office)
        office_tasks = select(tasks.c.task_id).where(tasks.c.office_id == office)
        controlled = controlled.where(or_(outcomes.c.declaration_id.in_(select(ids.c.declaration_id)),
                                          outcomes.c.task_id.in_(office_tasks)))
    if as_of is not None:
        cleared = cleared.where(clearance.c.lane_at <= as_of)
    events = (select(task_events).where(task_events.c.task_id.in_(given.with_only_columns(tasks.c.task_id)))
              .where(*_within(task_events.c.at, None, None, as_of)).order_by(task_events.c.event_id))
    frames = {"clearance": pd.read_sql(cleared.order_by(clearance.c.declaration_id), conn),
              "tasks": pd.read_sql(given.order_by(tasks.c.task_id), conn),
              "events": pd.read_sql(events, conn),
              "outcomes": pd.read_sql(controlled.order_by(outcomes.c.outcome_id), conn)}
    office_ids = None if ids is None else set(conn.execute(select(ids.c.declaration_id)).scalars())

    made = latest_decisions(conn, since=start)
    made["assessed_at"] = pd.to_datetime(made["assessed_at"])
    keep = pd.Series(True, index=made.index)
    if end is not None:
        keep &= made["assessed_at"] < end
    if as_of is not None:
        keep &= made["assessed_at"] <= as_of
    if office_ids is not None:
        keep &= made["declaration_id"].isin(office_ids)
    frames["decisions"] = made[keep].reset_index(drop=True)
    by = made.set_index("declaration_id")["assessed_by"]  # who gave each lane: kpis.release_durations (lane_by_batch)
    frames["clearance"]["assessed_by"] = frames["clearance"]["declaration_id"].map(by)

    frame = frames["clearance"]
    for name in ("lodged_at", "lane_at", "released_at"):
        frame[name] = pd.to_datetime(frame[name])
    if as_of is not None:  # released later than the moment: still held then
        later = frame["released_at"] > as_of
        frame.loc[later, "released_at"] = pd.NaT
        frame.loc[later & frame["status"].eq("released"), "status"] = "held"
    return frames
