"""A lodging batch opens the control chain of the declarations it stores from what it has at hand
(``record_decisions(..., stored_here=...)``, control.repository.inspections.open_stored_here): the rows must be
those the generic path writes for the same decisions (open_chain, which reads them back: the command line, the
catch-up, a declaration stored before)."""

import json
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from smartcustoms.control.repository.lodging import as_stored, store_lodged
from smartcustoms.control.service import open_controls, record_decisions
from smartcustoms.control.tables import clearance, task_events, tasks
from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
from smartcustoms.declarations.validate import VALID_COLUMNS, flatten, to_declaration
from smartcustoms.risk.repository import assessments, decisions, record_assessment
from support import item_row

PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}
AT = {name: at for at, name in enumerate(VALID_COLUMNS)}
VALUATION = {"valuation": {"score": 0.9, "reason": "declared unit value far below comparable imports"}}
MASS = {"id": "P-MASS", "version": 2, "matched": "mass_ratio > 3"}


class Rollback(Exception):
    pass


def explanation(lane: str, source: str, scores: dict | None = None, profiles: list | None = None) -> str:
    return json.dumps({"lane": lane, "source": source, "random": source == "random", "profiles": profiles or [],
                       "scores": scores or {}, "capacity": "", "not_checked": []})


# declaration ID: office, lane, source, explanation (the web's lanes, sources and reasons, a remote office)
CASES = {
    "N-GREEN": ("FRPAR1", "green", "none", explanation("green", "none")),
    "N-BLUE": ("FRLYS1", "blue", "none", explanation("blue", "none")),
    "N-YELLOW": ("FRPAR1", "yellow", "screen", explanation("yellow", "screen", VALUATION)),
    "N-REMOTE": ("FRPAR1", "red", "screen", explanation("red", "screen", VALUATION)),  # remote at FRPAR1
    "N-PHYSICAL": ("FRLYS1", "red", "screen", explanation("red", "screen", VALUATION)),  # not a remote office
    "N-PROFILE": ("FRPAR1", "red", "profile", explanation("red", "profile", profiles=[MASS])),  # counts, weighs
    "N-RANDOM": ("FRPAR1", "red", "random", explanation("red", "random")),
    "N-OTHER": ("FRPAR1", "yellow", "model", explanation("yellow", "model", {"model": {"reason": "0.9; a, b"}})),
}


def headers_and_items(ids: list[str], moment: str = "2025-03-04T09:30:00.123456") -> tuple[list, list]:
    """The rows store_lodged stores, as the web's batch builds them (web.submissions)."""
    rows = [row for key in ids for row in flatten(to_declaration([item_row(
        key, office_id=CASES.get(key, ("FRPAR1",))[0], acceptance_datetime=moment)]), 1)]
    headers = [tuple(row[AT[name]] for name in [*HEADER_FIELDS, "content_hash"]) for row in rows]
    items = [tuple(row[AT[name]] for name in ["declaration_id", *ITEM_FIELDS]) for row in rows]
    return headers, items


def decided(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "declaration_id": ids, "lane": [CASES[key][1] for key in ids], "source": [CASES[key][2] for key in ids],
        "random": [CASES[key][2] == "random" for key in ids], "risk_score": 0.9, "duty_at_risk": 80.0,
        "explanation": [CASES[key][3] for key in ids]})


def opened_before(conn) -> tuple[int, set]:
    return (conn.execute(select(func.coalesce(func.max(tasks.c.task_id), 0))).scalar_one(),
            set(conn.execute(select(clearance.c.declaration_id)).scalars()))


def chain(conn, ids: list[str], before: tuple[int, set], lane_time: str) -> dict:
    """The chain's rows of these declarations written since `before` (opened_before), with IDs as the
    declarations they belong to and, for `lane_time` "assessed", times relative to the assessment's (each run
    has its own time and IDs)."""
    assessed_at = conn.execute(select(assessments.c.assessed_at).order_by(assessments.c.assessment_id.desc())
                               .limit(1)).scalar_one()
    owner = dict(conn.execute(select(decisions.c.decision_id, decisions.c.declaration_id)).all())
    task_of = dict(conn.execute(select(tasks.c.task_id, tasks.c.declaration_id).where(
        tasks.c.task_id > before[0], tasks.c.declaration_id.in_(ids))).all())
    ids = [key for key in ids if key not in before[1]]

    def plain(value):
        relative = isinstance(value, datetime) and lane_time == "assessed"
        return ("assessed", value - assessed_at) if relative else value

    clear = sorted(tuple(plain(v) if k not in ("lodged_at",) else v for k, v in row.items()) for row in
                   conn.execute(select(clearance).where(clearance.c.declaration_id.in_(ids))).mappings())
    task_rows = sorted(tuple(owner[v] if k == "decision_id" else plain(v) for k, v in row.items()
                             if k != "task_id") for row in
                       conn.execute(select(tasks).where(tasks.c.task_id.in_(list(task_of)))).mappings())
    found = conn.execute(select(task_events).where(task_events.c.task_id.in_(list(task_of)))
                         .order_by(task_events.c.event_id)).all()
    events = sorted((task_of[row.task_id], row.from_state, row.to_state, row.actor, plain(row.at), row.note)
                    for row in found)
    # the tasks are numbered in the order decided, their events in the tasks' order
    order = [task_of[row.task_id] for row in found]
    numbered = [key for _, key in sorted(task_of.items())]
    return {"clearance": clear, "tasks": task_rows, "events": events, "numbered": numbered, "order": order}


