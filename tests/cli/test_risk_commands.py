"""`smartcustoms assess` and `smartcustoms risk replay` run as a user runs them."""

import pytest
from test_import_command import run

DRAFT = """
profile_id: P-DRAFT-ALL-STEEL
title: every steel product
purpose: see what sending all of chapter 72 to documents would cost
owner: analyst
lane: yellow
weight: 40
criteria:
  - field: commodity_code
    prefix: ["72", "73"]
"""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    for args in (("generate", "-n", "3000", "--seed", "5", "--out", str(folder / "w")), ("db", "upgrade"),
                 ("import", str(folder / "w" / "declarations.csv")),
                 ("outcomes", "import", str(folder / "w" / "inspections.csv"))):
        result = run(folder, *args)
        assert result.returncode == 0, result.stderr
    return folder


def test_assess_prints_lanes_and_reasons_and_records_decisions(demo_db):
    result = run(demo_db, "assess", "--since", "2025-12-01", "--top", "5")
    assert result.returncode == 0, result.stderr
    assert "Lanes for" in result.stdout and "Top 5 declarations by risk" in result.stdout
    assert "inspection task(s) opened" in result.stdout
    assert "given their lane now, by this batch assessment" in result.stdout  # lodged in 2025, assessed now
    kpi = run(demo_db, "kpi")  # each decision opened its control chain: the KPIs report lanes at once
    assert kpi.returncode == 0, kpi.stderr
    assert "Time Release Study" in kpi.stdout and "got their lane from a batch assessment" in kpi.stdout
    charts = run(demo_db, "kpi", "--charts", str(demo_db / "charts"), "--format", "svg")
    assert charts.returncode == 0, charts.stderr
    assert sorted(p.name for p in (demo_db / "charts").iterdir()) == [
        "control_times.svg", "hit_rates.svg", "lanes_per_day.svg", "release_times.svg", "revenue.svg"]
    performance = run(demo_db, "risk", "profiles", "performance")
    assert performance.returncode == 0, performance.stderr
    assert "no decision has hit a profile yet" in performance.stdout  # no profile is published in this database
    again = run(demo_db, "assess")  # everything before December has no decision yet
    assert again.returncode == 0, again.stderr
    nothing_left = run(demo_db, "assess")
    assert nothing_left.returncode == 1 and "no declarations to assess" in nothing_left.stderr


def test_replay_reports_without_writing_and_rejects_bad_profiles(demo_db):
    drafts = demo_db / "drafts"
    drafts.mkdir()
    (drafts / "steel.yaml").write_text(DRAFT)
    result = run(demo_db, "risk", "replay", "--profiles", str(drafts), "--from", "2025-11-01", "--to", "2025-11-30")
    assert result.returncode == 0, result.stderr
    for title in ("Lanes, 2025-11-01 to 2025-11-30", "against the recorded outcomes", "Lane changes",
                  "P-DRAFT-ALL-STEEL", "Nothing was written"):
        assert title in result.stdout
    (drafts / "steel.yaml").write_text(DRAFT.replace("commodity_code", "commodity_kode"))
    bad = run(demo_db, "risk", "replay", "--profiles", str(drafts), "--from", "2025-11-01", "--to", "2025-11-30")
    assert bad.returncode == 2 and "line 9" in bad.stderr and "commodity_kode" in bad.stderr


def test_override_needs_a_reason_and_shows_beside_the_decision(demo_db):
    run(demo_db, "assess", "--since", "2025-12-20")
    listed = run(demo_db, "risk", "decisions", "--limit", "1")
    assert listed.returncode == 0, listed.stderr
    decision = listed.stdout.split("│")[1].strip() if "│" in listed.stdout else None
    assert decision and decision.isdigit()
    refused = run(demo_db, "risk", "override", decision, "--lane", "green", "--reason", " ", "--officer", "o1")
    assert refused.returncode == 1 and "needs a reason" in refused.stderr
    done = run(demo_db, "risk", "override", decision, "--lane", "green", "--reason",
               "goods seen at the border yesterday", "--officer", "o1")
    assert done.returncode == 0, done.stderr
    after = run(demo_db, "risk", "decisions", "--limit", "1")
    assert "goods seen at the border" in after.stdout


def test_models_train_promote_rollback_end_to_end(demo_db):
    for _ in range(2):
        trained = run(demo_db, "models", "train", "--until", "2025-10-01", "--by", "analyst")
        assert trained.returncode == 0, trained.stderr
    listed = run(demo_db, "models", "list")
    assert listed.returncode == 0 and "champion" in listed.stdout and "challenger" in listed.stdout
    challenger = next(line for line in listed.stdout.splitlines() if "challenger" in line).split("│")[1].strip()
    assert run(demo_db, "models", "promote", challenger, "--by", "supervisor").returncode == 0
    assert run(demo_db, "models", "rollback", "--by", "supervisor").returncode == 0
    log = run(demo_db, "models", "log")
    assert "rolled_back" in log.stdout and "promoted" in log.stdout
    drift = run(demo_db, "models", "drift", "--top", "3")
    assert drift.returncode == 0, drift.stderr
    assert "training vs" in drift.stdout and "significant drift:" in drift.stdout
    shadow = run(demo_db, "models", "shadow", "--since", "2025-10-01")
    assert shadow.returncode == 0, shadow.stderr
    assert "Shadow scoring of" in shadow.stdout and "champion" in shadow.stdout
    empty = run(demo_db, "models", "shadow", "--since", "2099-01-01")
    assert empty.returncode == 1 and "no declarations accepted since 2099-01-01" in empty.stderr
