"""Helpers of the analyst console's tests: profile texts, lodging through the API, a small KPI scenario inserted
row by row, a tiny targeting model, and reading the tables of a page."""

from datetime import datetime
from html.parser import HTMLParser

import pandas as pd
from conftest import as_user, declaration
from sqlalchemy import insert

from smartcustoms.control.tables import clearance, outcomes, task_events, tasks
from smartcustoms.risk import repository
from smartcustoms.risk.repository import assessments, decisions
from smartcustoms.targeting.features import declaration_features
from smartcustoms.targeting.model import TargetingModel
from smartcustoms.world import WorldConfig, generate

SHOES = """\
profile_id: {id}
title: Leather shoes from China
purpose: tests of the analyst console
owner: Analysis team
lane: red
weight: 90
criteria:
  - field: commodity_code
    prefix: ["6403"]
  - field: origin_country
    in: [CN]
"""
NOTHING = """\
profile_id: P-NOTHING
title: A commodity nobody declares
purpose: tests of the analyst console
owner: Analysis team
lane: red
weight: 90
criteria:
  - field: commodity_code
    prefix: ["0101"]
"""
BAD = """\
profile_id: P-BAD
title: A profile with a typo
purpose: tests of the analyst console
owner: Analysis team
lane: red
weight: 90
criteria:
  - field: commodity_code
    prefix: ["6403"]
  - field: comodity_code
    in: [CN]
"""  # line 10 names an unknown field
CAR_PARTS = {"commodity_code": "8708705000", "goods_description": "car rims", "quantity_unit": "NAR"}


def shoes(profile_id: str = "P-SHOES") -> str:
    return SHOES.format(id=profile_id)


def lodge(client, person, declaration_id: str, at: str = "2025-03-04T09:30:00", item: dict | None = None,
          **changes) -> dict:
    """Lodge one declaration of alice's (importer IMP001) through the API; its answer (lane, reasons)."""
    body = declaration(declaration_id, acceptance_datetime=at, **changes)
    body["items"][0].update(item or {})
    answer = as_user(client, None).post("/api/v1/declarations", json=body, headers=person.bearer)
    assert answer.status_code == 201, answer.text
    return answer.json()


def record_outcome(engine, declaration_id: str, found: bool, duty: float = 0.0, day: str = "2025-03-20") -> None:
    with engine.begin() as conn:
        conn.execute(insert(outcomes).values(
            declaration_id=declaration_id, inspection_date=datetime.fromisoformat(day), control_type="physical",
            selection_reason="profile", result="discrepancy" if found else "no_discrepancy", duty_recovered=duty))


def stage_profile(engine, profile_id: str, until: str = "committed", author: str = "writer",
                  checker: str = "checker") -> None:
    """A profile taken to a state of its life by other people: committed, approved or published."""
    repository.commit_profiles(engine, shoes(profile_id), "tests", author)
    if until in ("approved", "published"):
        repository.approve(engine, profile_id, 1, checker)
    if until == "published":
        repository.publish(engine, profile_id, 1, checker)


def profile_reasons(answer: dict) -> list[str]:
    return [reason["name"] for reason in answer["reasons"] if reason["kind"] == "profile"]


# --- a small KPI scenario (as tests/integration/test_kpi_command.py) ----------------------------------------------
# March 2025 at FRPAR1: K1 green (released after 1 h); K2 red by a profile (on-site control 4 h, 100 found,
# released 10 h after its lane); K3 yellow by the random sample (desk control 2 h, nothing found, released 3 h
# after its lane). At FRLYS1: L1 red by the model (remote control 1 h, 50 found; still held).


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2025-{text}")


