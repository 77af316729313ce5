"""`smartcustoms passengers ...` in process: import (counts, exit 2 for a broken file), match --json, plan --json."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcustoms.cli import passengers as cli
from smartcustoms.settings import get_settings
from smartcustoms.store import migrate
from smartcustoms.store.db import make_engine

DATA = Path(__file__).parent / "data"
HEADER = "id,surname,given_names,date_of_birth,nationality,document_number\n"


@pytest.fixture
def run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SMARTCUSTOMS_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield lambda *args: CliRunner().invoke(cli.app, [str(arg) for arg in args])
    get_settings.cache_clear()


def test_import_prints_counts_and_broken_file_exits_2_storing_nothing(run, tmp_path):
    done = run("import", DATA / "paxlst_guide.edi")
    assert done.exit_code == 0, done.output
    assert "1 flight(s), 2 passenger(s), 0 crew, 2 document(s), 2 bag(s)" in done.output
    done = run("import", DATA / "pnrgov_guide.edi", "--format", "pnrgov", "--json")
    assert json.loads(done.output)["passengers"] == 3
    broken = tmp_path / "broken.edi"
    broken.write_text((DATA / "paxlst_crew_oneline.edi").read_text().replace("UNT+14+1'", ""))
    done = run("import", broken)
    assert done.exit_code == 2
    assert "segment 15 (UNZ)" in done.output and "not closed by UNT" in done.output
    assert "Nothing was imported" in done.output
    done = run("import", DATA / "paxlst_crew_oneline.edi", "--json")
    assert json.loads(done.output)["crew"] == 1


def test_match_json_lists_every_passenger_with_scores_and_reasons(run, tmp_path):
    watchlist = tmp_path / "watchlist.csv"
    watchlist.write_text(HEADER + "W1,Иванов,Сергей,1971-03-12,RUS,\nW2,محمد,أحمد,1980-01-15,,\n", "utf-8")
    travellers = tmp_path / "passengers.csv"
    travellers.write_text(HEADER + "P1,IVANOV,SERGEY,1971-03-12,RUS,7512345\nP2,DUPONT,MARIE,1980-02-03,FRA,\n"
                          "P3,MOHAMED,AHMED,1980-01-15,EGY,\n", "utf-8")
    done = run("match", watchlist, travellers, "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    by_id = {p["id"]: p["matches"] for p in result["passengers"]}
    assert [m["entry"] for m in by_id["P1"]] == ["W1"] and by_id["P2"] == []
    assert [m["entry"] for m in by_id["P3"]] == ["W2"]
    assert by_id["P1"][0]["score"] > 0.9 and any("date of birth" in r for r in by_id["P1"][0]["reasons"])
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,X\n")
    assert run("match", bad, travellers).exit_code == 2


def test_plan_json_has_the_figures_and_staffing(run):
    done = run("plan", "--passengers", "20", "--replications", "2", "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    for key in ("flight_cleared_minutes", "share_out_within_5_min", "bags_screened_minutes"):
        assert set(result[key]) == {"mean", "ci95"}
    assert result["staffing"]["officers"] >= 1 and result["staffing"]["lanes"] >= 1
