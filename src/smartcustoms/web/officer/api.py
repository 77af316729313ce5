"""/api/v1/tasks, /api/v1/outcomes and /api/v1/decisions/{id}/override: the control chain for systems and
scripts (JSON; an API token, or a session with its X-CSRF-Token).

Roles: tasks: officer (its offices' tasks; works those locked to it), supervisor and admin (every task); taking the
next task: officer only; outcomes: officer (its offices), analyst, supervisor, admin; overriding a lane: officer (its
offices), supervisor, admin. A task, outcome or decision of another office answers 404, as if it did not exist.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from smartcustoms.accounts.service import User
from smartcustoms.control import service as chain
from smartcustoms.control.service import ConflictError, ControlError, NotFoundError, OutcomeError, TransitionError
from smartcustoms.risk import service as audit
from smartcustoms.store.db import moment
from smartcustoms.web.deps import Db, require
from smartcustoms.web.errors import Conflict, Forbidden, Invalid, NotFound
from smartcustoms.web.officer.presenters import (
    CONSOLE_ROLES,
    ID_PATTERN,
    MAX_ID,
    OUTCOME_ROLES,
    OVERRIDE_ROLES,
    STATE_FILTERS,
    NextIn,
    OutcomeIn,
    OverrideIn,
    ReleaseIn,
    StartIn,
    acting_as,
    history,
    officer_records,
    outcome_rows,
    overrider,
    queue,
    take_next,
    task_dict,
    visible_decision,
    visible_task,
)
from smartcustoms.web.schemas import ERRORS
from smartcustoms.web.words import refusal

router = APIRouter(prefix="/api/v1", tags=["control"], responses=ERRORS)
Console = Annotated[User, require(*CONSOLE_ROLES)]
Officer = Annotated[User, require("officer")]
OutcomeReader = Annotated[User, require(*OUTCOME_ROLES)]
Overrider = Annotated[User, require(*OVERRIDE_ROLES)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]


class TaskOut(BaseModel):
    task_id: int
    declaration_id: str
    decision_id: int | None
    office_id: str
    lane: str
    mode: str = Field(description="physical | documentary | remote")
    state: str = Field(description="created | assigned | scheduled | in_progress | completed | released | detained "
                                   "| seized")
    officer_id: str | None = Field(description="the officer record the task is locked to")
    source: str = Field(description="what selected it: profile | screen | model | random | override")
    reasons: list[str] = Field(description="why it was selected, in words")
    checklist: list[str]
    created_at: datetime
    due_at: datetime
    updated_at: datetime
    version: int = Field(description="send it back as expected_version to change the task")
    overdue: bool = Field(description="still to do and past its due time")


class TaskList(BaseModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int


class TaskEvent(BaseModel):
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    note: str | None


class OutcomeOut(BaseModel):
    outcome_id: int
    declaration_id: str
    task_id: int | None
    case_id: int | None
    inspection_date: datetime
    control_type: str
    selection_reason: str
    result: str = Field(description="discrepancy | no_discrepancy")
    infringements: list[str]
    duty_before: float | None
    duty_after: float | None
    duty_recovered: float
    penalty: float | None
    seized: bool
    offence_code: str | None
    officer: str | None
    recorded_at: datetime | None


class OutcomeList(BaseModel):
    items: list[OutcomeOut]
    total: int
    limit: int
    offset: int


class TaskDetail(TaskOut):
    history: list[TaskEvent]
    outcomes: list[OutcomeOut]
    may_work: bool = Field(description="whether the caller may change the task (it is locked to the caller, or "
                                       "the caller is a supervisor or admin)")


class Completed(BaseModel):
    task: TaskOut
    outcome_id: int


class Overridden(BaseModel):
    override_id: int
    decision_id: int
    declaration_id: str
    lane: str
    previous_lane: str


def control(action: Callable):
    """Run a step of the control chain; its refusals become the API's errors (404, 409, 422)."""
    try:
        return action()
    except NotFoundError as exc:
        raise NotFound(str(exc)) from exc
    except OutcomeError as exc:
        field, _ = refusal(exc)
        loc = ["body"] if field == "form" else ["body", field]
        raise Invalid([{"loc": loc, "msg": str(exc), "type": "outcome"}]) from exc
    except (ConflictError, TransitionError) as exc:
        raise Conflict(str(exc)) from exc
    except ControlError as exc:
        raise Conflict(str(exc)) from exc


def _task(db, user: User, task_id: int):
    task = visible_task(db, user, task_id)
    if task is None:
        raise NotFound(f"no inspection task {task_id}", loc=["path", "task_id"])
    return task


def _workable(db, user: User, task_id: int):
    """The task and the actor the caller works it as; 404 when not visible, 403 when it is not the caller's."""
    task = _task(db, user, task_id)
    actor = acting_as(user, task, officer_records(db, user, create=True))
    if actor is None:
        holder = f"locked to officer {task.officer_id}" if task.officer_id else "not assigned: take it first"
        raise Forbidden(f"task {task_id} is {holder}")
    return task, actor


