"""The SQL of inspection slots and bookings (see control.scheduling): given a Connection, never commits.

A booking moves its task from assigned to scheduled in the same transaction. Two bookings of the last place of a
slot at once cannot both succeed: on PostgreSQL the slot row is locked (SELECT ... FOR UPDATE) before the
bookings are counted; on SQLite the task's update takes the database's write lock before the count.
"""

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select

from smartcustoms.control import workflow
from smartcustoms.control.repository.inspections import load_task, move
from smartcustoms.control.scheduling import BookingError
from smartcustoms.control.tables import SLOT_MODES, bookings, slots
from smartcustoms.control.workflow import NotFoundError
from smartcustoms.store.db import moment as _moment


def add_slots(conn: Connection, office_id: str, mode: str, start: datetime, end: datetime, *,
              every: timedelta = timedelta(hours=1), length: timedelta | None = None, capacity: int = 2,
              hours: tuple[int, int] | None = None) -> int:
    """Slots starting at `start`, `start + every`, ... before `end`, each `length` long (default `every`) for
    `capacity` inspections; with `hours` (first, last) only those starting at an hour in [first, last). A slot
    already there (same office, mode, start) is kept as it is. Returns the number created."""
    if mode not in SLOT_MODES:
        raise BookingError(f"slot mode must be one of {', '.join(SLOT_MODES)}, got {mode!r}")
    length = every if length is None else length
    if end <= start or every <= timedelta(0) or length <= timedelta(0):
        raise BookingError(f"slots need start < end and a positive step and length (got {start} to {end}, every "
                           f"{every}, length {length})")
    if int(capacity) != capacity or capacity < 1:
        raise BookingError(f"slot capacity must be a whole number >= 1, got {capacity}")
    if hours is not None and not 0 <= hours[0] < hours[1] <= 24:
        raise BookingError(f"hours must be (first, last) with 0 <= first < last <= 24, got {hours}")
    starts = pd.date_range(start, end, freq=every, inclusive="left")
    if hours is not None:
        starts = starts[(starts.hour >= hours[0]) & (starts.hour < hours[1])]
    known = set(conn.execute(select(slots.c.starts_at).where(
        slots.c.office_id == office_id, slots.c.mode == mode, slots.c.starts_at >= start,
        slots.c.starts_at < end)).scalars())
    rows = [{"office_id": office_id, "mode": mode, "starts_at": s, "ends_at": s + length,
             "capacity": int(capacity)} for s in starts.to_pydatetime() if s not in known]
    if rows:
        conn.execute(insert(slots), rows)
    return len(rows)


def _booked():
    return (select(bookings.c.slot_id, func.count().label("booked")).group_by(bookings.c.slot_id).subquery())


def free_slots(conn: Connection, office_id: str, mode: str, after: datetime | None = None,
               limit: int | None = None) -> pd.DataFrame:
    """Slots of an office and mode starting after `after` (default now) with room left, earliest first:
    slot_id, starts_at, ends_at, capacity, booked, free."""
    booked = _booked()
    taken = func.coalesce(booked.c.booked, 0)
    query = (
        select(slots.c.slot_id, slots.c.starts_at, slots.c.ends_at, slots.c.capacity, taken.label("booked"))
        .outerjoin(booked, booked.c.slot_id == slots.c.slot_id)
        .where(slots.c.office_id == office_id, slots.c.mode == mode, slots.c.starts_at > _moment(after),
               taken < slots.c.capacity)
        .order_by(slots.c.starts_at, slots.c.slot_id)
    )
    if limit is not None:
        query = query.limit(limit)
    frame = pd.DataFrame(conn.execute(query).all(),
                         columns=["slot_id", "starts_at", "ends_at", "capacity", "booked"])
    return frame.assign(free=frame["capacity"] - frame["booked"])


