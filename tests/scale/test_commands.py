"""`smartcustoms history export|append` and `models train --engine dask`, run as a user runs them."""

import pytest
from cli.test_import_command import run


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale-cli")
    for args in (("generate", "-n", "1500", "--seed", "4", "--out", str(folder / "w")), ("db", "upgrade"),
                 ("import", str(folder / "w" / "declarations.csv")),
                 ("outcomes", "import", str(folder / "w" / "inspections.csv"))):
        result = run(folder, *args)
        assert result.returncode == 0, result.stderr
    return folder


def test_history_export_then_append(stored):
    exported = run(stored, "history", "export", str(stored / "h"))
    assert exported.returncode == 0, exported.stderr
    assert "exported 1,500 declarations" in exported.stdout
    assert list((stored / "h" / "declarations").glob("month=*/office=*/part-*.parquet"))
    again = run(stored, "history", "export", str(stored / "h"))
    assert again.returncode == 2 and "history append" in again.stderr
    appended = run(stored, "history", "append", str(stored / "h"))
    assert appended.returncode == 0 and "appended 0 declarations" in appended.stdout
    stats = run(stored, "history", "stats", str(stored / "h"), "--as-of", "2025-07-01")
    assert stats.returncode == 0 and '"importers"' in stats.stdout


def test_models_train_with_an_unreachable_scheduler_names_it(stored):
    result = run(stored, "models", "train", "--until", "2025-10-01", "--by", "analyst", "--engine", "dask",
                 "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "1")  # not the default 10 s of waiting
    assert result.returncode == 2 and "tcp://127.0.0.1:9" in result.stderr and "after 1 s" in result.stderr


def test_models_train_on_a_local_dask_cluster_registers_a_model(stored):
    result = run(stored, "models", "train", "--until", "2025-10-01", "--by", "analyst", "--engine", "dask",
                 "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "registered" in result.stdout
    assert "champion" in run(stored, "models", "list").stdout


def test_scheduler_without_dask_engine_is_refused(stored):
    result = run(stored, "models", "train", "--until", "2025-10-01", "--by", "analyst", "--scheduler", "tcp://x:1")
    assert result.returncode == 2 and "--engine dask" in result.stderr


def test_assess_on_dask_gives_the_local_engines_lanes(stored):
    import sqlite3

    settings = stored / "risk.yaml"  # the four screens and the fixed combination: a small world, a quick fit
    settings.write_text("model: false\nselectivity:\n  combination: fixed\n")
    on_dask = run(stored, "assess", "--since", "2025-12-01", "--settings", str(settings), "--engine", "dask",
                  "--workers", "2")
    assert on_dask.returncode == 0, on_dask.stderr
    assert "Lanes for" in on_dask.stdout and "inspection task(s) opened" in on_dask.stdout
    local = run(stored, "assess", "--since", "2025-12-01", "--settings", str(settings))
    assert local.returncode == 0, local.stderr
    with sqlite3.connect(stored / "cli.db") as db:
        rows = db.execute("SELECT assessment_id, declaration_id, lane, source, random, risk_score, duty_at_risk, "
                          "explanation FROM decisions ORDER BY decision_id").fetchall()
    runs = sorted({row[0] for row in rows})
    assert len(runs) == 2
    first = {row[1]: row[2:] for row in rows if row[0] == runs[0]}
    second = {row[1]: row[2:] for row in rows if row[0] == runs[1]}
    assert len(first) > 50 and first == second  # lanes, sources, scores and explanations, row for row


def test_evaluate_trains_on_a_local_dask_cluster(tmp_path):
    result = run(tmp_path, "evaluate", "--declarations", "6000", "--weeks", "1", "--json", "--engine", "dask",
                 "--workers", "2")
    assert result.returncode == 0, result.stderr
    import json

    out = json.loads(result.stdout)
    assert "simulation" in out and out["simulation"] is not None


def test_evaluate_with_an_unreachable_scheduler_names_it(tmp_path):
    result = run(tmp_path, "evaluate", "--declarations", "1000", "--engine", "dask", "--scheduler",
                 "tcp://127.0.0.1:9", "--scheduler-timeout", "1")
    assert result.returncode == 2 and "tcp://127.0.0.1:9" in result.stderr and "after 1 s" in result.stderr