@router.get("/tasks", response_model=TaskList)
def list_tasks(user: Console, db: Db,
               office: Annotated[str | None, Query(max_length=20, pattern=ID_PATTERN, description="one office")] = None,
               state: Annotated[Literal[STATE_FILTERS], Query(description="open (not released or seized), all, "
                                                                          "or one state")] = "open",
               lane: Annotated[Literal["red", "yellow"] | None, Query()] = None,
               mine: Annotated[bool, Query(description="only the tasks locked to the caller")] = False,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Offset = 0):
    """Inspection tasks the caller may see, most urgent first: an officer's offices, or every office."""
    records = officer_records(db, user, create=True)
    items, total = queue(db, user, office=office, lane=lane, state=state, who="mine" if mine else "all",
                         records=records, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post("/tasks/next", response_model=TaskOut,
             responses={204: {"description": "nothing to take: the office's queue is empty"}})
def next_task(user: Officer, db: Db, body: NextIn | None = None):
    """Take the next task, as a case queue does: the caller's own assigned task due first, else the office's most
    urgent unassigned task the caller is qualified for, which is locked to the caller. Name the office when the
    caller works at several."""
    try:
        task = take_next(db, user, body.office if body else None)
    except ControlError as exc:
        raise Conflict(str(exc)) from exc
    except ValueError as exc:
        raise Invalid([{"loc": ["body", "office"], "msg": str(exc), "type": "value_error"}]) from exc
    if task is None:
        return Response(status_code=204)
    return task_dict(task)


@router.get("/tasks/{task_id}", response_model=TaskDetail)
def get_task(task_id: PathId, user: Console, db: Db):
    """A task with its reasons, checklist, history (oldest first) and outcome."""
    task = _task(db, user, task_id)
    return {**task_dict(task), "history": history(db, task_id),
            "outcomes": outcome_rows(db, user, task_ids=[task_id]),
            "may_work": acting_as(user, task, officer_records(db, user, create=True)) is not None}


@router.post("/tasks/{task_id}/start", response_model=TaskOut)
def start_task(task_id: PathId, body: StartIn, user: Console, db: Db):
    """Start the control (in_progress): a documentary task once assigned, a physical or remote one once booked."""
    _, actor = _workable(db, user, task_id)
    control(lambda: chain.transition(db, task_id, "in_progress", actor=actor,
                                           expected_version=body.expected_version, note=body.note))
    return task_dict(chain.get_task(db, task_id))


@router.post("/tasks/{task_id}/complete", response_model=Completed)
def complete_task(task_id: PathId, body: OutcomeIn, user: Console, db: Db):
    """Record the outcome and complete the task, in one transaction; a stale expected_version is refused (409) and
    nothing is written."""
    _, actor = _workable(db, user, task_id)
    outcome_id = control(lambda: chain.complete(
        db, task_id, actor=actor, expected_version=body.expected_version, result=body.result,
        infringements=body.infringements, duty_before=body.duty_before, duty_after=body.duty_after,
        seized=body.seized, offence_code=body.offence_code, penalty=body.penalty, note=body.note))
    return {"task": task_dict(chain.get_task(db, task_id)), "outcome_id": outcome_id}


@router.post("/tasks/{task_id}/release", response_model=TaskOut)
def release_task(task_id: PathId, body: ReleaseIn, user: Console, db: Db):
    """End the control: release the goods, detain or seize them (a detained task is released or seized later)."""
    _, actor = _workable(db, user, task_id)
    control(lambda: chain.release(db, task_id, actor=actor, expected_version=body.expected_version,
                                        decision=body.decision, note=body.note))
    return task_dict(chain.get_task(db, task_id))


@router.get("/outcomes", response_model=OutcomeList)
def list_outcomes(user: OutcomeReader, db: Db,
                  declaration_id: Annotated[str | None, Query(max_length=35, pattern=ID_PATTERN)] = None,
                  since: Annotated[datetime | None, Query(description="inspected on or after (UTC)")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Offset = 0):
    """Control outcomes, newest first: an officer's offices', or all of them (analyst, supervisor, admin)."""
    if since is not None and since.tzinfo is not None:
        try:
            since = moment(since)
        except (OverflowError, ValueError) as exc:
            raise Invalid([{"loc": ["query", "since"], "msg": "a time that UTC cannot express", "type": "value_error"}]
                          ) from exc
    items, total = outcome_rows(db, user, declaration_id=declaration_id, since=since, limit=limit, offset=offset,
                                with_total=True)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post("/decisions/{decision_id}/override", response_model=Overridden, status_code=201)
def override_decision(decision_id: PathId, body: OverrideIn, user: Overrider, db: Db):
    """Change a declaration's lane, with the reason: written beside the decision in the append-only audit trail
    (the decision itself stays as it was). Only the declaration's latest decision can be overridden."""
    found = visible_decision(db, user, decision_id)
    if found is None:
        raise NotFound(f"no decision {decision_id}", loc=["path", "decision_id"])
    if found["latest_decision_id"] != decision_id:
        raise Conflict(f"decision {decision_id} was followed by decision {found['latest_decision_id']} of "
                       f"declaration {found['declaration_id']}: override that one")
    if found["final_lane"] == body.lane:
        raise Conflict(f"declaration {found['declaration_id']} is in the {body.lane} lane already")
    officer = overrider(user, found["office_id"], officer_records(db, user, create=True))
    if officer is None:
        raise Forbidden(f"{user.username} may not change lanes at office {found['office_id']}")
    try:
        override_id = audit.override(db, decision_id, body.lane, body.reason, officer)
    except audit.OverrideError as exc:
        field, _ = refusal(exc, "reason")
        raise Invalid([{"loc": ["body", field], "msg": str(exc), "type": "override"}]) from exc
    return {"override_id": override_id, "decision_id": decision_id, "declaration_id": found["declaration_id"],
            "lane": body.lane, "previous_lane": found["final_lane"]}