def book(conn: Connection, task_id: int, slot_id: int, *, booked_by: str, at: datetime | None = None) -> int:
    """Book a slot for an assigned physical (on-site slot) or remote (remote slot) inspection of the slot's
    office; the slot must start after `at` and have room. The task moves to scheduled. Returns the booking ID."""
    booked_by, at = (booked_by or "").strip(), _moment(at)
    if not booked_by:
        raise BookingError("who books must be named")
    slot = conn.execute(select(slots).where(slots.c.slot_id == slot_id).with_for_update()).first()
    if slot is None:
        raise NotFoundError(f"no slot {slot_id}")
    task = load_task(conn, task_id)
    if task.state == "scheduled":
        booked = conn.execute(select(bookings.c.slot_id).where(bookings.c.task_id == task_id)).scalar()
        raise BookingError(f"task {task_id} is already booked (slot {booked})")
    if task.mode not in workflow.SLOT_MODE:
        raise BookingError(f"task {task_id} is a documentary control: it needs no slot")
    if task.state != "assigned":
        raise BookingError(f"task {task_id} is {task.state}: only an assigned task can be booked")
    wanted = workflow.SLOT_MODE[task.mode]
    if slot.mode != wanted:
        raise BookingError(f"task {task_id} is a {task.mode} inspection: it needs a slot of mode {wanted}, "
                           f"slot {slot_id} is {slot.mode}")
    if slot.office_id != task.office_id:
        raise BookingError(f"slot {slot_id} is at office {slot.office_id}, task {task_id} at {task.office_id}")
    if slot.starts_at <= at:
        raise BookingError(f"slot {slot_id} starts at {slot.starts_at:%Y-%m-%d %H:%M}: not after "
                           f"{at:%Y-%m-%d %H:%M}")
    # the task's update comes first: on SQLite it takes the write lock, so the count below is current
    move(conn, task, "scheduled", actor=booked_by, expected_version=task.version, at=at,
         note=f"slot {slot_id} at {slot.starts_at:%Y-%m-%d %H:%M}")
    count = conn.execute(select(func.count()).select_from(bookings).where(bookings.c.slot_id == slot_id))
    if count.scalar_one() >= slot.capacity:
        raise BookingError(f"slot {slot_id} at {slot.starts_at:%Y-%m-%d %H:%M} is full ({slot.capacity} "
                           "booked): choose another", code="slot_full", field="slot_id")
    return conn.execute(insert(bookings).values(slot_id=slot_id, task_id=task_id, booked_by=booked_by,
                                                booked_at=at).returning(bookings.c.booking_id)).scalar_one()


def cancel_booking(conn: Connection, task_id: int, *, cancelled_by: str, at: datetime | None = None) -> None:
    """Cancel the booking of a scheduled inspection whose slot has not started (starts after `at`): the booking
    row goes (the slot's place is free again) and the task moves back to assigned, with an event naming who
    cancelled which slot, so that another slot can be booked."""
    cancelled_by, at = (cancelled_by or "").strip(), _moment(at)
    if not cancelled_by:
        raise BookingError("who cancels must be named")
    task = load_task(conn, task_id)
    slot = conn.execute(select(slots.c.slot_id, slots.c.starts_at).join(
        bookings, bookings.c.slot_id == slots.c.slot_id).where(bookings.c.task_id == task_id)).first()
    if task.state != "scheduled" or slot is None:
        raise BookingError(f"task {task_id} is {task.state}: only a booked (scheduled) inspection can be "
                           "cancelled")
    if slot.starts_at <= at:
        raise BookingError(f"the booking of task {task_id} cannot be cancelled: its slot {slot.slot_id} "
                           f"started at {slot.starts_at:%Y-%m-%d %H:%M}")
    move(conn, task, "assigned", actor=cancelled_by, expected_version=task.version, at=at,
         note=f"booking of slot {slot.slot_id} at {slot.starts_at:%Y-%m-%d %H:%M} cancelled")
    conn.execute(delete(bookings).where(bookings.c.task_id == task_id))


def booking_of(conn: Connection, task_id: int) -> dict | None:
    """The task's booking with its slot (slot_id, office_id, mode, starts_at, ends_at, booked_by, booked_at)."""
    row = conn.execute(
        select(bookings.c.booking_id, slots.c.slot_id, slots.c.office_id, slots.c.mode, slots.c.starts_at,
               slots.c.ends_at, bookings.c.booked_by, bookings.c.booked_at)
        .join(slots, slots.c.slot_id == bookings.c.slot_id).where(bookings.c.task_id == task_id)
    ).mappings().first()
    return dict(row) if row else None

