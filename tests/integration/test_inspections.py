"""Inspection tasks against the database: opening, assignment, the state machine with optimistic locking, the
case queue, outcomes and clearance rows."""

import importlib
import json
import threading
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from smartcustoms.control import inspections
from smartcustoms.control.service import (
    add_officers,
    add_slots,
    assign,
    assign_open,
    book,
    change_mode,
    clearance_frame,
    complete,
    get_task,
    open_controls,
    release,
    take_next,
    task_frame,
    task_history,
    transition,
)
from smartcustoms.control.tables import outcomes, task_events
from smartcustoms.control.workflow import (
    TRANSITIONS,
    AssignmentError,
    ConflictError,
    ControlError,
    NotFoundError,
    OutcomeError,
    TransitionError,
)
from smartcustoms.declarations.repository import load_declarations
from smartcustoms.declarations.service import import_file
from smartcustoms.outcomes.service import load_outcomes
from smartcustoms.risk.repository import latest_decisions, override, record_assessment
from smartcustoms.targeting.features import declaration_features
from support import csv_bytes, item_row

LODGED = datetime(2025, 3, 4, 9, 30)
LANE_AT = LODGED + timedelta(seconds=1)
LATER = datetime(2025, 3, 5, 8, 0)
PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}
VALUATION = {"valuation": {"score": 0.9, "share": 1.0, "duty_at_risk": 80.0,
                           "reason": "declared unit value far below comparable imports"}}


def explanation(lane: str, source: str = "screen", scores: dict | None = None) -> str:
    return json.dumps({"lane": lane, "source": source, "random": source == "random", "risk_score": 0.9,
                       "duty_at_risk": 80.0, "profiles": [],
                       "scores": ({} if source == "random" else VALUATION) if scores is None else scores,
                       "capacity": "", "not_checked": []})


def seed_decisions(engine, tmp_path, lanes: list[str], office: str = "FRPAR1", prefix: str = "D",
                   sources: list[str] | None = None, stored: int | None = None) -> list[str]:
    """Declarations (the first `stored` of them imported) and one decision each, in the given lanes."""
    ids = [f"{prefix}{i:04d}" for i in range(len(lanes))]
    rows = [item_row(d, office_id=office, acceptance_datetime=LODGED.isoformat()) for d in ids[:stored]]
    path = tmp_path / f"{prefix}.csv"
    path.write_bytes(csv_bytes(rows))
    import_file(engine, path)
    sources = sources or ["screen" if lane in ("red", "yellow") else "none" for lane in lanes]
    record_assessment(engine, pd.DataFrame({
        "declaration_id": ids, "lane": lanes, "source": sources, "random": [s == "random" for s in sources],
        "risk_score": 0.9, "duty_at_risk": 80.0,
        "explanation": [explanation(lane, source) for lane, source in zip(lanes, sources)],
    }), PROVENANCE, actor="batch")
    return ids


def officers_of(office: str, *specs: tuple[str, str], active: bool = True) -> pd.DataFrame:
    return pd.DataFrame([{"officer_id": officer_id, "name": officer_id, "office_id": office, "modes": modes,
                          "active": active} for officer_id, modes in specs])


def opened(engine, tmp_path, lanes, **kwargs) -> list[int]:
    seed_decisions(engine, tmp_path, lanes, **kwargs)
    open_controls(engine, lane_time="lodged")
    return task_frame(engine).sort_values("task_id")["task_id"].tolist()


def snapshot(engine, task_id: int) -> tuple:
    task = get_task(engine, task_id)
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(task_events)).scalar_one()
        outcome_rows = conn.execute(select(func.count()).select_from(outcomes)).scalar_one()
    return task.state, task.version, task.officer_id, events, outcome_rows


# --- opening ----------------------------------------------------------------------------------------------------


