"""Issue 14 (6): the tamper-evident audit trail. Sealed rows of decisions, overrides, task events and outcomes
are chained by hashes; `trail verify` names every row edited, inserted or deleted since, and a broken link."""

from datetime import datetime

from sqlalchemy import delete, insert, text, update

from smartcustoms.control.tables import outcomes
from smartcustoms.risk.tables import assessments, decisions
from smartcustoms.trail import service
from smartcustoms.trail.tables import trail_links


def _outcome(n: int, **changes) -> dict:
    return {"declaration_id": f"D{n}", "inspection_date": datetime(2025, 3, n), "control_type": "physical",
            "selection_reason": "risk", "result": "discrepancy", "infringement": "", "duty_recovered": 10.0 * n,
            **changes}


def _seed(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(outcomes), [_outcome(n) for n in range(1, 6)])
        assessment = conn.execute(insert(assessments).values(
            actor="t", settings_version="1", settings="{}", profile_versions="{}", declarations=2)
            .returning(assessments.c.assessment_id)).scalar_one()
        conn.execute(insert(decisions), [
            {"assessment_id": assessment, "declaration_id": f"D{n}", "lane": "green", "source": "none",
             "random": False, "risk_score": 0.1, "duty_at_risk": 1.0, "explanation": "{}"} for n in (1, 2)])


def states(engine) -> dict:
    return {s.table: s for s in service.verify(engine)}


def test_sealed_chains_verify_and_new_rows_wait_for_their_seal(engine):
    _seed(engine)
    assert states(engine)["outcomes"].unsealed == 5
    assert service.seal(engine)["outcomes"] == 5 and service.seal(engine)["outcomes"] == 0
    with engine.begin() as conn:
        conn.execute(insert(outcomes).values(**_outcome(6)))
    found = states(engine)
    assert all(s.intact for s in found.values())
    assert (found["outcomes"].sealed, found["outcomes"].unsealed) == (5, 1)
    assert (found["decisions"].sealed, found["decisions"].unsealed) == (2, 0)


def test_an_edited_a_deleted_and_an_inserted_row_are_named(engine):
    _seed(engine)
    service.seal(engine)
    with engine.begin() as conn:
        conn.execute(update(outcomes).where(outcomes.c.outcome_id == 2).values(duty_recovered=0.0))
        conn.execute(delete(outcomes).where(outcomes.c.outcome_id == 4))
        conn.execute(insert(outcomes).values(outcome_id=4, **_outcome(4, result="no_discrepancy")))  # replaced
    problems = {(f.row_id, f.problem) for f in states(engine)["outcomes"].findings}
    assert problems == {(2, "edited"), (4, "edited")}
    with engine.begin() as conn:
        conn.execute(delete(outcomes).where(outcomes.c.outcome_id == 5))
        conn.execute(delete(trail_links).where(trail_links.c.table_name == "outcomes", trail_links.c.seq == 3))
    problems = {(f.row_id, f.problem) for f in states(engine)["outcomes"].findings}
    assert (5, "deleted") in problems and (3, "inserted") in problems  # row 3 lost its link: an unsealed insert
    assert any(problem == "link_broken" for _, problem in problems)  # the links after it no longer chain


def test_a_decision_edited_behind_the_append_only_trigger_is_found(engine):
    _seed(engine)
    service.seal(engine)
    with engine.begin() as conn:  # a database administrator going around the append-only triggers
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER decisions_no_update"))
        else:
            conn.execute(text("ALTER TABLE decisions DISABLE TRIGGER USER"))
        conn.execute(update(decisions).where(decisions.c.decision_id == 1).values(lane="red"))
    assert [(f.row_id, f.problem) for f in states(engine)["decisions"].findings] == [(1, "edited")]


def test_trail_verify_on_the_command_line_names_the_edited_row(tmp_path):
    from cli_runner import invoke
    from smartcustoms.store import migrate
    from smartcustoms.store.db import make_engine

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    _seed(engine)
    env = {"SMARTCUSTOMS_DATABASE_URL": url, "SMARTCUSTOMS_VAR_DIR": str(tmp_path / "var")}
    sealed = invoke(["trail", "seal"], env, tmp_path)
    assert sealed.returncode == 0 and "outcomes: 5 sealed" in sealed.stdout
    assert invoke(["trail", "verify"], env, tmp_path).returncode == 0
    with engine.begin() as conn:
        conn.execute(update(outcomes).where(outcomes.c.outcome_id == 3).values(result="no_discrepancy"))
    checked = invoke(["trail", "verify"], env, tmp_path)
    assert checked.returncode == 1 and "outcomes row 3: edited" in checked.stderr
