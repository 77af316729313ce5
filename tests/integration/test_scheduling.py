"""Inspection slots and bookings: capacity, modes, offices, time, and two bookings racing for the last place."""

import json
import threading
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from smartcustoms.control.scheduling import BookingError
from smartcustoms.control.service import (
    add_officers,
    add_slots,
    assign,
    assign_open,
    book,
    booking_of,
    cancel_booking,
    change_mode,
    free_slots,
    get_task,
    open_controls,
    task_frame,
    task_history,
    transition,
)
from smartcustoms.control.tables import bookings, slots
from smartcustoms.control.workflow import NotFoundError, TransitionError
from smartcustoms.declarations.service import import_file
from smartcustoms.risk.repository import record_assessment
from support import csv_bytes, item_row

DAY = datetime(2025, 3, 5)
NOW = datetime(2025, 3, 4, 12, 0)
PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}


def tasks_at(engine, tmp_path, lanes: list[str], office: str = "FRPAR1") -> list[int]:
    """Assigned tasks, one per lane, at `office` (officers doing everything are added)."""
    ids = [f"S{office}{i:03d}" for i in range(len(lanes))]
    path = tmp_path / f"{office}.csv"
    path.write_bytes(csv_bytes([item_row(d, office_id=office, acceptance_datetime="2025-03-04T09:30:00")
                                for d in ids]))
    import_file(engine, path)
    explanation = json.dumps({"lane": "red", "source": "screen", "random": False, "profiles": [], "scores": {}})
    record_assessment(engine, pd.DataFrame({"declaration_id": ids, "lane": lanes, "source": "screen",
                                            "random": False, "risk_score": 0.9, "duty_at_risk": 1.0,
                                            "explanation": explanation}), PROVENANCE, actor="batch")
    open_controls(engine, lane_time="lodged")
    add_officers(engine, pd.DataFrame([{"officer_id": f"{office}-{k}", "name": "o", "office_id": office,
                                        "modes": "physical,documentary,remote"} for k in range(2)]))
    assign_open(engine, actor="system", office_id=office, at=NOW)
    frame = task_frame(engine, office_id=office)
    return frame.set_index("declaration_id").loc[ids, "task_id"].tolist()


def state_of(engine, task_id: int) -> tuple:
    task = get_task(engine, task_id)
    return task.state, task.version, len(task_history(engine, task_id))


def test_add_slots_makes_working_hour_slots_once(engine):
    made = add_slots(engine, "FRPAR1", "on_site", DAY, DAY + timedelta(days=2), capacity=3, hours=(8, 12))
    assert made == 8  # 8, 9, 10 and 11 o'clock on two days
    assert add_slots(engine, "FRPAR1", "on_site", DAY, DAY + timedelta(days=2), capacity=3, hours=(8, 12)) == 0
    free = free_slots(engine, "FRPAR1", "on_site", after=NOW)
    assert free["starts_at"].tolist()[:2] == [DAY + timedelta(hours=8), DAY + timedelta(hours=9)]
    assert (free["ends_at"] - free["starts_at"] == pd.Timedelta(hours=1)).all() and (free["free"] == 3).all()
    assert free_slots(engine, "FRPAR1", "remote", after=NOW).empty
    for kwargs, message in ((dict(mode="video"), "slot mode must be one of"),
                            (dict(capacity=0), "capacity must be a whole number >= 1"),
                            (dict(end=DAY), "start < end"),
                            (dict(hours=(18, 8)), "hours must be")):
        arguments = dict(office_id="FRPAR1", mode="remote", start=DAY, end=DAY + timedelta(days=1)) | kwargs
        with pytest.raises(BookingError, match=message):
            add_slots(engine, arguments.pop("office_id"), arguments.pop("mode"), arguments.pop("start"),
                      arguments.pop("end"), **arguments)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(slots)).scalar_one() == 8