def test_open_controls_opens_red_and_yellow_once_and_times_every_declaration(engine, tmp_path):
    ids = seed_decisions(engine, tmp_path, ["red", "yellow", "green", "blue", "red", "red"],
                         sources=["screen", "screen", "none", "none", "random", "screen"], stored=5)
    counts = open_controls(engine, lane_time="lodged")
    assert counts == {"tasks": 3, "clearance": 5, "released": 2, "held": 3, "skipped": 1}  # D0005 is not stored
    assert open_controls(engine, lane_time="lodged") == {"tasks": 0, "clearance": 0, "released": 0, "held": 0,
                                                          "skipped": 1}
    frame = task_frame(engine).set_index("declaration_id")
    assert list(frame.index.sort_values()) == [ids[0], ids[1], ids[4]]
    assert frame.loc[ids[0], "mode"] == "physical" and frame.loc[ids[1], "mode"] == "documentary"
    assert (frame["state"] == "created").all() and (frame["version"] == 1).all()
    assert frame.loc[ids[4], "source"] == "random" and frame.loc[ids[4], "reasons"] == ["random control sample"]
    assert "unit price band" in frame.loc[ids[0], "checklist"][0]
    assert frame.loc[ids[0], "due_at"] == LANE_AT + inspections.DUE["physical"]
    assert frame.loc[ids[1], "due_at"] == LANE_AT + inspections.DUE["documentary"]
    history = task_history(engine, int(frame.loc[ids[0], "task_id"]))
    assert history[["from_state", "to_state", "actor"]].values.tolist() == [[None, "created", "system"]]
    assert history["at"].iloc[0] == LANE_AT

    cleared = clearance_frame(engine).set_index("declaration_id")
    assert cleared.loc[ids[2], "status"] == "released" and cleared.loc[ids[2], "released_at"] == LANE_AT
    assert cleared.loc[ids[3], "status"] == "released"  # blue: released now, audited later
    assert cleared.loc[ids[0], "status"] == "held" and pd.isna(cleared.loc[ids[0], "released_at"])
    assert (cleared["lodged_at"] == LODGED).all() and (cleared["lane_at"] == LANE_AT).all()


def test_open_controls_follows_overrides_and_remote_offices(engine, tmp_path):
    ids = seed_decisions(engine, tmp_path, ["red", "green"])
    decided = latest_decisions(engine).set_index("declaration_id")
    override(engine, int(decided.loc[ids[1], "decision_id"]), "yellow", "tip-off from the port", officer="o1")
    open_controls(engine, lane_time="lodged", remote_offices={"FRPAR1"})
    frame = task_frame(engine).set_index("declaration_id")
    assert frame.loc[ids[0], "mode"] == "remote"  # a valuation doubt only: documents and photos will do
    assert frame.loc[ids[1], "mode"] == "documentary" and frame.loc[ids[1], "source"] == "override"
    assert "officer override: tip-off from the port" in frame.loc[ids[1], "reasons"]
    with pytest.raises(ControlError, match="lane_time must be"):
        open_controls(engine, lane_time="yesterday")


# --- the state machine ------------------------------------------------------------------------------------------


