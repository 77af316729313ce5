"""Assessment and replay against a real database holding a small generated world."""

import json

import pandas as pd
import pytest
from sqlalchemy import func, select

import fitted
from smartcustoms.declarations.repository import load_declarations
from smartcustoms.declarations.service import import_file
from smartcustoms.outcomes.service import store_outcomes
from smartcustoms.risk import repository as profile_store
from smartcustoms.risk.config import RiskConfig
from smartcustoms.risk.profiles import parse_profiles
from smartcustoms.risk.repository import assessments, decisions, latest_decisions
from smartcustoms.risk.service import assess_and_record, build_engine, fit_screens, replay
from smartcustoms.world import WorldConfig, generate, write_world

START = pd.Timestamp("2025-04-01")
STEEL = """
profile_id: P-STEEL-TEST
title: all flat steel
purpose: replay test
owner: tests
lane: red
weight: 60
criteria:
  - field: commodity_code
    prefix: ["72"]
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    world = generate(WorldConfig(declarations=4000, seed=3, days=120))
    write_world(world, folder)
    return folder, world


@pytest.fixture(scope="module")
def screens(world):
    """Screens fitted once on the world's history before April (what the database would give)."""
    _, generated = world
    return fit_screens(generated.declarations, generated.inspections, START, fitted.risk_config())


@pytest.fixture
def loaded(engine, world):
    folder, generated = world
    import_file(engine, folder / "declarations.csv")
    store_outcomes(engine, generated.inspections)
    return engine, generated


def table_sizes(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (assessments, decisions)}


def test_assessment_records_one_explained_decision_per_declaration(loaded):
    engine, generated = loaded
    start = pd.Timestamp("2025-04-01")
    frame = load_declarations(engine, start=start)
    decided = assess_and_record(engine, frame, build_engine(engine, start, fitted.risk_config()), actor="test")
    stored = latest_decisions(engine)
    assert len(stored) == frame["declaration_id"].nunique() == len(decided)
    assert set(stored["lane"]) <= {"green", "blue", "yellow", "red"}
    explanation = json.loads(stored["explanation"].iloc[0])
    assert {"scores", "profiles", "random", "capacity", "not_checked"} <= set(explanation)
    assert 0 < stored["random"].mean() < 0.05


def test_replay_compares_drafts_with_published_and_writes_nothing(loaded, screens):
    engine, _ = loaded
    before = table_sizes(engine)
    drafts = parse_profiles(STEEL, "draft.yaml")
    report = replay(engine, drafts, START, pd.Timestamp("2025-05-01"), RiskConfig(), screens=screens)
    assert table_sizes(engine) == before
    lanes = report.lanes().set_index("lane")
    assert lanes["draft"].sum() == lanes["published"].sum() > 0
    assert lanes.loc["red", "draft"] > lanes.loc["red", "published"]  # the draft sends all steel to red
    metrics = report.metrics().set_index("variant")
    assert metrics.loc["draft", "selected"] > metrics.loc["published", "selected"]
    assert 0 <= metrics.loc["draft", "precision"] <= 1
    profiles = report.profiles().set_index("profile")
    assert profiles.loc["P-STEEL-TEST", "declarations hit"] > 0
    assert report.changes().to_numpy().sum() == lanes["draft"].sum()


def test_published_profiles_are_used_and_provenance_recorded(loaded, screens):
    engine, _ = loaded
    committed = profile_store.commit_profiles(engine, STEEL, "steel.yaml", author="alice")
    profile_store.approve(engine, *committed[0], approver="bob")
    profile_store.publish(engine, *committed[0], actor="bob")
    start = START
    risk_engine = build_engine(engine, start, RiskConfig(), screens=screens)
    assert [p.profile_id for p in risk_engine.profiles] == ["P-STEEL-TEST"]
    decided = assess_and_record(engine, load_declarations(engine, start=start), risk_engine, actor="test")
    steel = decided[decided["profiles"].map(lambda hits: isinstance(hits, list))]
    assert len(steel) and (steel["lane"].isin(["red", "yellow", "blue"])).all()
    with engine.connect() as conn:
        versions = conn.execute(select(assessments.c.profile_versions)).scalar_one()
    assert json.loads(versions) == {"P-STEEL-TEST": 1}
