"""The model registry's SQL: ``models`` (one row per registered model, its current status) and the append-only
``model_events``. Every function takes the caller's Connection and never commits (targeting.service does)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from smartcustoms.targeting.tables import model_events, models

MODEL_COLUMNS = [c.name for c in models.columns]
EVENT_COLUMNS = [c.name for c in model_events.columns]


def log_event(conn: Connection, model_id: str, action: str, actor: str, at: datetime,
              note: str | None = None) -> None:
    conn.execute(insert(model_events).values(model_id=model_id, action=action, actor=actor, at=at, note=note))


def model_row(conn: Connection, model_id: str) -> dict | None:
    row = conn.execute(select(models).where(models.c.model_id == model_id)).mappings().first()
    return None if row is None else dict(row)


def champion_id(conn: Connection) -> str | None:
    return conn.execute(select(models.c.model_id).where(models.c.status == "champion")).scalar_one_or_none()


def set_status(conn: Connection, model_id: str, status: str) -> None:
    conn.execute(update(models).where(models.c.model_id == model_id).values(status=status))


def count_models(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(models)).scalar_one()


def insert_model(conn: Connection, **values) -> None:
    conn.execute(insert(models).values(**values))


def model_rows(conn: Connection) -> list[dict]:
    """Every model row, oldest first."""
    return [dict(r) for r in conn.execute(select(models).order_by(models.c.created_at, models.c.model_id))
            .mappings().all()]


def event_rows(conn: Connection, model_id: str | None = None) -> list[dict]:
    """The event log (all models, or one), oldest first."""
    query = select(model_events).order_by(model_events.c.event_id)
    if model_id is not None:
        query = query.where(model_events.c.model_id == model_id)
    return [dict(r) for r in conn.execute(query).mappings().all()]


def champion_changes(conn: Connection) -> list[tuple[str, str]]:
    """(model_id, action) of every promotion and rollback, in log order."""
    return [(row.model_id, row.action) for row in conn.execute(
        select(model_events.c.model_id, model_events.c.action)
        .where(model_events.c.action.in_(("promoted", "rolled_back")))
        .order_by(model_events.c.event_id))]