def seed_kpis(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(clearance), [
            {"declaration_id": "K1", "office_id": "FRPAR1", "lane": "green", "lodged_at": at("03-03 08:00"),
             "lane_at": at("03-03 08:06"), "released_at": at("03-03 09:06"), "status": "released"},
            {"declaration_id": "K2", "office_id": "FRPAR1", "lane": "red", "lodged_at": at("03-03 08:00"),
             "lane_at": at("03-03 08:30"), "released_at": at("03-03 18:30"), "status": "released"},
            {"declaration_id": "K3", "office_id": "FRPAR1", "lane": "yellow", "lodged_at": at("03-04 08:00"),
             "lane_at": at("03-04 08:20"), "released_at": at("03-04 11:20"), "status": "released"},
            {"declaration_id": "L1", "office_id": "FRLYS1", "lane": "red", "lodged_at": at("03-05 08:00"),
             "lane_at": at("03-05 09:00"), "released_at": None, "status": "held"},
        ])
        assessment = conn.execute(insert(assessments).values(
            assessed_at=at("03-03 07:59"), actor="batch", settings_version="t", settings="{}", profile_versions="{}",
            declarations=4).returning(assessments.c.assessment_id)).scalar_one()
        conn.execute(insert(decisions), [
            {"assessment_id": assessment, "declaration_id": d, "lane": lane, "source": source, "random": random,
             "risk_score": 0.5, "duty_at_risk": 10.0, "explanation": "{}"}
            for d, lane, source, random in (("K1", "green", "none", False), ("K2", "red", "profile", False),
                                            ("K3", "yellow", "screen", True), ("L1", "red", "model", False))])
        conn.execute(insert(tasks), [
            {**row, "reasons": "[]", "checklist": "[]", "due_at": row["created_at"], "updated_at": row["created_at"],
             "version": 1} for row in (
                {"task_id": 1, "declaration_id": "K2", "office_id": "FRPAR1", "lane": "red", "mode": "physical",
                 "state": "completed", "source": "profile", "created_at": at("03-03 08:30")},
                {"task_id": 2, "declaration_id": "K3", "office_id": "FRPAR1", "lane": "yellow",
                 "mode": "documentary", "state": "completed", "source": "random", "created_at": at("03-04 08:20")},
                {"task_id": 3, "declaration_id": "L1", "office_id": "FRLYS1", "lane": "red", "mode": "remote",
                 "state": "completed", "source": "model", "created_at": at("03-05 09:00")})])
        conn.execute(insert(task_events), [
            {"task_id": task, "from_state": None, "to_state": state, "actor": "officer", "at": at(moment)}
            for task, state, moment in (
                (1, "scheduled", "03-03 09:00"), (1, "completed", "03-03 13:00"),
                (2, "in_progress", "03-04 09:00"), (2, "completed", "03-04 11:00"),
                (3, "scheduled", "03-05 10:00"), (3, "completed", "03-05 11:00"))])
        conn.execute(insert(outcomes), [
            {"declaration_id": d, "inspection_date": at(day), "control_type": kind, "selection_reason": reason,
             "result": result, "duty_recovered": duty, "penalty": None, "task_id": task, "case_id": None}
            for d, day, kind, reason, result, duty, task in (
                ("K2", "03-03 00:00", "physical", "profile", "discrepancy", 100.0, 1),
                ("K3", "03-04 00:00", "documentary", "random", "no_discrepancy", 0.0, 2),
                ("L1", "03-05 00:00", "remote", "model", "discrepancy", 50.0, 3))])


# --- a tiny targeting model -----------------------------------------------------------------------------------------

CUT = "2025-03-01"


def tiny_model() -> tuple[pd.DataFrame, TargetingModel, object]:
    """(training features, a fitted model, the generated world) on a small world: about 1.5 s."""
    world = generate(WorldConfig(declarations=1200, seed=1, days=90))
    feats = declaration_features(world.declarations, world.inspections, as_of=CUT)
    train = feats.loc[feats["declaration_date"] < CUT]
    return train, TargetingModel(params={"n_estimators": 10}, random_state=1).fit(train), world


# --- reading pages --------------------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption = None
        self._rows = None
        self._cell = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
        elif tag in ("br", "dt", "dd", "li", "p") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[" ".join(self._caption.split())] = self._rows
            self._rows = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """Every table of a page by its caption: rows of cell texts (header row first)."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table(html: str, caption_start: str) -> list[list[str]]:
    found = [rows for caption, rows in page_tables(html).items() if caption.startswith(caption_start)]
    assert found, f"no table whose caption starts with {caption_start!r}: {list(page_tables(html))}"
    return found[0]


def row_of(rows: list[list[str]], first: str) -> list[str]:
    found = [row for row in rows if row and row[0] == first]
    assert found, f"no row {first!r} in {rows}"
    return found[0]