def test_every_legal_path_is_walked_and_logged(engine, tmp_path):
    physical, documentary, third = opened(engine, tmp_path, ["red", "yellow", "red"])
    add_officers(engine, officers_of("FRPAR1", ("o1", "physical,documentary"), ("o2", "physical,documentary")))
    add_slots(engine, "FRPAR1", "on_site", datetime(2025, 3, 5, 9), datetime(2025, 3, 5, 12), capacity=2)

    first = assign(engine, physical, actor="system", rng=1, at=LATER)
    second = assign(engine, physical, actor="supervisor", rng=1, at=LATER)  # assigned -> assigned
    assert {first, second} == {"o1", "o2"}
    book(engine, physical, slot_id=1, booked_by="trader", at=LATER)
    version = transition(engine, physical, "in_progress", actor=second, expected_version=4, at=LATER + timedelta(
        hours=1))
    complete(engine, physical, actor=second, expected_version=version, result="discrepancy",
             infringements=["prohibited"], duty_before=10, duty_after=10, seized=True, offence_code="P1",
             at=LATER + timedelta(hours=2))
    release(engine, physical, actor=second, expected_version=version + 1, decision="seized",
            at=LATER + timedelta(hours=3))
    history = task_history(engine, physical)
    assert history["to_state"].tolist() == ["created", "assigned", "assigned", "scheduled", "in_progress",
                                            "completed", "seized"]
    assert history["actor"].tolist() == ["system", "system", "supervisor", "trader", second, second, second]
    assert history["at"].is_monotonic_increasing
    assert get_task(engine, physical).version == 7

    officer = assign(engine, documentary, actor="system", at=LATER)
    version = transition(engine, documentary, "in_progress", actor=officer, expected_version=2, at=LATER)
    complete(engine, documentary, actor=officer, expected_version=version, result="no_discrepancy",
             duty_before=5, duty_after=5, at=LATER)
    version = release(engine, documentary, actor=officer, expected_version=version + 1, decision="detained",
                      note="licence awaited", at=LATER)
    release(engine, documentary, actor=officer, expected_version=version, at=LATER + timedelta(days=1))
    assert task_history(engine, documentary)["to_state"].tolist() == [
        "created", "assigned", "in_progress", "completed", "detained", "released"]

    officer = assign(engine, third, actor="system", at=LATER)
    book(engine, third, slot_id=2, booked_by="trader", at=LATER)
    version = transition(engine, third, "in_progress", actor=officer, expected_version=3, at=LATER)
    complete(engine, third, actor=officer, expected_version=version, result="no_discrepancy", duty_before=1,
             duty_after=1, at=LATER)
    version = release(engine, third, actor=officer, expected_version=version + 1, decision="detained", at=LATER)
    release(engine, third, actor=officer, expected_version=version, decision="seized", at=LATER)
    assert get_task(engine, third).state == "seized"

    cleared = clearance_frame(engine).set_index("declaration_id")
    assert cleared["status"].tolist() == ["seized", "released", "seized"]
    assert cleared["released_at"].iloc[1] == LATER + timedelta(days=1) and pd.isna(cleared["released_at"].iloc[0])


@pytest.mark.parametrize("case", ["created_to_in_progress", "physical_without_slot", "complete_when_assigned",
                                  "release_when_in_progress", "completed_by_transition", "scheduled_by_transition",
                                  "stale_version", "closed_task", "unknown_state", "time_goes_back",
                                  "bad_outcome", "nameless_actor", "assign_closed_task"])
