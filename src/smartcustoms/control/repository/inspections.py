"""Inspection tasks' SQL (see control.inspections and the service's use cases): opened from red and yellow decisions,
assigned to officers, moved through the state machine (``workflow.TRANSITIONS``) and completed with one outcome; plus
the clearance times. Given a Connection, never commits.

Every change of a task updates the row only if its version is the one the caller read (optimistic locking: two
officers completing the same task at once, one wins, the other gets ConflictError) and writes one row of the
append-only ``task_events``. Times are naive UTC; ``at`` replays work in simulated time.
"""

import json
from collections.abc import Collection
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, bindparam, func, insert, literal, select, update

from smartcustoms.control import workflow
from smartcustoms.control.inspections import CHUNK, DUE, OFFICER_MODES, SYSTEM, Task, named_actor
from smartcustoms.control.tables import clearance, officers, outcomes, task_events, tasks
from smartcustoms.control.workflow import (
    AssignmentError,
    ConflictError,
    ControlError,
    NotFoundError,
    TransitionError,
)
from smartcustoms.declarations.tables import declarations
from smartcustoms.risk.repository import decisions, latest_decisions
from smartcustoms.store.db import bulk_insert, insert_rows, moment


def _task(row) -> Task:
    values = dict(row._mapping)
    values["reasons"] = tuple(json.loads(values["reasons"]))
    values["checklist"] = tuple(json.loads(values["checklist"]))
    return Task(**values)


def load_task(conn: Connection, task_id: int, *, for_update: bool = False) -> Task:
    query = select(tasks).where(tasks.c.task_id == task_id)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFoundError(f"no inspection task {task_id}")
    return _task(row)


def move(conn: Connection, task: Task, to_state: str, *, actor: str, expected_version: int, at: datetime,
         note: str | None = None, **values) -> int:
    """Check and apply one transition inside the caller's transaction: the row changes only if it still has
    `expected_version`; one event is written. Returns the new version."""
    if task.version != expected_version:
        raise ConflictError(f"task {task.task_id} was changed by someone else (version {task.version}, you had "
                            f"{expected_version}); reload it")
    workflow.check_transition(task.state, to_state, task_id=task.task_id, mode=values.get("mode", task.mode))
    if at < task.updated_at:
        raise ControlError(f"task {task.task_id} was last changed at {task.updated_at:%Y-%m-%d %H:%M:%S}: a change "
                           f"at {at:%Y-%m-%d %H:%M:%S} would precede it")
    changed = conn.execute(
        update(tasks).where(tasks.c.task_id == task.task_id, tasks.c.version == expected_version)
        .values(state=to_state, version=expected_version + 1, updated_at=at, **values)
    ).rowcount
    if changed != 1:
        now = conn.execute(select(tasks.c.version).where(tasks.c.task_id == task.task_id)).scalar_one()
        raise ConflictError(f"task {task.task_id} was changed by someone else (version {now}, you had "
                            f"{expected_version}); reload it")
    conn.execute(insert(task_events).values(task_id=task.task_id, from_state=task.state, to_state=to_state,
                                            actor=actor, at=at, note=note))
    return expected_version + 1


# --- officers ---------------------------------------------------------------------------------------------------