def test_a_full_slot_refuses_the_next_booking_and_leaves_the_task_as_it_was(engine, tmp_path):
    first, second, third = tasks_at(engine, tmp_path, ["red", "red", "red"])
    add_slots(engine, "FRPAR1", "on_site", DAY + timedelta(hours=9), DAY + timedelta(hours=10), capacity=2)
    (slot_id,) = free_slots(engine, "FRPAR1", "on_site", after=NOW)["slot_id"]
    book(engine, first, slot_id, booked_by="trader", at=NOW)
    book(engine, second, slot_id, booked_by="trader", at=NOW)
    before = state_of(engine, third)
    with pytest.raises(BookingError, match=f"slot {slot_id} at 2025-03-05 09:00 is full"):
        book(engine, third, slot_id, booked_by="trader", at=NOW)
    assert state_of(engine, third) == before == ("assigned", 2, 2)
    assert state_of(engine, first) == ("scheduled", 3, 3)
    assert free_slots(engine, "FRPAR1", "on_site", after=NOW).empty
    assert booking_of(engine, first)["starts_at"] == DAY + timedelta(hours=9)
    assert booking_of(engine, third) is None


def test_bookings_that_do_not_fit_are_refused(engine, tmp_path):
    physical, remote, documentary = tasks_at(engine, tmp_path, ["red", "red", "yellow"])
    (elsewhere,) = tasks_at(engine, tmp_path, ["red"], office="FRLEH1")
    version = get_task(engine, remote).version
    change_mode(engine, remote, "remote", actor="trader", expected_version=version, at=NOW)
    add_slots(engine, "FRPAR1", "on_site", DAY + timedelta(hours=9), DAY + timedelta(hours=11))
    add_slots(engine, "FRPAR1", "remote", DAY + timedelta(hours=9), DAY + timedelta(hours=10))
    on_site, later_on_site = free_slots(engine, "FRPAR1", "on_site", after=NOW)["slot_id"]
    (remote_slot,) = free_slots(engine, "FRPAR1", "remote", after=NOW)["slot_id"]
    refused = [
        (physical, remote_slot, NOW, "a physical inspection: it needs a slot of mode on_site, slot .* is remote"),
        (remote, on_site, NOW, "a remote inspection: it needs a slot of mode remote"),
        (documentary, on_site, NOW, "documentary control: it needs no slot"),
        (elsewhere, on_site, NOW, "is at office FRPAR1, task .* at FRLEH1"),
        (physical, on_site, DAY + timedelta(hours=9), "starts at 2025-03-05 09:00: not after 2025-03-05 09:00"),
        (physical, 999, NOW, "no slot 999"),
    ]
    for task_id, slot_id, at, message in refused:
        before = state_of(engine, task_id)
        with pytest.raises((BookingError, NotFoundError), match=message):
            book(engine, task_id, slot_id, booked_by="trader", at=at)
        assert state_of(engine, task_id) == before
    book(engine, remote, remote_slot, booked_by="trader", at=NOW)
    book(engine, physical, on_site, booked_by="trader", at=NOW)
    with pytest.raises(BookingError, match=f"task {physical} is already booked \\(slot {on_site}\\)"):
        book(engine, physical, later_on_site, booked_by="trader", at=NOW)
    transition(engine, physical, "in_progress", actor="FRPAR1-0", expected_version=3, at=DAY + timedelta(hours=9))
    with pytest.raises(BookingError, match="is in_progress: only an assigned task can be booked"):
        book(engine, physical, later_on_site, booked_by="trader", at=DAY + timedelta(hours=9))
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(bookings)).scalar_one() == 2


def test_a_cancelled_booking_frees_its_place_and_the_task_can_book_another(engine, tmp_path):
    first, second = tasks_at(engine, tmp_path, ["red", "red"])
    add_slots(engine, "FRPAR1", "on_site", DAY + timedelta(hours=9), DAY + timedelta(hours=11), capacity=1)
    nine, ten = free_slots(engine, "FRPAR1", "on_site", after=NOW)["slot_id"]
    book(engine, first, nine, booked_by="trader", at=NOW)
    assert free_slots(engine, "FRPAR1", "on_site", after=NOW)["slot_id"].tolist() == [ten]

    cancel_booking(engine, first, cancelled_by="trader", at=NOW + timedelta(hours=1))
    assert state_of(engine, first) == ("assigned", 4, 4) and booking_of(engine, first) is None
    last = task_history(engine, first).iloc[-1]
    assert (last["from_state"], last["to_state"], last["actor"]) == ("scheduled", "assigned", "trader")
    assert last["note"] == f"booking of slot {nine} at 2025-03-05 09:00 cancelled"
    assert free_slots(engine, "FRPAR1", "on_site", after=NOW)["slot_id"].tolist() == [nine, ten]
    book(engine, second, nine, booked_by="trader", at=NOW + timedelta(hours=1))  # the freed place
    book(engine, first, ten, booked_by="trader", at=NOW + timedelta(hours=1))
    assert booking_of(engine, first)["slot_id"] == ten and state_of(engine, first)[0] == "scheduled"


