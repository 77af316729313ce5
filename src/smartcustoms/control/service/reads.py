"""What the officer console, the staff pages and the trader portal read of the control chain, each read scoped to
what the user may see (its SQL in control.repository.scoped); one transaction each."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, Engine

from smartcustoms.accounts.schemas import User
from smartcustoms.control import repository
from smartcustoms.control.repository import scoped
from smartcustoms.declarations import repository as declaration_sql
from smartcustoms.store.db import transaction

OFFICER_ID_LENGTH = scoped.OFFICER_ID_LENGTH  # the longest officer record name


def visible_declaration(db: Engine | Connection, user: User, declaration_id: str) -> dict | None:
    """The declaration's ID, office, importer and declarant if the user may see it; else (or when it does not
    exist) None."""
    with transaction(db) as conn:
        return scoped.visible_declaration(conn, user, declaration_id)


def search_declarations(db: Engine | Connection, user: User, text: str, limit: int = 50) -> list[dict]:
    """Declarations the user may see matching `text` (declarations.repository.search)."""
    with transaction(db) as conn:
        return declaration_sql.search(conn, text, where=repository.visible_to(user), limit=limit)


def officer_offices(db: Engine | Connection, officer_ids: Collection[str]) -> dict[str, str]:
    """officer ID -> office of the given officer records that exist."""
    with transaction(db) as conn:
        return scoped.officer_offices(conn, officer_ids)


def active_officers(db: Engine | Connection, office_id: str) -> list[tuple[str, str]]:
    """(officer ID, modes) of the active officers of an office."""
    with transaction(db) as conn:
        return scoped.active_officers(conn, office_id)


def task_queue(db: Engine | Connection, user: User, *, office: str | None = None, lane: str | None = None,
               states: Collection[str] | None = None, mine: list[str] | None = None, unassigned: bool = False,
               q: str | None = None, sort: str = "due", limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """A page of the task rows the user may see (see repository.scoped.task_queue), and their total."""
    with transaction(db) as conn:
        return scoped.task_queue(conn, user, office=office, lane=lane, states=states, mine=mine,
                                 unassigned=unassigned, q=q, sort=sort, limit=limit, offset=offset)


def task_offices(db: Engine | Connection) -> list[str]:
    """Every office with a task, sorted."""
    with transaction(db) as conn:
        return scoped.task_offices(conn)


def declaration_tasks(db: Engine | Connection, declaration_id: str) -> list[dict]:
    """The declaration's inspection tasks, oldest first: task_id, mode, state, office_id, due_at."""
    with transaction(db) as conn:
        return scoped.declaration_tasks(conn, declaration_id)


def inspection_task(db: Engine | Connection, declaration_id: str):
    """The declaration's newest physical or remote inspection task, with its decision's explanation (None:
    none)."""
    with transaction(db) as conn:
        return scoped.inspection_task(conn, declaration_id)


def outcome_page(db: Engine | Connection, user: User | None, *, declaration_id: str | None = None,
                 since: datetime | None = None, task_ids: list[int] | None = None, limit: int = 100,
                 offset: int = 0, with_total: bool = False) -> tuple[list[dict], int | None]:
    """Outcome rows (newest first) of the declarations the user may see (all when `user` is None), and their
    total `with_total`."""
    with transaction(db) as conn:
        return scoped.outcome_page(conn, user, declaration_id=declaration_id, since=since, task_ids=task_ids,
                                   limit=limit, offset=offset, with_total=with_total)


def importer_history(db: Engine | Connection, user: User, declaration, limit: int = 20) -> dict:
    """The importer's other declarations lodged up to this one (those the user may see), newest first, with their
    lane, status and outcome rows; and the totals over all of them."""
    with transaction(db) as conn:
        return scoped.importer_history(conn, user, declaration, limit)


def visible_decision(db: Engine | Connection, user: User, decision_id: int) -> dict | None:
    """A decision (declaration_id, lane, office, the latest decision's ID and final lane) if the user may see its
    declaration, else None."""
    with transaction(db) as conn:
        return scoped.visible_decision(conn, user, decision_id)


def trader_todo(db: Engine | Connection, user: User, now: datetime, limit: int = 100) -> dict[str, list]:
    """What waits for the trader across its declarations (see repository.scoped.trader_todo)."""
    with transaction(db) as conn:
        return scoped.trader_todo(conn, user, now, limit)
