"""The task state machine, modes, checklists, outcome checks and the draw of an officer (no database)."""

import numpy as np
import pandas as pd
import pytest

from smartcustoms.control import tables, workflow
from smartcustoms.control.workflow import (
    AssignmentError,
    OutcomeError,
    TransitionError,
    check_outcome,
    check_transition,
    checklist,
    mode_for,
    pick_officer,
    reasons,
    remote_fit,
)

LEGAL = [("created", "assigned"), ("assigned", "assigned"), ("assigned", "scheduled"), ("scheduled", "assigned"),
         ("scheduled", "in_progress"),
         ("in_progress", "completed"), ("completed", "released"), ("completed", "detained"),
         ("completed", "seized"), ("detained", "released"), ("detained", "seized")]


def test_the_states_and_infringements_are_those_of_the_tables():
    assert set(workflow.TRANSITIONS) == set(workflow.STATES) == set(tables.TASK_STATES)
    assert workflow.INFRINGEMENTS == tables.INFRINGEMENTS
    assert set(workflow.MODES) == set(tables.TASK_MODES)
    assert set(workflow.SLOT_MODE.values()) == set(tables.SLOT_MODES)


@pytest.mark.parametrize(("from_state", "to_state"), LEGAL)
def test_legal_transitions_pass(from_state, to_state):
    check_transition(from_state, to_state, task_id=1, mode="physical")


def test_a_documentary_task_starts_without_a_slot_but_an_inspection_needs_one():
    check_transition("assigned", "in_progress", mode="documentary")
    with pytest.raises(TransitionError, match="task 4 is a remote inspection: book a slot first"):
        check_transition("assigned", "in_progress", task_id=4, mode="remote")


@pytest.mark.parametrize(("from_state", "to_state", "message"), [
    ("scheduled", "released", "task 12 is scheduled: it cannot go to released; next: assigned or in_progress"),
    ("created", "in_progress", "task 12 is created: it cannot go to in_progress; next: assigned"),
    ("in_progress", "released", "next: completed"),
    ("completed", "in_progress", "next: released or detained or seized"),
    ("released", "seized", "task 12 is released: it is closed"),
    ("seized", "released", "task 12 is seized: it is closed"),
    ("created", "finished", "unknown state 'finished'"),
])
def test_illegal_transitions_are_refused_with_the_next_steps(from_state, to_state, message):
    with pytest.raises(TransitionError, match=message):
        check_transition(from_state, to_state, task_id=12)


VALUATION = {"lane": "red", "source": "screen", "random": False, "profiles": [], "scores": {
    "valuation": {"score": 0.9, "share": 0.8, "duty_at_risk": 300, "reason": "declared unit value 2.10 EUR/kg is "
                  "below the band"},
    "classification": {"score": 0.1, "share": 0.2, "duty_at_risk": 0, "reason": "not checked: no description"}}}
CONCEALMENT = {"lane": "red", "source": "profile", "random": False, "scores": {}, "profiles": [
    {"id": "P-CONCEAL-MASS", "version": 2, "lane": "red", "matched": "mass_ratio at least 1.25"}]}
RANDOM = {"lane": "red", "source": "random", "random": True, "profiles": [], "scores": {}}
MODEL = {"lane": "red", "source": "model", "random": False, "profiles": [], "scores": {
    "model": {"score": 0.9, "share": 1, "duty_at_risk": 50, "reason": "model: p(fraud) 0.91; importer's past "
              "discrepancy rate, value per kg (log)"}}}


def test_checklist_follows_the_reasons():
    items = checklist(VALUATION)
    assert items == [workflow.CHECKS["valuation"]]
    assert "unit price band" in items[0] and "Decision 6.1" in items[0]
    concealed = checklist(CONCEALMENT)
    assert concealed == [workflow.CHECKS["quantity"], workflow.CHECKS["prohibited"]]
    assert checklist(RANDOM) == workflow.GENERAL_CHECKLIST
    model = checklist(MODEL)
    assert model[0].endswith("importer's past discrepancy rate, value per kg (log)")
    origin = {"profiles": [{"id": "P-STEEL-AD", "version": 1,
                            "matched": "commodity_code starts with 7208; origin_country in [MY, VN]"}]}
    assert checklist(origin) == [workflow.CHECKS["classification"], workflow.CHECKS["origin"]]
    assert "origin marking" in checklist(origin)[1]


