"""Builders for the tests of the trader portal's control pages: an app whose risk settings name IMP001 (alice's
importer) an authorised economic operator, declarations in a chosen lane with their control opened, officers,
slots and small files of each type."""

import json
from datetime import timedelta

import pandas as pd
from conftest import declaration
from sqlalchemy import delete, func, select

from smartcustoms.control.service import (
    add_officers,
    add_slots,
    assign,
    book,
    change_mode,
    free_slots,
    open_controls,
    task_frame,
)
from smartcustoms.control.tables import clearance, evidence
from smartcustoms.control.tables import tasks as task_rows
from smartcustoms.risk.config import RiskConfig
from smartcustoms.risk.repository import latest_decisions, record_assessment
from smartcustoms.store.db import utc_now
from smartcustoms.web.app import create_app
from smartcustoms.web.config import WebSettings

AEO = "IMP001"
UPLOAD_LIMIT = 200_000  # bytes: the server's limit, and so every evidence type's
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40
PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}
VALUATION = {"valuation": {"score": 0.9, "share": 1.0, "duty_at_risk": 80.0,
                           "reason": "declared unit value far below comparable imports"}}
REASONS = "unit price 60 % below the reference price of HS 640399 from CN"


def web_settings(tmp_path, fast: dict) -> WebSettings:
    return WebSettings(**fast, var_dir=tmp_path / "var", upload_max_bytes=UPLOAD_LIMIT)


def make_app(settings, engine, risk_engine):
    return create_app(settings, engine, risk_engine=risk_engine, risk_config=RiskConfig(aeo_importers=[AEO]))


def lodge(client, person, declaration_id: str, importer_id: str | None = None, **changes) -> None:
    """Lodge a declaration of the person's importer through the API, dated a day ago."""
    importer_id = importer_id or {"alice": "IMP001", "bob": "IMP002"}[person.name]
    declarant = {"alice": "BRK001", "bob": "BRK002"}[person.name]
    when = (utc_now() - timedelta(days=1)).replace(microsecond=0).isoformat()
    items = changes.pop("items", None)
    body = declaration(declaration_id, importer_id=importer_id, declarant_id=declarant, acceptance_datetime=when,
                       **changes)
    if items is not None:
        body["items"] = items
    client.cookies.clear()
    answer = client.post("/api/v1/declarations", json=body, headers=person.bearer)
    assert answer.status_code in (200, 201), answer.text


def set_lane(engine, declaration_id: str, lane: str, scores: dict | None = None) -> None:
    """A newer decision for the declaration in `lane`, selected by a valuation doubt (remote inspection fits)."""
    record_assessment(engine, pd.DataFrame({
        "declaration_id": [declaration_id], "lane": lane, "source": "screen", "random": False, "risk_score": 0.9,
        "duty_at_risk": 80.0,
        "explanation": json.dumps({"lane": lane, "source": "screen", "random": False, "risk_score": 0.9,
                                   "duty_at_risk": 80.0, "profiles": [], "capacity": "", "not_checked": [],
                                   "scores": VALUATION if scores is None else scores}),
    }), PROVENANCE, actor="tests")


def open_control(engine, lanes: dict[str, str], scores: dict | None = None) -> dict[str, int]:
    """Put each declaration in its lane and open the controls (after all lanes are set: opening takes every
    latest decision); returns the task ID of each red or yellow one. Lodging gave each its lane and opened its
    chain (released at once in the green and blue lanes): that chain is taken back first, as if the declaration
    had been lodged into the lane the test chooses."""
    with engine.begin() as conn:
        conn.execute(delete(clearance).where(clearance.c.declaration_id.in_(list(lanes)),
                                             ~clearance.c.declaration_id.in_(select(task_rows.c.declaration_id))))
    for declaration_id, lane in lanes.items():
        set_lane(engine, declaration_id, lane, scores)
    open_controls(engine)
    tasks = task_frame(engine).set_index("declaration_id")["task_id"]
    return {key: int(tasks[key]) for key in lanes if key in tasks.index}


def staff(engine) -> None:
    add_officers(engine, pd.DataFrame([{"officer_id": "O1", "name": "Olga", "office_id": "FRPAR1",
                                        "modes": "physical,remote,documentary"}]))


def assigned(engine, task_id: int) -> None:
    assign(engine, task_id, actor="system", rng=0)


def slots(engine, mode: str, capacity: int = 2, hours: int = 3) -> None:
    start = (utc_now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    add_slots(engine, "FRPAR1", mode, start, start + timedelta(hours=hours), capacity=capacity)


def booked_remote(engine, task_id: int) -> None:
    """Switch an assigned task to remote and book it a remote slot, as the domain does."""
    version = task_frame(engine).set_index("task_id").loc[task_id, "version"]
    change_mode(engine, task_id, "remote", actor="tests", expected_version=int(version))
    slots(engine, "remote")
    first = _first_slot(engine, "remote")
    book(engine, task_id, first, booked_by="tests")


def _first_slot(engine, mode: str) -> int:
    return int(free_slots(engine, "FRPAR1", mode)["slot_id"].iloc[0])


def final_lane(engine, declaration_id: str) -> str:
    frame = latest_decisions(engine).set_index("declaration_id")
    return frame.loc[declaration_id, "final_lane"]


def evidence_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(evidence)).scalar_one()
