"""Inspection tasks: opened from red and yellow decisions, assigned to officers, moved through the state machine
(``workflow.TRANSITIONS``) and completed with one outcome; plus the clearance times. The task as the use cases
return it and the chain's constants; the SQL is in ``control.repository.inspections``, the use cases (one
transaction each) in ``control.service``.

Every change of a task updates the row only if its version is the one the caller read (optimistic locking: two
officers completing the same task at once, one wins, the other gets ConflictError) and writes one row of the
append-only ``task_events``. Times are naive UTC; ``at`` replays work in simulated time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from smartcustoms.control.modes import MODES
from smartcustoms.control.workflow import ControlError

OFFICER_MODES = (*MODES, "audit")
DUE = {"documentary": timedelta(hours=24), "physical": timedelta(hours=48), "remote": timedelta(hours=24)}
SYSTEM = "system"


@dataclass(frozen=True)
class Task:
    task_id: int
    declaration_id: str
    decision_id: int | None
    office_id: str
    lane: str
    mode: str
    state: str
    officer_id: str | None
    source: str
    reasons: tuple[str, ...]
    checklist: tuple[str, ...]
    created_at: datetime
    due_at: datetime
    updated_at: datetime
    version: int


def named_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise ControlError("the actor must be named (who does it is recorded)")
    return actor


CHUNK = 500  # declarations per transaction (IN lists of a bounded size) when a chain is opened