def test_reasons_in_words_leave_out_what_was_not_checked():
    assert reasons(VALUATION) == ["valuation: declared unit value 2.10 EUR/kg is below the band"]
    assert reasons(CONCEALMENT) == ["profile P-CONCEAL-MASS v2: mass_ratio at least 1.25"]
    assert reasons(RANDOM, override_reason="tip-off from the port") == [
        "random control sample", "officer override: tip-off from the port"]


def test_mode_red_is_physical_unless_the_office_allows_remote_and_the_reasons_are_documentary():
    assert mode_for("yellow", CONCEALMENT) == "documentary"
    assert mode_for("red", VALUATION) == "physical"
    assert mode_for("red", VALUATION, remote_allowed=True) == "remote"
    assert remote_fit(VALUATION) and not remote_fit(CONCEALMENT) and not remote_fit(RANDOM)
    assert mode_for("red", CONCEALMENT, remote_allowed=True) == "physical"  # count and open: on site
    assert mode_for("red", RANDOM, remote_allowed=True) == "physical"
    assert mode_for("red", MODEL, remote_allowed=True) == "physical"
    with pytest.raises(workflow.ControlError, match="lane 'green' asks for no inspection"):
        mode_for("green", VALUATION)


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("found", [], 1, 1), {}, "result must be one of"),
    (("discrepancy", [], 10, 20), {}, "needs at least one infringement"),
    (("discrepancy", ["smuggling"], 10, 20), {}, "unknown infringement type"),
    (("discrepancy", ["origin", "origin"], 10, 20), {}, "listed twice"),
    (("no_discrepancy", [], 10, 20), {}, "the duty changes"),
    (("no_discrepancy", ["valuation"], 10, 10), {}, "infringement types are given"),
    (("no_discrepancy", [], 10, 10), {"seized": True}, "a seizure needs a discrepancy"),
    (("no_discrepancy", [], 10, 10), {"offence_code": "X1"}, "needs a discrepancy"),
    (("discrepancy", ["valuation"], -1, 20), {}, "duty_before must be a number >= 0"),
    (("discrepancy", ["valuation"], 1, float("nan")), {}, "duty_after must be a number >= 0"),
])
def test_inconsistent_outcomes_are_refused(args, kwargs, message):
    with pytest.raises(OutcomeError, match=message):
        check_outcome(*args, **kwargs)


def test_consistent_outcomes_pass():
    check_outcome("no_discrepancy", [], 120.0, 120.0)
    check_outcome("discrepancy", ["prohibited", "ipr"], 120.0, 120.0, seized=True, offence_code="P1")
    check_outcome("discrepancy", ["valuation"], 120.0, 80.0)  # overpaid: a discrepancy that lowers the duty


def test_pick_officer_draws_among_the_least_loaded_only():
    candidates = pd.DataFrame({"officer_id": ["a", "b", "c", "d"], "open_tasks": [3, 1, 1, 2]})
    drawn = {pick_officer(candidates, np.random.default_rng(k)) for k in range(60)}
    assert drawn == {"b", "c"}
    assert pick_officer(candidates, 7) == pick_officer(candidates.iloc[::-1], 7)  # row order does not matter
    with pytest.raises(AssignmentError, match="no qualified officer"):
        pick_officer(candidates.iloc[:0])


def test_pick_officer_keeps_workloads_within_one_task():
    load = pd.DataFrame({"officer_id": ["a", "b", "c"], "open_tasks": [0, 0, 0]})
    rng = np.random.default_rng(1)
    for _ in range(31):
        chosen = pick_officer(load, rng)
        load.loc[load["officer_id"] == chosen, "open_tasks"] += 1
    assert sorted(load["open_tasks"]) == [10, 10, 11]


def test_a_profile_whose_criteria_name_no_doubt_asks_what_it_targets_and_keeps_its_hit():
    hit = {"id": "P-TEST-X", "version": 2, "matched": "transport_mode in ['4']"}
    explanation = {"profiles": [hit, {"id": "P-V", "version": 1, "matched": "unit_value max 20"}]}
    lines = workflow.profile_checks(explanation)
    assert lines == {"Check what profile P-TEST-X targets: transport_mode in ['4']": hit}
    assert list(lines) == [item for item in workflow.checklist(explanation) if item.startswith("Check what")]