def test_cancellations_the_rules_refuse_leave_the_booking_as_it_was(engine, tmp_path):
    booked, unbooked = tasks_at(engine, tmp_path, ["red", "red"])
    add_slots(engine, "FRPAR1", "on_site", DAY + timedelta(hours=9), DAY + timedelta(hours=10))
    (slot_id,) = free_slots(engine, "FRPAR1", "on_site", after=NOW)["slot_id"]
    book(engine, booked, slot_id, booked_by="trader", at=NOW)
    refused = [
        (unbooked, "trader", NOW, f"task {unbooked} is assigned: only a booked \\(scheduled\\) inspection"),
        (booked, "trader", DAY + timedelta(hours=9), f"cannot be cancelled: its slot {slot_id} started at "
                                                     "2025-03-05 09:00"),
        (booked, " ", NOW, "who cancels must be named"),
        (999, "trader", NOW, "no inspection task 999"),
    ]
    for task_id, who, at, message in refused:
        before = state_of(engine, task_id) if task_id != 999 else None
        with pytest.raises((BookingError, NotFoundError), match=message):
            cancel_booking(engine, task_id, cancelled_by=who, at=at)
        if before:
            assert state_of(engine, task_id) == before
    assert booking_of(engine, booked)["slot_id"] == slot_id
    with pytest.raises(TransitionError, match="its booking must be cancelled before it is reassigned"):
        assign(engine, booked, actor="supervisor", at=NOW)
    assert state_of(engine, booked) == ("scheduled", 3, 3)


def test_a_created_task_cannot_be_booked(engine, tmp_path):
    ids = ["C0"]
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([item_row(d) for d in ids]))
    import_file(engine, path)
    record_assessment(engine, pd.DataFrame({"declaration_id": ids, "lane": "red", "source": "screen",
                                            "random": False, "risk_score": 1.0, "duty_at_risk": 1.0,
                                            "explanation": "{}"}), PROVENANCE, actor="batch")
    open_controls(engine, lane_time="lodged")
    add_slots(engine, "FRPAR1", "on_site", DAY, DAY + timedelta(hours=1))
    with pytest.raises(BookingError, match="is created: only an assigned task can be booked"):
        book(engine, 1, 1, booked_by="trader", at=NOW)
    assert get_task(engine, 1).state == "created"


def test_two_bookings_racing_for_the_last_place_cannot_both_win(engine, tmp_path):
    tasks = tasks_at(engine, tmp_path, ["red"] * 4)
    add_slots(engine, "FRPAR1", "on_site", DAY + timedelta(hours=9), DAY + timedelta(hours=10), capacity=2)
    (slot_id,) = free_slots(engine, "FRPAR1", "on_site", after=NOW)["slot_id"]
    barrier, results = threading.Barrier(len(tasks)), {}

    def try_booking(task_id: int) -> None:
        barrier.wait()
        try:
            results[task_id] = book(engine, task_id, slot_id, booked_by="trader", at=NOW)
        except BookingError as exc:
            results[task_id] = exc

    threads = [threading.Thread(target=try_booking, args=(task_id,)) for task_id in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [task_id for task_id, r in results.items() if not isinstance(r, BookingError)]
    assert len(won) == 2 and all("is full" in str(results[t]) for t in tasks if t not in won)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(bookings)).scalar_one() == 2
    assert sorted(get_task(engine, t).state for t in tasks) == ["assigned", "assigned", "scheduled", "scheduled"]