def test_refused_steps_leave_state_version_and_log_unchanged(engine, tmp_path, case):
    task_id, closed_id = opened(engine, tmp_path, ["red", "yellow"])
    add_officers(engine, officers_of("FRPAR1", ("o1", "physical,documentary")))
    if case in ("closed_task", "assign_closed_task"):
        assign(engine, closed_id, actor="system", at=LATER)
        transition(engine, closed_id, "in_progress", actor="o1", expected_version=2, at=LATER)
        complete(engine, closed_id, actor="o1", expected_version=3, result="no_discrepancy", duty_before=1,
                 duty_after=1, at=LATER)
        release(engine, closed_id, actor="o1", expected_version=4, at=LATER)
        task_id = closed_id
    elif case not in ("created_to_in_progress", "time_goes_back"):
        assign(engine, task_id, actor="system", at=LATER)
        if case in ("release_when_in_progress", "completed_by_transition", "bad_outcome"):
            add_slots(engine, "FRPAR1", "on_site", LATER + timedelta(hours=1), LATER + timedelta(hours=2))
            book(engine, task_id, 1, booked_by="trader", at=LATER)
            transition(engine, task_id, "in_progress", actor="o1", expected_version=3, at=LATER)
    before = snapshot(engine, task_id)
    version = before[1]
    refused = {
        "created_to_in_progress": (TransitionError, "is created: it cannot go to in_progress; next: assigned",
                                   lambda: transition(engine, task_id, "in_progress", actor="o1",
                                                      expected_version=version, at=LATER)),
        "physical_without_slot": (TransitionError, "physical inspection: book a slot first",
                                  lambda: transition(engine, task_id, "in_progress", actor="o1",
                                                     expected_version=version, at=LATER)),
        "complete_when_assigned": (TransitionError, "is assigned: it cannot go to completed",
                                   lambda: complete(engine, task_id, actor="o1", expected_version=version,
                                                    result="no_discrepancy", duty_before=1, duty_after=1, at=LATER)),
        "release_when_in_progress": (TransitionError, "is in_progress: it cannot go to released; next: completed",
                                     lambda: release(engine, task_id, actor="o1", expected_version=version,
                                                     at=LATER)),
        "completed_by_transition": (TransitionError, r"use complete\(\)",
                                    lambda: transition(engine, task_id, "completed", actor="o1",
                                                       expected_version=version, at=LATER)),
        "scheduled_by_transition": (TransitionError, r"use scheduling.book\(\)",
                                    lambda: transition(engine, task_id, "scheduled", actor="o1",
                                                       expected_version=version, at=LATER)),
        "stale_version": (ConflictError, rf"changed by someone else \(version {version}, you had {version - 1}\)",
                          lambda: transition(engine, task_id, "in_progress", actor="o1",
                                             expected_version=version - 1, at=LATER)),
        "closed_task": (TransitionError, "is released: it is closed",
                        lambda: release(engine, task_id, actor="o1", expected_version=version, decision="seized",
                                        at=LATER)),
        "assign_closed_task": (TransitionError, "is released: it is closed",
                               lambda: assign(engine, task_id, actor="system", at=LATER)),
        "unknown_state": (TransitionError, "unknown state 'finished'",
                          lambda: transition(engine, task_id, "finished", actor="o1", expected_version=version,
                                             at=LATER)),
        "time_goes_back": (ControlError, "would precede it",
                           lambda: assign(engine, task_id, actor="system", at=LANE_AT - timedelta(days=1))),
        "bad_outcome": (OutcomeError, "needs at least one infringement",
                        lambda: complete(engine, task_id, actor="o1", expected_version=version,
                                         result="discrepancy", duty_before=1, duty_after=9, at=LATER)),
        "nameless_actor": (ControlError, "the actor must be named",
                           lambda: transition(engine, task_id, "in_progress", actor=" ", expected_version=version,
                                              at=LATER)),
    }
    error, message, call = refused[case]
    with pytest.raises(error, match=message):
        call()
    assert snapshot(engine, task_id) == before


def test_unknown_task_is_named(engine):
    with pytest.raises(NotFoundError, match="no inspection task 999"):
        transition(engine, 999, "in_progress", actor="o1", expected_version=1)


