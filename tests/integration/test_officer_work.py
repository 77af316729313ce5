"""Simulated officers working a small generated world's controls from assignment to release."""

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from smartcustoms.control.service import clearance_frame, evidence_frame, open_controls, task_frame
from smartcustoms.control.service.simulation import FOUND_AS, simulate_officer_work
from smartcustoms.control.tables import outcomes, task_events
from smartcustoms.declarations.service import import_file
from smartcustoms.outcomes.service import load_outcomes
from smartcustoms.risk.repository import record_assessment
from smartcustoms.world import WorldConfig, generate, write_world

PROVENANCE = {"settings_version": "t", "settings": {}, "profiles": {}, "model_version": None}
VALUATION = {"valuation": {"score": 0.95, "share": 1.0, "duty_at_risk": 50.0, "reason": "unit value below the band"}}
CONCEALMENT = [{"id": "P-CONCEAL-MASS", "version": 1, "lane": "red", "matched": "mass_ratio at least 1.25"}]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    world = generate(WorldConfig(declarations=600, seed=11, days=20))
    write_world(world, folder)
    return folder, world


def decide(truth: pd.DataFrame) -> pd.DataFrame:
    """Every fraud and every 8th clean declaration controlled: red (half for a valuation doubt, half a concealment
    profile) or yellow; the rest green."""
    rng = np.random.default_rng(0)
    fraud = truth["fraud_type"].ne("none").to_numpy()
    controlled = fraud | (np.arange(len(truth)) % 8 == 0)
    lane = np.where(controlled, np.where(rng.random(len(truth)) < 0.75, "red", "yellow"), "green")
    valuation = rng.random(len(truth)) < 0.5
    explanation = [json.dumps({"lane": str(lane_), "source": "screen" if v else "profile", "random": False,
                               "profiles": [] if v else CONCEALMENT, "scores": VALUATION if v else {}})
                   for lane_, v in zip(lane, valuation)]
    return pd.DataFrame({"declaration_id": truth["declaration_id"], "lane": lane,
                         "source": np.where(lane == "green", "none", np.where(valuation, "screen", "profile")),
                         "random": False, "risk_score": 0.9, "duty_at_risk": 10.0, "explanation": explanation})


def test_officers_work_every_control_to_its_end(engine, world, tmp_path):
    folder, generated = world
    import_file(engine, folder / "declarations.csv")
    record_assessment(engine, decide(generated.truth), PROVENANCE, actor="batch")
    open_controls(engine, lane_time="lodged")
    opened = task_frame(engine)
    summary = simulate_officer_work(engine, generated.truth, evidence_folder=tmp_path / "evidence", seed=4,
                                    remote_share=0.6)

    tasks = task_frame(engine).set_index("task_id")
    assert len(tasks) == len(opened) > 30 and tasks["state"].isin(["released", "seized"]).all()
    assert set(tasks["mode"]) == {"physical", "remote", "documentary"}
    assert summary["tasks"].sum() == len(tasks) and summary.loc["remote", "tasks"] == (tasks["mode"] == "remote").sum()

    with engine.connect() as conn:
        done = pd.read_sql(select(outcomes), conn).set_index("task_id")
        events = pd.read_sql(select(task_events).order_by(task_events.c.event_id), conn)
    assert len(done) == len(tasks) and done.index.is_unique
    truth = generated.truth.set_index("declaration_id")
    fraud = done["declaration_id"].map(truth["fraud_type"])
    found = done["result"].eq("discrepancy")
    assert found.sum() == summary["found"].sum() > 0
    assert (fraud[found] != "none").all()  # nothing is found where nothing was wrong
    assert (done.loc[found, "infringement"] == fraud[found].map(FOUND_AS)).all()
    assert (done["seized"] == (found & fraud.eq("prohibited_goods"))).all()
    assert (tasks.loc[done.index[done["seized"]], "state"] == "seized").all()
    assert done["duty_recovered"].sum() == pytest.approx(summary["duty_recovered"].sum())
    assert (done["control_type"] == tasks.loc[done.index, "mode"]).all()
    assert set(load_outcomes(engine)["selection_reason"]) <= {"screen", "profile"}

    # remote inspections go markedly faster from booking to completion than those on site
    hours = summary["hours_booking_to_completion"]
    assert hours["remote"] < hours["physical"] / 3
    assert pd.isna(summary.loc["documentary", "hours_booking_to_completion"])
    assert (events.groupby("task_id")["at"].apply(lambda at: at.is_monotonic_increasing)).all()
    assert events.groupby("task_id")["to_state"].first().eq("created").all()

    remote = tasks.index[tasks["mode"] == "remote"]
    shown = evidence_frame(engine)
    assert sorted(shown["task_id"].unique()) == sorted(remote) and len(shown) == 2 * len(remote)

    cleared = clearance_frame(engine).set_index("declaration_id")
    controlled = cleared.loc[tasks["declaration_id"]]
    assert controlled["status"].isin(["released", "seized"]).all()
    released = controlled[controlled["status"] == "released"]
    assert (released["released_at"] > released["lane_at"]).all()
    assert simulate_officer_work(engine, generated.truth).empty  # nothing left to do