def add_officers(conn: Connection, frame: pd.DataFrame) -> int:
    """Add officers (columns officer_id, name, office_id, modes as a list or comma-separated text of
    physical, documentary, remote, audit; optional active). An officer already there is refused."""
    missing = [c for c in ("officer_id", "name", "office_id", "modes") if c not in frame.columns]
    if missing:
        raise ControlError(f"officers need the column(s) {missing}")
    rows = []
    for record in frame.to_dict("records"):
        modes = record["modes"]
        modes = [m.strip() for m in (modes.split(",") if isinstance(modes, str) else modes) if m.strip()]
        wrong = [m for m in modes if m not in OFFICER_MODES]
        if not modes or wrong:
            raise ControlError(f"officer {record['officer_id']}: modes must be some of {', '.join(OFFICER_MODES)}, "
                               f"got {record['modes']!r}")
        if not str(record["officer_id"]).strip() or not str(record["office_id"]).strip():
            raise ControlError(f"an officer needs an ID and an office: {record}")
        active = record.get("active", True)
        rows.append({"officer_id": str(record["officer_id"]).strip(), "name": str(record["name"]).strip(),
                     "office_id": str(record["office_id"]).strip(), "modes": ",".join(dict.fromkeys(modes)),
                     "active": True if active is None or active != active else bool(active)})
    ids = [row["officer_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise ControlError(f"officer IDs given twice: {sorted({i for i in ids if ids.count(i) > 1})}")
    known = set(conn.execute(select(officers.c.officer_id).where(officers.c.officer_id.in_(ids))).scalars())
    if known:
        raise ControlError(f"officer(s) already there: {sorted(known)}")
    if rows:
        conn.execute(insert(officers), rows)
    return len(rows)


def _workload(office_id: str | None):
    query = (
        select(officers, func.count(tasks.c.task_id).label("open_tasks"))
        .outerjoin(tasks, and_(tasks.c.officer_id == officers.c.officer_id, tasks.c.state.in_(workflow.OPEN_STATES)))
        .group_by(*officers.c).order_by(officers.c.officer_id)
    )
    return query if office_id is None else query.where(officers.c.office_id == office_id)


def officer_frame(conn: Connection, office_id: str | None = None) -> pd.DataFrame:
    """Officers with their open tasks (assigned, scheduled, in progress)."""
    return pd.DataFrame(conn.execute(_workload(office_id)).mappings().all(),
                        columns=[*officers.c.keys(), "open_tasks"])


def _candidates(conn: Connection, office_id: str, mode: str) -> pd.DataFrame:
    """The active officers of the office who do `mode`, with their open tasks."""
    rows = [(row.officer_id, row.open_tasks) for row in conn.execute(_workload(office_id))
            if row.active and mode in row.modes.split(",")]
    return pd.DataFrame(rows, columns=["officer_id", "open_tasks"])


# --- opening controls -------------------------------------------------------------------------------------------


def open_chain(conn: Connection, declaration_ids: Collection[str], *, lane_time: str = "assessed",
               remote_offices: Collection[str] = (), due: dict[str, timedelta] | None = None,
               at: datetime | None = None) -> dict[str, int]:
    """``open_controls`` for the given declarations inside the caller's transaction: the transaction that
    records their decisions opens their control chain too (a decision and its control chain are one fact). Plain
    rows, no DataFrame, the inserts batched (one per table); it reads back what it needs (the latest decisions,
    the declarations, what is open already): declarations that the same transaction stored take
    open_stored_here instead."""
    check_lane_time(lane_time)
    ids = list(dict.fromkeys(declaration_ids))
    counts = {"tasks": 0, "clearance": 0, "released": 0, "held": 0, "skipped": 0}
    for start in range(0, len(ids), CHUNK):  # a batch assessment: IN lists of a bounded size
        done = _open_rows(conn, ids[start:start + CHUNK], lane_time, set(remote_offices), {**DUE, **(due or {})},
                          None if at is None else moment(at))
        counts = {key: counts[key] + value for key, value in done.items()}
    return counts


_CLEARANCE_COLUMNS = ["declaration_id", "office_id", "lane", "lodged_at", "lane_at", "released_at", "status"]
_TASK_COLUMNS = ["declaration_id", "decision_id", "office_id", "lane", "mode", "state", "source", "reasons",
                 "checklist", "created_at", "due_at", "updated_at", "version"]


def _open_rows(conn: Connection, ids: list[str], lane_time: str, remote_offices: set, delays: dict,
               at: datetime | None) -> dict[str, int]:
    """open_chain for up to CHUNK declarations: the same rows as _plan and write_chain, built from plain rows."""
    decided = latest_decisions(conn, ids=ids, by_declaration=True)
    counts = {"tasks": 0, "clearance": 0, "released": 0, "held": 0, "skipped": 0}
    if not decided:
        return counts
    lodged = {row.declaration_id: row for row in conn.execute(
        select(declarations.c.declaration_id, declarations.c.office_id, declarations.c.acceptance_datetime)
        .where(declarations.c.declaration_id.in_(list(decided))))}
    with_task, cleared = _opened(conn, list(decided))
    clear_rows, task_rows = [], []
    for key, decision in decided.items():
        found = lodged.get(key)
        if found is None:
            counts["skipped"] += 1
            continue
        lane = decision["final_lane"]
        lane_at = (found.acceptance_datetime + timedelta(seconds=1) if lane_time == "lodged"
                   else decision["assessed_at"])
        controlled = lane in ("red", "yellow")
        if key not in cleared:
            clear_rows.append((key, found.office_id, lane, found.acceptance_datetime, lane_at,
                               None if controlled else lane_at, "held" if controlled else "released"))
            counts["held" if controlled else "released"] += 1
        if controlled and key not in with_task:
            explanation = json.loads(decision["explanation"] or "{}")
            mode = workflow.mode_for(lane, explanation, remote_allowed=found.office_id in remote_offices)
            override = decision["override_reason"]
            created = at if at is not None else lane_at
            source = decision["source"] if decision["source"] in ("profile", "screen", "model", "random") \
                else "override"
            task_rows.append((key, decision["decision_id"], found.office_id, lane, mode, "created", source,
                              json.dumps(workflow.reasons(explanation, override if isinstance(override, str) else None),
                                         ensure_ascii=False),
                              json.dumps(workflow.checklist(explanation), ensure_ascii=False),
                              created, lane_at + delays[mode], created, 1))
    insert_rows(conn, clearance, _CLEARANCE_COLUMNS, clear_rows)
    if task_rows:
        insert_rows(conn, tasks, _TASK_COLUMNS, task_rows)
        born = conn.execute(select(tasks.c.task_id, tasks.c.created_at).where(
            tasks.c.declaration_id.in_([row[0] for row in task_rows]),
            ~select(task_events.c.event_id).where(task_events.c.task_id == tasks.c.task_id).exists())).all()
        conn.execute(insert(task_events), [
            {"task_id": task_id, "from_state": None, "to_state": "created", "actor": SYSTEM, "at": created,
             "note": None} for task_id, created in born])
    counts["clearance"], counts["tasks"] = len(clear_rows), len(task_rows)
    return counts


_DECISION_IDS = (select(decisions.c.declaration_id, decisions.c.decision_id)
                 .where(decisions.c.assessment_id == bindparam("assessment_id")).order_by(decisions.c.decision_id))
_CREATED_EVENTS = insert(task_events).from_select(  # the "created" event of each new task, stamped at its creation
    ["task_id", "to_state", "actor", "at"],
    select(tasks.c.task_id, literal("created"), literal(SYSTEM), tasks.c.created_at)
    .where(tasks.c.declaration_id.in_(bindparam("ids", expanding=True))).order_by(tasks.c.task_id))


def open_stored_here(conn: Connection, decided: list[tuple], lodged: dict[str, tuple], assessment_id: int,
                     assessed_at: datetime, *, lane_time: str = "assessed", remote_offices: Collection[str] = (),
                     due: dict[str, timedelta] | None = None, at: datetime | None = None) -> dict[str, int]:
    """open_chain for the decisions of assessment `assessment_id` (recorded at `assessed_at`; `decided`: tuples
    declaration ID, lane, source, explanation, in the order recorded) on declarations stored by this same
    transaction (`lodged`: ID -> office ID, acceptance time, as stored): such a declaration has no other
    decision, no override, no clearance row and no task yet (no other transaction sees it), so the same rows as
    open_chain's are built from what is at hand rather than read back (a lodging batch; issue 14)."""
    check_lane_time(lane_time)
    delays, remote_offices = {**DUE, **(due or {})}, set(remote_offices)
    at = None if at is None else moment(at)
    latest = {row[0]: row for row in decided}  # the newest decision of a declaration, as latest_decisions's
    if any(lane in ("red", "yellow") for _, lane, _, _ in latest.values()):
        decision_ids = dict(conn.execute(_DECISION_IDS, {"assessment_id": assessment_id}).all())
    clear_rows, task_rows = [], []
    for key, (_, lane, source, explanation) in latest.items():
        office_id, lodged_at = lodged[key]
        lane_at = lodged_at + timedelta(seconds=1) if lane_time == "lodged" else assessed_at
        controlled = lane in ("red", "yellow")
        clear_rows.append((key, office_id, lane, lodged_at, lane_at, None if controlled else lane_at,
                           "held" if controlled else "released"))
        if controlled:
            explanation = json.loads(explanation or "{}")
            mode = workflow.mode_for(lane, explanation, remote_allowed=office_id in remote_offices)
            created = at if at is not None else lane_at
            task_rows.append((key, decision_ids[key], office_id, lane, mode, "created",
                              source if source in ("profile", "screen", "model", "random") else "override",
                              json.dumps(workflow.reasons(explanation, None), ensure_ascii=False),
                              json.dumps(workflow.checklist(explanation), ensure_ascii=False),
                              created, lane_at + delays[mode], created, 1))
    insert_rows(conn, clearance, _CLEARANCE_COLUMNS, clear_rows)
    if task_rows:
        insert_rows(conn, tasks, _TASK_COLUMNS, task_rows)
        conn.execute(_CREATED_EVENTS, {"ids": [row[0] for row in task_rows]})
    return {"tasks": len(task_rows), "clearance": len(clear_rows), "released": len(clear_rows) - len(task_rows),
            "held": len(task_rows), "skipped": 0}


def unopened(conn: Connection) -> list[str]:
    """The stored declarations with a decision and no clearance row yet (their control chain is not open)."""
    query = (select(decisions.c.declaration_id).distinct()
             .where(decisions.c.declaration_id.in_(select(declarations.c.declaration_id)))
             .where(~select(clearance.c.declaration_id).where(clearance.c.declaration_id == decisions.c.declaration_id)
                    .exists())
             .order_by(decisions.c.declaration_id))
    return list(conn.execute(query).scalars())


def check_lane_time(lane_time: str) -> None:
    if lane_time not in ("assessed", "lodged"):
        raise ControlError(f"lane_time must be 'assessed' or 'lodged', got {lane_time!r}")


def _only(query, column, ids):
    return query if ids is None else query.where(column.in_(ids))


def _opened(conn: Connection, ids) -> tuple[set, set]:
    """The declarations (of `ids`, or all) with a task, and with a clearance row."""
    return (set(conn.execute(_only(select(tasks.c.declaration_id), tasks.c.declaration_id, ids)).scalars()),
            set(conn.execute(_only(select(clearance.c.declaration_id), clearance.c.declaration_id, ids)).scalars()))


def plan_chain(conn: Connection, ids: list[str] | None, lane_time: str, remote_offices: Collection[str],
          due: dict[str, timedelta] | None, at: datetime | None):
    """The clearance rows and task rows to write, and the declarations skipped (not stored); None when nothing
    is decided, the skipped count alone when nothing decided is stored."""
    delays = {**DUE, **(due or {})}
    remote_offices = set(remote_offices)
    decided = latest_decisions(conn, ids=ids)
    if decided.empty:
        return None
    lodged_query = select(declarations.c.declaration_id, declarations.c.office_id, declarations.c.acceptance_datetime)
    lodged_query = (lodged_query.where(declarations.c.declaration_id.in_(select(decisions.c.declaration_id).distinct()))
                    if ids is None else lodged_query.where(declarations.c.declaration_id.in_(ids)))
    lodged = pd.DataFrame(conn.execute(lodged_query).all(), columns=["declaration_id", "office_id", "lodged_at"])
    with_task, cleared = _opened(conn, ids)
    frame = decided.merge(lodged, on="declaration_id", how="left")
    skipped = int(frame["lodged_at"].isna().sum())
    frame = frame[frame["lodged_at"].notna()].copy()
    if frame.empty:
        return skipped
    frame["lodged_at"] = pd.to_datetime(frame["lodged_at"])
    frame["lane_at"] = (frame["lodged_at"] + pd.Timedelta(seconds=1) if lane_time == "lodged"
                        else pd.to_datetime(frame["assessed_at"]))
    controlled = frame["final_lane"].isin(["red", "yellow"])

    new_clear = frame[~frame["declaration_id"].isin(cleared)]
    released = ~new_clear["final_lane"].isin(["red", "yellow"])
    clear_rows = pd.DataFrame({
        "declaration_id": new_clear["declaration_id"], "office_id": new_clear["office_id"],
        "lane": new_clear["final_lane"], "lodged_at": new_clear["lodged_at"], "lane_at": new_clear["lane_at"],
        "released_at": new_clear["lane_at"].where(released), "status": np.where(released, "released", "held"),
    })

    fresh = frame[controlled & ~frame["declaration_id"].isin(with_task)]
    rows = []
    for row in fresh.to_dict("records"):
        explanation = json.loads(row["explanation"] or "{}")
        mode = workflow.mode_for(row["final_lane"], explanation,
                                 remote_allowed=row["office_id"] in remote_offices)
        override = row.get("override_reason")
        created = moment(at) if at is not None else row["lane_at"].to_pydatetime()
        source = row["source"] if row["source"] in ("profile", "screen", "model", "random") else "override"
        rows.append({
            "declaration_id": row["declaration_id"], "decision_id": int(row["decision_id"]),
            "office_id": row["office_id"], "lane": row["final_lane"], "mode": mode, "state": "created",
            "source": source,
            "reasons": json.dumps(workflow.reasons(explanation, override if isinstance(override, str) else None),
                                  ensure_ascii=False),
            "checklist": json.dumps(workflow.checklist(explanation), ensure_ascii=False),
            "created_at": created, "due_at": row["lane_at"].to_pydatetime() + delays[mode],
            "updated_at": created, "version": 1,
        })
    return clear_rows, rows, skipped


def write_chain(conn: Connection, ids: list[str] | None, clear_rows: pd.DataFrame, rows: list[dict],
                 skipped: int, *, checked: bool = False) -> dict[str, int]:
    """Write the planned rows in the caller's transaction (batched inserts), leaving out what was opened
    meanwhile (not looked at again when the plan was made in this same transaction: `checked`)."""
    if not checked:
        with_task, cleared = _opened(conn, ids)
        clear_rows = clear_rows[~clear_rows["declaration_id"].isin(cleared)]
        rows = [row for row in rows if row["declaration_id"] not in with_task]
    bulk_insert(conn, clearance, clear_rows)
    if rows:
        bulk_insert(conn, tasks, pd.DataFrame(rows))
        born = conn.execute(select(tasks.c.task_id, tasks.c.created_at).where(
            tasks.c.declaration_id.in_([row["declaration_id"] for row in rows]),
            ~select(task_events.c.event_id).where(task_events.c.task_id == tasks.c.task_id).exists())).all()
        conn.execute(insert(task_events), [
            {"task_id": task_id, "from_state": None, "to_state": "created", "actor": SYSTEM, "at": created,
             "note": None} for task_id, created in born])
    return chain_counts(clear_rows, rows, skipped)


def chain_counts(clear_rows: pd.DataFrame, rows: list, skipped: int) -> dict[str, int]:
    released = int((clear_rows["status"] == "released").sum())
    return {"tasks": len(rows), "clearance": len(clear_rows), "released": released,
            "held": len(clear_rows) - released, "skipped": skipped}


# --- assignment -------------------------------------------------------------------------------------------------


def assign_task(conn: Connection, task: Task, *, actor: str, rng, at: datetime) -> str:
    workflow.check_transition(task.state, "assigned", task_id=task.task_id)
    if task.state == "scheduled":
        raise TransitionError(f"task {task.task_id} is booked: its booking must be cancelled before it is "
                              "reassigned")
    candidates = _candidates(conn, task.office_id, task.mode)
    if task.state == "assigned":  # a reassignment goes to someone else
        candidates = candidates[candidates["officer_id"] != task.officer_id]
    if candidates.empty:
        other = "other " if task.state == "assigned" else ""
        raise AssignmentError(f"task {task.task_id}: no {other}active officer of office {task.office_id} does "
                              f"{task.mode} inspections")
    officer_id = workflow.pick_officer(candidates, rng)
    move(conn, task, "assigned", actor=actor, expected_version=task.version, at=at, officer_id=officer_id,
         note=f"officer {officer_id}" + (f" (was {task.officer_id})" if task.officer_id else ""))
    return officer_id


def assign(conn: Connection, task_id: int, *, actor: str, rng: int | np.random.Generator | None = None,
           at: datetime | None = None) -> str:
    """Assign a created task (or reassign an assigned one) to an officer drawn among the active officers of its
    office qualified for its mode, with the least workload (workflow.pick_officer). Returns the officer ID."""
    actor, at = named_actor(actor), moment(at)
    return assign_task(conn, load_task(conn, task_id), actor=actor, rng=np.random.default_rng(rng), at=at)


def created_tasks(conn: Connection, office_id: str | None = None) -> list[int]:
    """The created tasks (optionally of one office), most urgent first."""
    query = select(tasks.c.task_id).where(tasks.c.state == "created").order_by(tasks.c.due_at, tasks.c.task_id)
    if office_id is not None:
        query = query.where(tasks.c.office_id == office_id)
    return list(conn.execute(query).scalars())


def officer_queue(conn: Connection, officer_id: str) -> tuple[Task | None, list[int]]:
    """The officer's assigned desk check due first (a physical or remote inspection waits for the trader to book a
    slot), and the created tasks of their office they are qualified for, due first (20 at most)."""
    officer = conn.execute(select(officers).where(officers.c.officer_id == officer_id)).first()
    if officer is None:
        raise NotFoundError(f"no officer {officer_id}")
    if not officer.active:
        raise ControlError(f"officer {officer_id} is not active")
    own = conn.execute(select(tasks).where(tasks.c.officer_id == officer_id, tasks.c.state == "assigned",
                                           tasks.c.mode == "documentary")  # the others wait for the trader
                       .order_by(tasks.c.due_at, tasks.c.task_id).limit(1)).first()
    if own is not None:
        return _task(own), []
    pool = conn.execute(select(tasks.c.task_id).where(
        tasks.c.office_id == officer.office_id, tasks.c.state == "created",
        tasks.c.mode.in_(officer.modes.split(","))).order_by(tasks.c.due_at, tasks.c.task_id).limit(20)).scalars()
    return None, list(pool)


# --- transitions ------------------------------------------------------------------------------------------------

_DEDICATED = {"assigned": "assign()", "scheduled": "scheduling.book()", "completed": "complete()"}


def transition(conn: Connection, task_id: int, to_state: str, *, actor: str, expected_version: int,
               at: datetime | None = None, note: str | None = None) -> int:
    """Move a task to `to_state` if the state machine allows it and nobody changed it since `expected_version`.
    Assigning, booking and completing have their own functions (they record more than the state); released,
    detained and seized also update the clearance row. Returns the new version."""
    actor, at = named_actor(actor), moment(at)
    task = load_task(conn, task_id)
    if task.version == expected_version:
        workflow.check_transition(task.state, to_state, task_id=task_id, mode=task.mode)
    if to_state in _DEDICATED:
        raise TransitionError(f"task {task_id}: use {_DEDICATED[to_state]} to move it to {to_state}")
    version = move(conn, task, to_state, actor=actor, expected_version=expected_version, at=at, note=note)
    if to_state in ("released", "detained", "seized"):
        # goods already released (promise-based release: documents verified after release) keep their
        # release; the verification's finding is the outcome, not a new clearance time
        conn.execute(update(clearance).where(clearance.c.declaration_id == task.declaration_id,
                                             clearance.c.released_at.is_(None)).values(
            status=to_state, released_at=at if to_state == "released" else None))
    return version


def change_mode(conn: Connection, task_id: int, mode: str, *, actor: str, expected_version: int,
                at: datetime | None = None, note: str | None = None) -> int:
    """Switch a task between physical and remote inspection before it is scheduled (the trader asked for a remote
    inspection, or the officer wants to see the goods). Logged as an event that keeps the state."""
    actor, at = named_actor(actor), moment(at)
    if mode not in ("physical", "remote"):
        raise ControlError(f"a task can switch between physical and remote only, not to {mode!r}")
    task = load_task(conn, task_id)
    if task.version != expected_version:
        raise ConflictError(f"task {task_id} was changed by someone else (version {task.version}, you had "
                            f"{expected_version}); reload it")
    if task.mode not in ("physical", "remote") or task.state not in ("created", "assigned"):
        raise ControlError(f"task {task_id} is a {task.state} {task.mode} control: only a created or assigned "
                           "physical or remote inspection can switch")
    if task.mode == mode:
        return task.version
    if task.officer_id is not None and mode not in _officer_modes(conn, task.officer_id):
        raise ControlError(f"task {task_id}: officer {task.officer_id} does no {mode} inspections; reassign "
                           "it first")
    if at < task.updated_at:
        raise ControlError(f"task {task_id} was last changed at {task.updated_at:%Y-%m-%d %H:%M:%S}")
    changed = conn.execute(update(tasks).where(tasks.c.task_id == task_id, tasks.c.version == expected_version)
                           .values(mode=mode, version=expected_version + 1, updated_at=at)).rowcount
    if changed != 1:
        raise ConflictError(f"task {task_id} was changed by someone else; reload it")
    conn.execute(insert(task_events).values(task_id=task_id, from_state=task.state, to_state=task.state,
                                            actor=actor, at=at,
                                            note=f"mode {task.mode} -> {mode}" + (f": {note}" if note else "")))
    return expected_version + 1


def _officer_modes(conn: Connection, officer_id: str) -> list[str]:
    modes = conn.execute(select(officers.c.modes).where(officers.c.officer_id == officer_id)).scalar_one_or_none()
    return (modes or "").split(",")


# --- outcome ----------------------------------------------------------------------------------------------------


def complete(conn: Connection, task_id: int, *, actor: str, expected_version: int, result: str,
             infringements: list[str] | tuple[str, ...] = (), duty_before: float, duty_after: float,
             seized: bool = False, offence_code: str | None = None, penalty: float | None = None,
             note: str | None = None, at: datetime | None = None) -> int:
    """Record the control's outcome and move the task from in_progress to completed, in one transaction.

    The outcome row is the label of the targeting model and the hit of the profiles: control_type is the task's
    mode, selection_reason its source, duty_recovered max(duty_after - duty_before, 0). Returns the outcome ID.
    """
    actor, at = named_actor(actor), moment(at)
    infringements = list(infringements)
    offence_code = (offence_code or "").strip() or None
    workflow.check_outcome(result, infringements, duty_before, duty_after, seized=seized,
                           offence_code=offence_code, penalty=penalty)
    if offence_code and len(offence_code) > 20:
        raise ControlError(f"an offence code has at most 20 characters, got {offence_code!r}",
                           code="offence_code_too_long", field="offence_code")
    task = load_task(conn, task_id)
    move(conn, task, "completed", actor=actor, expected_version=expected_version, at=at, note=note)
    return conn.execute(insert(outcomes).values(
        declaration_id=task.declaration_id, inspection_date=datetime.combine(at.date(), datetime.min.time()),
        control_type=task.mode, selection_reason=task.source, result=result,
        infringement=",".join(kind for kind in workflow.INFRINGEMENTS if kind in infringements),
        duty_recovered=round(max(duty_after - duty_before, 0.0), 2), task_id=task_id, officer=actor,
        duty_before=duty_before, duty_after=duty_after, penalty=penalty, seized=bool(seized),
        offence_code=offence_code, recorded_at=at,
    ).returning(outcomes.c.outcome_id)).scalar_one()


# --- reading ----------------------------------------------------------------------------------------------------


def task_frame(conn: Connection, office_id: str | None = None, state: str | None = None,
               officer_id: str | None = None) -> pd.DataFrame:
    """Tasks (reasons and checklist as lists), most urgent first."""
    query = select(tasks).order_by(tasks.c.due_at, tasks.c.task_id)
    for column, value in ((tasks.c.office_id, office_id), (tasks.c.state, state), (tasks.c.officer_id, officer_id)):
        if value is not None:
            query = query.where(column == value)
    frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=tasks.c.keys())
    for column in ("reasons", "checklist"):
        frame[column] = frame[column].map(json.loads)
    return frame


def task_history(conn: Connection, task_id: int) -> pd.DataFrame:
    """The task's events, oldest first: from_state, to_state, actor, at, note."""
    load_task(conn, task_id)
    rows = conn.execute(select(task_events).where(task_events.c.task_id == task_id)
                        .order_by(task_events.c.event_id)).mappings().all()
    return pd.DataFrame(rows, columns=task_events.c.keys())


def clearance_frame(conn: Connection, office_id: str | None = None) -> pd.DataFrame:
    """The clearance rows: lodged, lane given, released (None while held) and status, per declaration."""
    query = select(clearance).order_by(clearance.c.lodged_at, clearance.c.declaration_id)
    if office_id is not None:
        query = query.where(clearance.c.office_id == office_id)
    return pd.DataFrame(conn.execute(query).mappings().all(), columns=clearance.c.keys())