def test_the_event_log_is_append_only(engine, tmp_path):
    opened(engine, tmp_path, ["red"])
    for statement in ("UPDATE task_events SET actor = 'someone else'", "DELETE FROM task_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert task_history(engine, 1)["actor"].tolist() == ["system"]


def test_the_database_itself_refuses_a_skipped_step(engine, tmp_path):
    (task_id,) = opened(engine, tmp_path, ["red"])
    with pytest.raises(DBAPIError, match="illegal state transition"), engine.begin() as conn:
        conn.execute(text(f"UPDATE inspection_tasks SET state = 'released' WHERE task_id = {task_id}"))
    assert get_task(engine, task_id).state == "created"
    with engine.begin() as conn:  # legal steps pass the trigger, going back from scheduled to assigned included
        for state in ("assigned", "scheduled", "assigned"):
            conn.execute(text(f"UPDATE inspection_tasks SET state = '{state}' WHERE task_id = {task_id}"))
    assert get_task(engine, task_id).state == "assigned"


def test_the_frozen_database_workflow_is_the_code_workflow():
    migration = importlib.import_module("smartcustoms.store.migrations.versions.0008_booking_cancellation")
    code = {(a, b) for a, targets in TRANSITIONS.items() for b in targets if a != b}
    assert set(migration.TASK_TRANSITIONS) == code


def test_two_officers_completing_at_once_one_wins_the_other_is_told(engine, tmp_path):
    (task_id,) = opened(engine, tmp_path, ["yellow"])
    add_officers(engine, officers_of("FRPAR1", ("o1", "documentary"), ("o2", "documentary")))
    assign(engine, task_id, actor="system", at=LATER)
    version = transition(engine, task_id, "in_progress", actor="o1", expected_version=2, at=LATER)
    barrier, results = threading.Barrier(2), {}

    def work(officer: str, duty_after: float) -> None:
        barrier.wait()
        try:
            results[officer] = complete(engine, task_id, actor=officer, expected_version=version,
                                        result="discrepancy", infringements=["valuation"], duty_before=10,
                                        duty_after=duty_after, at=LATER)
        except ConflictError as exc:
            results[officer] = exc

    threads = [threading.Thread(target=work, args=(officer, duty)) for officer, duty in (("o1", 50), ("o2", 70))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conflicts = [r for r in results.values() if isinstance(r, ConflictError)]
    assert len(conflicts) == 1 and "reload it" in str(conflicts[0])
    winner = next(officer for officer, r in results.items() if not isinstance(r, ConflictError))
    with engine.connect() as conn:
        rows = conn.execute(select(outcomes.c.officer, outcomes.c.duty_after)).all()
    assert rows == [(winner, 50.0 if winner == "o1" else 70.0)]
    assert task_history(engine, task_id)["to_state"].tolist().count("completed") == 1
    assert get_task(engine, task_id).version == version + 1


# --- assignment and the case queue ------------------------------------------------------------------------------


def test_assignment_goes_only_to_qualified_active_officers_of_the_office_and_is_balanced(engine, tmp_path):
    opened(engine, tmp_path, ["red"] * 30)
    add_officers(engine, officers_of("FRPAR1", ("a", "physical"), ("b", "physical,documentary"),
                                     ("c", "remote,physical")))
    add_officers(engine, officers_of("FRPAR1", ("desk", "documentary")))
    add_officers(engine, officers_of("FRPAR1", ("away", "physical"), active=False))
    add_officers(engine, officers_of("FRLEH1", ("elsewhere", "physical")))
    assert assign_open(engine, actor="system", rng=3, at=LATER) == {"assigned": 30, "no_officer": 0, "taken": 0}
    load = task_frame(engine)["officer_id"].value_counts().to_dict()
    assert load == {"a": 10, "b": 10, "c": 10}
    history = task_history(engine, 1)
    assert history["to_state"].tolist() == ["created", "assigned"] and history["note"].iloc[1].startswith("officer")


def test_assignment_without_a_qualified_officer_leaves_the_task_created(engine, tmp_path):
    (task_id,) = opened(engine, tmp_path, ["red"])
    add_officers(engine, officers_of("FRPAR1", ("desk", "documentary")))
    before = snapshot(engine, task_id)
    with pytest.raises(AssignmentError, match="no active officer of office FRPAR1 does physical inspections"):
        assign(engine, task_id, actor="system", at=LATER)
    assert assign_open(engine, actor="system", at=LATER) == {"assigned": 0, "no_officer": 1, "taken": 0}
    assert snapshot(engine, task_id) == before
    with pytest.raises(ControlError, match="modes must be some of"):
        add_officers(engine, officers_of("FRPAR1", ("x", "physical,juggling")))
    with pytest.raises(ControlError, match="already there"):
        add_officers(engine, officers_of("FRPAR1", ("desk", "physical")))


def test_take_next_gives_own_work_first_then_claims_from_the_office_queue(engine, tmp_path):
    seed_decisions(engine, tmp_path, ["red", "yellow", "yellow"])
    open_controls(engine, lane_time="lodged", due={"physical": timedelta(hours=1)})  # the red one is most urgent
    red, yellow, other_yellow = task_frame(engine).sort_values("task_id")["task_id"]
    add_officers(engine, officers_of("FRPAR1", ("desk", "documentary"), ("field", "physical,documentary")))
    claimed = take_next(engine, "desk", at=LATER)
    assert claimed.task_id == yellow and claimed.officer_id == "desk" and claimed.state == "assigned"
    assert take_next(engine, "desk", at=LATER).task_id == yellow  # still theirs, nobody else's
    field = take_next(engine, "field", at=LATER)
    assert field.task_id == red  # due first, and field officers may take it
    assert task_history(engine, red)["actor"].tolist() == ["system", "field"]
    # the red task now waits for the trader to book a slot: "take next" passes over it (issue 16: it came back
    # at every click) and claims the next task the officer can work
    assert take_next(engine, "field", at=LATER).task_id == other_yellow
    transition(engine, yellow, "in_progress", actor="desk", expected_version=2, at=LATER)
    assert take_next(engine, "desk", at=LATER) is None  # the rest is taken
    with pytest.raises(NotFoundError, match="no officer ghost"):
        take_next(engine, "ghost")


def test_change_mode_switches_physical_and_remote_before_booking(engine, tmp_path):
    task_id, documentary = opened(engine, tmp_path, ["red", "yellow"])
    add_officers(engine, officers_of("FRPAR1", ("o1", "physical,documentary")))
    version = change_mode(engine, task_id, "remote", actor="trader", expected_version=1, at=LATER,
                          note="asked for a video inspection")
    assert get_task(engine, task_id).mode == "remote" and version == 2
    assert task_history(engine, task_id)["note"].iloc[-1] == "mode physical -> remote: asked for a video inspection"
    with pytest.raises(AssignmentError):  # o1 does no remote inspections
        assign(engine, task_id, actor="system", at=LATER)
    change_mode(engine, task_id, "physical", actor="o1", expected_version=2, at=LATER)
    assign(engine, task_id, actor="system", at=LATER)
    with pytest.raises(ControlError, match="officer o1 does no remote inspections; reassign"):
        change_mode(engine, task_id, "remote", actor="trader", expected_version=4, at=LATER)
    with pytest.raises(ControlError, match="only a created or assigned physical or remote"):
        change_mode(engine, documentary, "remote", actor="trader", expected_version=1, at=LATER)


# --- outcomes ---------------------------------------------------------------------------------------------------


def test_complete_writes_one_structured_outcome_that_becomes_a_label(engine, tmp_path):
    ids = seed_decisions(engine, tmp_path, ["yellow", "green"])
    open_controls(engine, lane_time="lodged")
    add_officers(engine, officers_of("FRPAR1", ("o1", "documentary")))
    task = take_next(engine, "o1", at=LATER)
    version = transition(engine, task.task_id, "in_progress", actor="o1", expected_version=task.version, at=LATER)
    outcome_id = complete(engine, task.task_id, actor="o1", expected_version=version, result="discrepancy",
                          infringements=["origin", "valuation"], duty_before=100.0, duty_after=260.5,
                          offence_code="VAL-7", penalty=50.0, at=LATER + timedelta(hours=3))
    with engine.connect() as conn:
        row = conn.execute(select(outcomes).where(outcomes.c.outcome_id == outcome_id)).one()._mapping
    assert row["declaration_id"] == ids[0] and row["task_id"] == task.task_id
    assert (row["control_type"], row["selection_reason"], row["result"]) == ("documentary", "screen", "discrepancy")
    assert row["infringement"] == "valuation,origin"  # in the order of INFRINGEMENTS
    assert row["duty_recovered"] == pytest.approx(160.5)
    assert (row["officer"], row["offence_code"], row["penalty"], row["seized"]) == ("o1", "VAL-7", 50.0, False)
    assert row["inspection_date"] == datetime(2025, 3, 5) and row["recorded_at"] == LATER + timedelta(hours=3)

    labels = declaration_features(load_declarations(engine), load_outcomes(engine)).loc[:, "label_fraud"]
    assert labels[ids[0]] == 1 and pd.isna(labels[ids[1]])