def lodge_and_open(engine, new: list[str], others: list[str], *, at_hand: bool, **options) -> tuple[dict, dict]:
    """Store `new` and record decisions for `new` + `others` in one transaction (rolled back), the chain opened
    from what is at hand or read back: (counts, chain rows)."""
    headers, items = headers_and_items(new)
    with pytest.raises(Rollback):
        with engine.begin() as conn:
            before = opened_before(conn)
            store_lodged(conn, "web", headers, items, [], datetime(2025, 3, 4, 9, 31))
            counts = record_decisions(conn, decided(new + others), PROVENANCE, "web",
                                      stored_here=as_stored(headers) if at_hand else None, **options)
            rows = chain(conn, new + others, before, options.get("lane_time", "assessed"))
            raise Rollback
    counts.pop("assessment_id")
    return counts, rows


@pytest.mark.parametrize("options", [{}, {"remote_offices": {"FRPAR1"}}, {"lane_time": "lodged"},
                                     {"lane_time": "lodged", "remote_offices": ["FRPAR1", "FRLYS1"]}])
def test_the_chain_built_at_hand_is_the_chain_read_back(engine, options):
    new = list(CASES)
    fast, fast_rows = lodge_and_open(engine, new, [], at_hand=True, **options)
    slow, slow_rows = lodge_and_open(engine, new, [], at_hand=False, **options)
    assert fast == slow == {"tasks": 6, "clearance": 8, "released": 2, "held": 6, "skipped": 0}
    # the same rows; the "created" events are numbered in the tasks' order (read back, SQLite numbered them in
    # the order of the declarations' IDs: its plan, not a rule)
    assert fast_rows.pop("order") == fast_rows["numbered"] == new[2:] and len(fast_rows["events"]) == 6
    assert sorted(slow_rows.pop("order")) == sorted(new[2:])
    assert fast_rows == slow_rows
    modes = {row[0]: row[4] for row in fast_rows["tasks"]}
    remote = "FRPAR1" in options.get("remote_offices", ())
    assert modes["N-REMOTE"] == ("remote" if remote else "physical") and modes["N-PROFILE"] == "physical"


def test_a_batch_beside_declarations_stored_before_opens_theirs_from_the_database(engine):
    # stored before: one without a decision (an import, a batch that failed after storing), one decided with its
    # chain open (decided again: no second clearance row or task), one decided whose chain is not open yet
    earlier = ["N-OTHER", "N-REMOTE", "N-RANDOM"]
    headers, items = headers_and_items(earlier, "2025-03-03T08:00:00")
    with engine.begin() as conn:
        store_lodged(conn, "import", headers, items, [], datetime(2025, 3, 3, 8, 1))
    record_assessment(engine, decided(["N-REMOTE", "N-RANDOM"]), PROVENANCE, "batch")
    open_controls(engine, declaration_ids=["N-REMOTE"])
    new = ["N-GREEN", "N-YELLOW", "N-PHYSICAL"]
    for order in (earlier, earlier[::-1]):
        fast, fast_rows = lodge_and_open(engine, new, order, at_hand=True, remote_offices={"FRPAR1"})
        slow, slow_rows = lodge_and_open(engine, new, order, at_hand=False, remote_offices={"FRPAR1"})
        assert fast == slow == {"tasks": 4, "clearance": 5, "released": 1, "held": 4, "skipped": 0}
        assert fast_rows["clearance"] == slow_rows["clearance"] and fast_rows["events"] == slow_rows["events"]
        assert fast_rows["tasks"] == slow_rows["tasks"]
        assert [row[0] for row in fast_rows["clearance"]] == sorted(new + ["N-OTHER", "N-RANDOM"])
