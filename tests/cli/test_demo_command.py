"""`smartcustoms demo` end to end on a small world: intake, risk, targeting, the control chain and the KPIs."""

from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text
from test_import_command import run

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_whole_chain_and_reports_kpis(tmp_path):
    result = run(tmp_path, "demo", "-n", "3000", "--seed", "7", "--profiles", str(ROOT / "profiles"),
                 "--settings", str(ROOT / "config" / "risk.yaml"), "--no-serve")
    assert result.returncode == 0, result.stderr[-3000:]
    for title in ("control chain: inspections", "Controls worked by the (simulated) officers",
                  "Post-clearance audit cases", "Time Release Study", "Hit rate by selection source",
                  "Control times by mode"):
        assert title in result.stdout, title
    assert sorted(p.name for p in (tmp_path / "var" / "demo" / "kpi").iterdir()) == [
        "control_times.png", "hit_rates.png", "lanes_per_day.png", "release_times.png", "revenue.png"]

    db = create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with db.connect() as conn:
        tasks = pd.read_sql(text("SELECT task_id, declaration_id, state FROM inspection_tasks"), conn)
        lanes = pd.read_sql(text("SELECT declaration_id, lane FROM decisions"), conn)
        labelled = pd.read_sql(text("SELECT DISTINCT declaration_id FROM outcomes WHERE task_id IS NOT NULL"), conn)
    # every red and yellow decision became a task; the simulated officers worked all but the last days' ones
    # (left open for the console) to their end, and each worked task left a label
    controlled = set(lanes.loc[lanes["lane"].isin(["red", "yellow"]), "declaration_id"])
    assert set(tasks["declaration_id"]) == controlled and len(controlled) > 0
    ended = tasks["state"].isin(["released", "seized"])
    assert ended.mean() > 0.8 and set(tasks.loc[~ended, "state"]) <= {"created"}
    assert set(labelled["declaration_id"]) == set(tasks.loc[ended, "declaration_id"])
    assert "trader.demo-2026" in result.stdout  # demo users are printed with their passwords

    kpi = run(tmp_path, "kpi", "--csv", str(tmp_path / "csv"))
    assert kpi.returncode == 0, kpi.stderr
    hits = pd.read_csv(tmp_path / "csv" / "hit_rates.csv").set_index("source")
    # risk-selected controls hit far more often than the random sample
    assert hits.loc["random", "hit_rate"] < hits.loc[["profile", "screen"], "hit_rate"].min()
