"""Inspection slots per office and mode (on site, remote) with a capacity, and the trader's booking of one
(cancelled, while the slot has not started, to book another). The SQL is in ``control.repository.scheduling``,
the use cases in ``control.service``.

A booking moves its task from assigned to scheduled in the same transaction. Two bookings of the last place of a
slot at once cannot both succeed: on PostgreSQL the slot row is locked (SELECT ... FOR UPDATE) before the
bookings are counted; on SQLite the task's update takes the database's write lock before the count.
"""

from smartcustoms.control.workflow import ControlError
from smartcustoms.refusals import Kind


class BookingError(ControlError):
    """A booking the rules refuse: full slot, wrong mode or office, slot past, task not ready or booked."""

    code_default = "booking_refused"
    kind_default = Kind.CONFLICT
